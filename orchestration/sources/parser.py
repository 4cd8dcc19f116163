"""The contract-driven parser: one delivered file in, typed rows, rejected lines and a report out.

Everything after decoding runs in DuckDB: the file is read as physical lines (so every row keeps
its physical line number, blank lines included in the numbering), split according to the dialect
(`string_split` for unquoted files, an RFC 4180 regular expression for quoted ones), decoded
column by column with the SQL of `decoders`, then split into loaded and rejected lines. Nothing is
silently dropped: every data line ends up in exactly one of the two temp tables.
"""

from __future__ import annotations

import csv
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.sources.contract import Column, Contract
from orchestration.sources.decoders import decode_column
from orchestration.sources.encodings import decode_period
from orchestration.sources.reading import FatalFileError, file_digest, utf8_text
from orchestration.sources.report import MAX_REPORTED_REJECTIONS, LoadReport
from orchestration.sources.sql_functions import install_macros

LINES = "_sf_lines"
PARSED = "_sf_parsed"
LOADED = "_sf_loaded"
REJECTED = "_sf_rejected"

# A delimiter that never occurs in text: DuckDB then hands us each physical line whole.
_LINE_DELIMITER = "\x1f\x1e\x1d\x1c"
MAX_LINE_BYTES = 64 * 1024 * 1024


@dataclass
class ParseResult:
    report: LoadReport
    loaded: str | None = None  # temp table: output columns + _line_number
    rejected: str | None = None  # temp table: line_number, raw_line, reason_code, detail


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def normalise_label(label: str, style: str) -> str:
    """Header normalisation used for matching only (raw-sources §2.4 and, for diane, §7.3)."""
    if style == "diane":
        label = unicodedata.normalize("NFC", label).replace("\u2019", "'")
        return re.sub(r" +", " ", label).strip()
    return label.strip()


def split_header(line: str, contract: Contract) -> list[str]:
    dialect = contract.dialect
    if dialect.quoting == "none":
        cells = line.split(dialect.separator)
    else:
        cells = next(csv.reader([line], delimiter=dialect.separator, quotechar='"'))
    return [normalise_label(cell, dialect.header) for cell in cells]


def _split_sql(contract: Contract) -> tuple[str, str]:
    """SQL giving the list of fields of `line`, and the SQL test that its quoting is well formed."""
    sep = contract.dialect.separator
    if contract.dialect.quoting == "none":
        return f"string_split(line, {_lit(sep)})", "true"
    s = re.escape(sep)
    # A quoted field, or a bare field (a quote inside it is literal), or nothing.
    field = f'("(?:[^"]|"")*"|[^{s}"][^{s}]*|)'
    if contract.dialect.quoting == "all":
        field = '("(?:[^"]|"")*"|)'
    fields = (
        f"list_transform(regexp_extract_all({_lit(sep)} || line, {_lit(s + field)}, 1), "
        "lambda f: case when left(f, 1) = '\"' and length(f) >= 2 "
        "then replace(f[2:-2], '\"\"', '\"') else f end)"
    )
    well_formed = f"regexp_full_match(line, {_lit(field + '(?:' + s + field + ')*')})"
    return fields, well_formed


def _raw_field(index: int, contract: Contract) -> str:
    value = f"nullif(trim(fields[{index}], ' \t'), '')"
    if contract.dialect.null_tokens:
        tokens = ", ".join(_lit(t) for t in contract.dialect.null_tokens)
        value = f"case when {value} in ({tokens}) then null else {value} end"
    return value


def _source_names(column: Column) -> list[str]:
    if column.source is None:
        return []
    names = column.source if isinstance(column.source, list) else [column.source]
    return [str(n) for n in names]


@dataclass
class _HeaderMap:
    header: list[str]
    positions: dict[str, int]  # output column -> 1-based field index
    months: list[tuple[str, int]]  # wide layouts: (month ISO date, 1-based field index)
    unknown: list[str]
    missing_optional: list[Column]


def _map_header(header: list[str], contract: Contract, file_name: str) -> _HeaderMap:
    lowered = [h.lower() for h in header]
    if not any(header):
        raise FatalFileError("empty_header", f"{file_name}: empty header line")
    seen: dict[str, int] = {}
    for position, name in enumerate(lowered, start=1):
        if name and name in seen:
            raise FatalFileError(
                "duplicate_column",
                f"{file_name}: line 1: column {header[position - 1]!r} appears twice "
                f"(fields {seen[name]} and {position})",
            )
        seen[name] = position

    positions: dict[str, int] = {}
    used: set[int] = set()
    missing_required: list[str] = []
    missing_optional: list[Column] = []
    required_here = {
        c.lower()
        for rule in contract.conditional_required
        if rule["fileNameContains"].lower() in file_name.lower()
        for c in rule["columns"]
    }
    for column in contract.columns:
        names = _source_names(column)
        if not names:
            continue
        found = next((seen[n.lower()] for n in names if n.lower() in seen), None)
        if found is None:
            if column.source_required or any(n.lower() in required_here for n in names):
                missing_required.append(names[0])
            elif names[0] not in [c.source for c in missing_optional]:
                missing_optional.append(column)
            continue
        positions[column.name] = found
        used.add(found)
    if missing_required:
        raise FatalFileError(
            "missing_required_column",
            f"{file_name}: line 1: missing required column(s) {', '.join(sorted(set(missing_required)))}",
        )

    months: list[tuple[str, int]] = []
    layout = contract.layout
    if layout.get("type") == "wide_months":
        pattern = re.compile(layout["columnPattern"], re.IGNORECASE)
        by_month: dict[str, str] = {}
        for position, name in enumerate(header, start=1):
            match = pattern.fullmatch(name)
            if not match:
                continue
            code = match.group(1)
            period = decode_period(code)
            single = period is not None and period.canonical and code[-1] in "123"
            if not single:
                raise FatalFileError(
                    "invalid_header",
                    f"{file_name}: line 1: column {name!r} is not a canonical month effAAAAXY "
                    "(X quarter 1-4, Y month 1-3): the layout has changed",
                )
            iso = period.start.isoformat()
            if iso in by_month:
                raise FatalFileError(
                    "invalid_header",
                    f"{file_name}: line 1: columns {by_month[iso]!r} and {name!r} give the same month",
                )
            by_month[iso] = name
            months.append((iso, position))
            used.add(position)
        if not months:
            raise FatalFileError(
                "missing_required_column",
                f"{file_name}: line 1: no monthly column matching {layout['columnPattern']}",
            )

    ignored = set(contract.ignored_columns)
    unknown = [
        header[p - 1] or f"(colonne vide n°{p})"
        for p in range(1, len(header) + 1)
        if p not in used and lowered[p - 1] not in ignored
    ]
    return _HeaderMap(header, positions, months, unknown, missing_optional)


def _build_parse_sql(
    contract: Contract, mapping: _HeaderMap, header_line: int
) -> tuple[str, list[tuple[str, str, str]]]:
    """SQL creating PARSED, and the (code, column, flag column) list of warning flags."""
    split, well_formed = _split_sql(contract)
    n_fields = len(mapping.header)
    raw_cols: list[str] = []
    value_cols: list[str] = []
    reject_cases: list[str] = []
    warning_flags: list[tuple[str, str, str]] = []
    flag_cols: list[str] = []

    def flag(code: str, column: str, condition: str) -> None:
        name = f"_w{len(warning_flags)}"
        warning_flags.append((code, column, name))
        flag_cols.append(f"coalesce({condition}, false) as {name}")

    for column in contract.columns:
        if column.decoder is None:
            continue
        raw_name = f"_raw_{column.name}"
        position = mapping.positions.get(column.name)
        raw_cols.append(
            f"{_raw_field(position, contract) if position else 'cast(null as varchar)'} as {_q(raw_name)}"
        )
        decoded = decode_column(column, _q(raw_name))
        source = _source_names(column)[0]
        present = f"{_q(raw_name)} is not null"
        invalid = f"({present} and coalesce({decoded.invalid}, true))" if decoded.invalid else "false"
        if column.required:
            missing_code = (
                "invalid_identifier" if decoded.reason == "invalid_identifier" else "missing_required_value"
            )
            reject_cases.append(
                f"when {_q(raw_name)} is null then {_lit(missing_code)} || chr(31) || "
                f"{_lit(f'column {source}: required value is empty')}"
            )
            reject_cases.append(
                f"when {invalid} then {_lit(decoded.reason)} || chr(31) || "
                f"{_lit(f'column {source}: ')} || {_lit(chr(39))} || left({_q(raw_name)}, 200) || "
                f"{_lit(chr(39) + ' is not ' + decoded.describe)}"
            )
            value_cols.append(f"{decoded.value} as {_q(column.name)}")
        else:
            value_cols.append(f"case when {invalid} then null else {decoded.value} end as {_q(column.name)}")
            flag("invalid_optional_value", source, invalid)
        for code, condition in decoded.warnings:
            flag(code, source, f"not {invalid} and ({condition})")

    transform_cols = [
        f"{column.transform} as {_q(column.name)}" for column in contract.columns if column.transform
    ]
    for rule in contract.row_rules:
        reject_cases.append(
            f"when coalesce({rule.when}, false) then {_lit(rule.code)} || chr(31) || {_lit(rule.detail)}"
        )
    for rule in contract.row_warnings:
        flag(rule.code, "(ligne)", rule.when)

    months = ""
    if mapping.months:
        cells = ", ".join(
            f"{{'periode': DATE {_lit(iso)}, 'valeur': {_raw_field(pos, contract)}}}"
            for iso, pos in mapping.months
        )
        months = f", [{cells}] as _months"

    reject = "case when not _shape_ok then 'wrong_field_count' || chr(31) || " + (
        f"case when not _quoting_ok then 'malformed quoting (unbalanced or misplaced quote)' "
        f"else 'expected {n_fields} fields, found ' || _n_fields end "
        + (" ".join(reject_cases) + " end" if reject_cases else "end")
    )
    sql = f"""
        create or replace temp table {PARSED} as
        with data_lines as (
            select line_number, line from {LINES}
            where line_number > {header_line} and line is not null and trim(line, ' \t') <> ''
        ),
        split as (
            select line_number, line, {split} as fields, {well_formed} as _quoting_ok from data_lines
        ),
        cells as (
            select line_number, line, _quoting_ok, len(fields) as _n_fields,
                   _quoting_ok and len(fields) = {n_fields} as _shape_ok,
                   {", ".join(raw_cols) if raw_cols else "null as _no_raw"}{months}
            from split
        ),
        decoded as (
            select *, {", ".join(value_cols) if value_cols else "null as _no_value"} from cells
        ),
        derived as (
            select *{", " + ", ".join(transform_cols) if transform_cols else ""} from decoded
        )
        select *, {reject} as _reject, {", ".join(flag_cols) if flag_cols else "null as _no_flag"}
        from derived
    """
    return sql, warning_flags


def _output_columns(contract: Contract) -> list[Column]:
    return [c for c in contract.columns if not c.options.get("internal")]


def _read_lines(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(
        f"""
        create or replace temp table {LINES} as
        select row_number() over () as line_number, line
        from read_csv(?, columns = {{'line': 'VARCHAR'}}, delim = {_lit(_LINE_DELIMITER)},
                      quote = '', escape = '', header = false, auto_detect = false,
                      comment = '', max_line_size = {MAX_LINE_BYTES})
        """,
        [str(path)],
    )


def _load_lines(con: duckdb.DuckDBPyConnection, path: Path, workdir: Path, report: LoadReport) -> None:
    """Read the physical lines, transcoding when needed (Windows-1252 fallback on invalid UTF-8)."""
    with utf8_text(path, workdir) as text:
        try:
            _read_lines(con, text.path)
            report.encoding = text.encoding
            if text.fallback:
                report.add_warning("encoding_fallback", "(fichier)", 1)
            return
        except duckdb.Error as exc:
            if "unicode" not in str(exc).lower() and "utf" not in str(exc).lower():
                raise FatalFileError("unreadable", f"{path.name}: {str(exc).splitlines()[0]}") from exc
    with utf8_text(path, workdir, force_fallback=True) as text:
        _read_lines(con, text.path)
        report.encoding = "windows-1252"
        report.add_warning("encoding_fallback", "(fichier)", 1)


def parse_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    *,
    batch_key: str | None = None,
    file_name: str | None = None,
    sha256: str | None = None,
    size: int | None = None,
) -> ParseResult:
    """Parse one delivered file into the temp tables LOADED and REJECTED of `con`."""
    file_name = file_name or path.name
    if sha256 is None or size is None:
        sha256, size = file_digest(path)
    report = LoadReport(
        source=contract.source,
        file=file_name,
        sha256=sha256,
        size=size,
        batch_key=batch_key,
        contract_version=contract.version,
    )
    install_macros(con)
    try:
        with tempfile.TemporaryDirectory(prefix="sf-parse-") as workdir:
            _load_lines(con, path, Path(workdir), report)
        return _parse_lines(con, contract, report)
    except FatalFileError as exc:
        return ParseResult(report.fatal(exc.code, exc.message))


def _parse_lines(con: duckdb.DuckDBPyConnection, contract: Contract, report: LoadReport) -> ParseResult:
    first = con.sql(
        f"select line_number, line from {LINES} where line is not null and trim(line, ' \t') <> '' "
        "order by line_number limit 1"
    ).fetchall()
    if not first:
        raise FatalFileError("empty_file", f"{report.file}: the file holds no header line")
    header_line, header_text = first[0]
    report.header = split_header(header_text, contract)
    mapping = _map_header(report.header, contract, report.file)
    report.unknown_columns = mapping.unknown
    for column in mapping.missing_optional:
        report.missing_columns.append(_source_names(column)[0])
        report.add_warning("missing_optional_column", _source_names(column)[0], 1)
    for name in mapping.unknown:
        report.add_warning("unknown_column", name, 1)

    sql, warning_flags = _build_parse_sql(contract, mapping, header_line)
    con.execute(sql)
    blank, read, rejected = con.sql(
        f"""select (select count(*) from {LINES} where line is null or trim(line, ' \t') = ''),
                   (select count(*) from {PARSED}),
                   (select count(*) from {PARSED} where _reject is not null)"""
    ).fetchall()[0]
    report.lines_blank, report.lines_read, report.lines_rejected = blank, read, rejected
    report.lines_loaded = read - rejected
    if read == 0 and contract.is_stock:
        raise FatalFileError(
            "empty_stock", f"{report.file}: a stock file with no data line would wipe the state"
        )

    if warning_flags:
        sums = ", ".join(f"count(*) filter (where {name})" for _, _, name in warning_flags)
        counts = con.sql(f"select {sums} from {PARSED} where _reject is null").fetchall()[0]
        for (code, column, _), count in zip(warning_flags, counts, strict=True):
            report.add_warning(code, column, int(count))

    con.execute(
        f"""create or replace temp table {REJECTED} as
            select line_number, line as raw_line,
                   split_part(_reject, chr(31), 1) as reason_code,
                   split_part(_reject, chr(31), 2) as detail
            from {PARSED} where _reject is not null order by line_number"""
    )
    for reason, count in con.sql(
        f"select reason_code, count(*) from {REJECTED} group by all order by all"
    ).fetchall():
        report.rejections_by_reason[reason] = count
    report.rejections = [
        {"line_number": n, "reason_code": code, "detail": detail}
        for n, code, detail in con.sql(
            f"select line_number, reason_code, detail from {REJECTED} order by line_number "
            f"limit {MAX_REPORTED_REJECTIONS}"
        ).fetchall()
    ]
    _materialise_loaded(con, contract, report)
    report.check_invariant()
    return ParseResult(report, LOADED, REJECTED)


def _materialise_loaded(con: duckdb.DuckDBPyConnection, contract: Contract, report: LoadReport) -> None:
    columns = _output_columns(contract)
    layout = contract.layout
    if layout.get("type") == "wide_months":
        period, value = layout["periodColumn"], layout["valueColumn"]
        cell = "nullif(regexp_replace(m.valeur, '[ \u00a0\u202f]', '', 'g'), '')"
        number = f"try_cast(regexp_extract({cell}, '^[0-9]+') as integer)"
        valid = f"regexp_full_match({cell}, '[0-9]+([.][0-9]+)?') and {number} is not null"
        keys = ", ".join(
            f"cast(p.{_q(c.name)} as {c.physical_type}) as {_q(c.name)}"
            for c in columns
            if c.name not in (period, value)
        )
        con.execute(
            f"""create or replace temp table _sf_cells as
                select p.line_number, m.periode, m.valeur, {cell} as cell,
                       case when {valid} then {number} end as number,
                       {keys}
                from {PARSED} p, unnest(p._months) as u(m)
                where p._reject is null and m.valeur is not null"""
        )
        bad = con.sql("select count(*) filter (where number is null) from _sf_cells").fetchall()[0][0]
        report.add_warning("invalid_optional_value", "(cellules mensuelles)", int(bad))
        truncated = con.sql(
            "select count(*) from _sf_cells where number is not null and "
            "regexp_full_match(cell, '.*[.][0-9]*[1-9][0-9]*')"
        ).fetchall()[0][0]
        report.add_warning("integer_truncated", "(cellules mensuelles)", int(truncated))
        select = ", ".join(
            "periode" if c.name == period else "number" if c.name == value else _q(c.name) for c in columns
        )
        names = ", ".join(_q(c.name) for c in columns)
        con.execute(
            f"""create or replace temp table {LOADED} as
                select * from (
                    select {select}, line_number as _line_number from _sf_cells where number is not null
                ) as t({names}, _line_number)
                order by _line_number"""
        )
        last = con.sql(f"select max({_q(period)}) from {LOADED}").fetchall()[0][0]
        report.derniere_periode_renseignee = last.isoformat() if last else None
    else:
        select = ", ".join(f"cast({_q(c.name)} as {c.physical_type}) as {_q(c.name)}" for c in columns)
        con.execute(
            f"""create or replace temp table {LOADED} as
                select {select}, line_number as _line_number
                from {PARSED} where _reject is null order by line_number"""
        )
    report.rows_out = con.sql(f"select count(*) from {LOADED}").fetchall()[0][0]
    con.execute(f"drop table if exists {PARSED}")
    con.execute("drop table if exists _sf_cells")
