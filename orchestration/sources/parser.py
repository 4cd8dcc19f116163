"""The contract-driven parser: one delivered file in, typed rows, rejected lines and a report out.

Everything after decoding runs in DuckDB: the file is read as physical lines (so every row keeps
its physical line number, blank lines included in the numbering), split according to the dialect
(`string_split` for unquoted files, an RFC 4180 regular expression for quoted ones), decoded
column by column with the SQL of `decoders`, then split into loaded and rejected lines. Nothing is
silently dropped: every data line ends up in exactly one of the two temp tables.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.sources.contract import Column, Contract
from orchestration.sources.decoders import decode_column
from orchestration.sources.encodings import decode_period
from orchestration.sources.reading import FatalFileError, file_digest, utf8_text
from orchestration.sources.report import MAX_REPORTED_REJECTIONS, LoadReport
from orchestration.sources.sql_functions import install_macros

LINES = "_sf_lines"
DATA = "_sf_data"
PARSED = "_sf_parsed"
LOADED = "_sf_loaded"
REJECTED = "_sf_rejected"
REUSED = "_sf_reused"

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
    """SQL giving the list of fields of `line`, and the SQL test that its quoting is well formed.

    Quoted dialects take a fast path: split on the separator, and when every piece is either bare
    (a quote inside it is literal) or a complete quoted field, just unquote the pieces. Only lines
    where a quoted field holds the separator go through the RFC 4180 regular expression.
    """
    sep = contract.dialect.separator
    if contract.dialect.quoting == "none":
        return f"string_split(line, {_lit(sep)})", "true"
    s = re.escape(sep)
    quote_count = "(length(p) - length(replace(p, '\"', '')))"
    complete = f"(length(p) >= 2 and ends_with(p, '\"') and {quote_count} % 2 = 0)"
    field = _field_regex(contract)
    if contract.dialect.quoting == "all":
        piece_ok = f"(p = '' or (starts_with(p, '\"') and {complete}))"
    else:
        piece_ok = f"(not starts_with(p, '\"') or {complete})"
    unquote = (
        "lambda f: case when starts_with(f, '\"') and length(f) >= 2 "
        "then replace(f[2:-2], '\"\"', '\"') else f end"
    )
    simple = f"list_bool_and(list_transform(string_split(line, {_lit(sep)}), lambda p: {piece_ok}))"
    # Most lines hold no quote at all: a plain split, without looking at each piece.
    fields = (
        f"case when not contains(line, '\"') then string_split(line, {_lit(sep)}) "
        f"when {simple} then list_transform(string_split(line, {_lit(sep)}), {unquote}) "
        f"else list_transform(regexp_extract_all({_lit(sep)} || line, {_lit(s + field)}, 1), {unquote}) end"
    )
    # CASE, not OR: DuckDB evaluates a branch only on the rows that reach it.
    well_formed = (
        f"case when not contains(line, '\"') then true when {simple} then true "
        f"else regexp_full_match(line, {_lit(field + '(?:' + s + field + ')*')}) end"
    )
    return fields, well_formed


def _field_regex(contract: Contract) -> str:
    """One field of a quoted dialect, as an RE2 pattern with one group."""
    if contract.dialect.quoting == "all":
        return '("(?:[^"]|"")*"|)'
    s = re.escape(contract.dialect.separator)
    # A quoted field, or a bare field (a quote inside it is literal), or nothing.
    return f'("(?:[^"]|"")*"|[^{s}"][^{s}]*|)'


def _bad_quote_sql(contract: Contract, header: list[str]) -> str:
    """SQL naming the first field whose quoting is malformed: the one that follows the longest
    prefix of well-formed fields (evaluated only on lines whose quoting is not well formed)."""
    if contract.dialect.quoting == "none":
        return "''"
    sep, field = contract.dialect.separator, _field_regex(contract)
    s = re.escape(sep)
    prefix = f"regexp_extract(line, {_lit('^' + field + '(?:' + s + field + ')*')})"
    index = f"len(regexp_extract_all({_lit(sep)} || {prefix}, {_lit(s + field)}, 1))"
    names = "[" + ", ".join(_lit(name) for name in header) + "]"
    return f"' in field ' || {index} || coalesce(' (' || {names}[{index}] || ')', '')"


def _needs_trim_sql(contract: Contract) -> str:
    """SQL telling whether some field of `line` may start or end with a space or a tab.

    Trimming each of 50 fields costs more than splitting the line: lines where no blank touches a
    separator or an end (nearly all) skip it. A quote may hide blanks inside a quoted field.
    """
    sep = contract.dialect.separator
    touching = [sep + " ", sep + "\t", " " + sep, "\t" + sep]
    tests = [f"contains(line, {_lit(t)})" for t in touching]
    tests += [f"{f}(line, {_lit(b)})" for f in ("starts_with", "ends_with") for b in (" ", "\t")]
    if contract.dialect.quoting != "none":
        tests.append("contains(line, '\"')")
    return "(" + " or ".join(tests) + ")"


def _raw_field(index: int, contract: Contract) -> str:
    value = f"nullif(case when _needs_trim then trim(fields[{index}], ' \t') else fields[{index}] end, '')"
    for token in contract.dialect.null_tokens:  # `case when v in (...)` would compute v twice
        value = f"nullif({value}, {_lit(token)})"
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
    months: list[tuple[str, int]]  # wide_months layout: (month ISO date, 1-based field index)
    unknown: list[str]
    missing_optional: list[Column]
    years: dict[str, dict[int, int]] = field(default_factory=dict)  # wide_years: column -> {year: index}


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
    layout = contract.layout
    yearly = _yearly_labels(header, layout)
    years: dict[str, dict[int, int]] = {}
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
        by_year = next((yearly[n.lower()] for n in names if n.lower() in yearly), None)
        if found is None and by_year:  # a field repeated once per fiscal year
            years[column.name] = by_year
            used.update(by_year.values())
            continue
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
            columns=sorted(set(missing_required)),
        )

    if layout.get("requiredYearly") and layout["requiredYearly"].lower() not in yearly:
        raise FatalFileError(
            "missing_required_column",
            f"{file_name}: line 1: no yearly column {layout['requiredYearly']!r} YYYY",
        )
    months: list[tuple[str, int]] = []
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
    return _HeaderMap(header, positions, months, unknown, missing_optional, years)


def _yearly_labels(header: list[str], layout: dict) -> dict[str, dict[int, int]]:
    """wide_years layout: lower-cased label without its year -> {year: 1-based field index}."""
    if layout.get("type") != "wide_years":
        return {}
    pattern = re.compile(layout["yearPattern"])
    labels: dict[str, dict[int, int]] = {}
    for position, label in enumerate(header, start=1):
        match = pattern.fullmatch(label)
        if match:
            labels.setdefault(match.group(1).lower(), {})[int(match.group(2))] = position
    return labels


def _build_parse_sql(
    contract: Contract, mapping: _HeaderMap, header_line: int
) -> tuple[str, list[tuple[str, str, str]]]:
    """SQL creating PARSED, and the (code, column, flag column) list of warning flags."""
    split, well_formed = _split_sql(contract)
    n_fields = len(mapping.header)
    raw_cols: list[str] = []
    value_cols: list[str] = []
    invalid_cols: list[str] = []
    reject_cases: list[str] = []
    warning_flags: list[tuple[str, str, str]] = []
    flag_cols: list[str] = []

    def flag(code: str, column: str, condition: str) -> None:
        name = f"_w{len(warning_flags)}"
        warning_flags.append((code, column, name))
        flag_cols.append(f"coalesce({condition}, false) as {name}")

    for column in contract.columns:
        if column.decoder is None or column.name in mapping.years:
            continue
        raw_name = f"_raw_{column.name}"
        position = mapping.positions.get(column.name)
        raw_cols.append(
            f"{_raw_field(position, contract) if position else 'cast(null as varchar)'} as {_q(raw_name)}"
        )
        decoded = decode_column(column, _q(raw_name))
        source = _source_names(column)[0]
        present = f"{_q(raw_name)} is not null"
        invalid = "false"
        if decoded.invalid:  # computed once per line, then read by the value, the rejection, the flags
            invalid = _q(f"_inv_{column.name}")
            invalid_cols.append(f"({present} and coalesce({decoded.invalid}, true)) as {invalid}")
        if column.required:
            missing_code = (
                "invalid_identifier" if decoded.reason == "invalid_identifier" else "missing_required_value"
            )
            if column.options.get("blankAs") is None:  # a blank read as a default (Cd_pro_col) is not missing
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
        elif column.options.get("rejectInvalid"):
            # optional, but a present value must be valid (e.g. the dates of a Sirene history period)
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
    if mapping.years:
        # flat columns, one per (year, field): a list of wide structs per line is ~10x slower to unnest
        cells = ", ".join(
            (_raw_field(by_year[year], contract) if year in by_year else "cast(null as varchar)")
            + f" as {_year_cell(year, index)}"
            for year in _all_years(mapping)
            for index, by_year in enumerate(mapping.years.values())
        )
        months = f", {cells}"
    if mapping.months:
        cells = ", ".join(
            f"{{'periode': DATE {_lit(iso)}, 'valeur': {_raw_field(pos, contract)}}}"
            for iso, pos in mapping.months
        )
        months = f", [{cells}] as _months"

    reject = "case when not _shape_ok then 'wrong_field_count' || chr(31) || " + (
        f"case when not _quoting_ok then 'malformed quoting (unbalanced or misplaced quote)' || "
        f"{_bad_quote_sql(contract, mapping.header)} "
        f"else 'expected {n_fields} fields, found ' || _n_fields end "
        + (" ".join(reject_cases) + " end" if reject_cases else "end")
    )
    sql = f"""
        create or replace temp table {PARSED} as
        with data_lines as (
            select line_number, line, _line_hash from {DATA} where not _reused
        ),
        split as (
            select line_number, line, _line_hash, {split} as fields, {well_formed} as _quoting_ok,
                   {_needs_trim_sql(contract)} as _needs_trim
            from data_lines
        ),
        cells as (
            select line_number, line, _line_hash, _quoting_ok, len(fields) as _n_fields,
                   _quoting_ok and len(fields) = {n_fields} as _shape_ok,
                   {", ".join(raw_cols) if raw_cols else "null as _no_raw"}{months}
            from split
        ),
        checked as (
            select *{", " + ", ".join(invalid_cols) if invalid_cols else ""} from cells
        ),
        decoded as (
            select *, {", ".join(value_cols) if value_cols else "null as _no_value"} from checked
        ),
        derived as (
            select *{", " + ", ".join(transform_cols) if transform_cols else ""} from decoded
        )
        select *, {reject} as _reject, {", ".join(flag_cols) if flag_cols else "null as _no_flag"}
        from derived
    """
    return sql, warning_flags


def _warning_list_sql(warning_flags: list[tuple[str, str, str]]) -> str:
    """The warnings of a line, as a list of 'code|column' (stored with its rows for reuse)."""
    if not warning_flags:
        return "cast([] as varchar[])"
    items = ", ".join(
        f"case when {name} then {_lit(code + '|' + column)} end" for code, column, name in warning_flags
    )
    return f"list_filter([{items}], lambda x: x is not null)"


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
    """Read the physical lines, transcoding when needed: Windows-1252 fallback on invalid UTF-8, and
    CRLF turned into LF when a file mixes both line endings (DuckDB's reader refuses the mix)."""
    fallback = crlf_to_lf = False
    while True:
        with utf8_text(path, workdir, force_fallback=fallback, crlf_to_lf=crlf_to_lf) as text:
            try:
                _read_lines(con, text.path)
            except duckdb.Error as exc:
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if "unicode" in str(exc).lower():
                    if not (fallback or text.fallback):
                        fallback = True
                        continue
                elif not crlf_to_lf:
                    crlf_to_lf = True
                    continue
                if "invalid state" in message:
                    message = (
                        f"cannot split the file into lines (a carriage return inside a line?): {message}"
                    )
                raise FatalFileError("unreadable", f"{path.name}: {message}") from exc
            report.encoding = text.encoding
            if text.fallback:
                report.add_warning("encoding_fallback", "(fichier)", 1)
            return


def parse_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    path: Path,
    *,
    batch_key: str | None = None,
    file_name: str | None = None,
    sha256: str | None = None,
    size: int | None = None,
    known_lines: str | None = None,
) -> ParseResult:
    """Parse one delivered file into the temp tables LOADED and REJECTED of `con`.

    `known_lines` names a table (`_line_hash`, `_avertissements`, `nb_lignes_sortie`,
    `derniere_periode`) of lines already decoded in the current state: a line whose text is
    identical (same header, same contract version) is not decoded again; it is listed in REUSED and
    counted as loaded with the warnings recorded when it was first decoded.
    """
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
        return _parse_lines(con, contract, report, known_lines)
    except FatalFileError as exc:
        message = exc.message
        if file_name != path.name and message.startswith(path.name + ":"):
            # decoding errors name the file read (the archived copy): name the one delivered
            message = file_name + message[len(path.name) :]
        report.missing_columns.extend(exc.columns)
        return ParseResult(report.fatal(exc.code, message))


def _prepare_data_lines(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    header_line: int,
    header_text: str,
    known_lines: str | None,
) -> None:
    """DATA: the data lines with their identity hash; a line is reused when it is unique in this
    file and already decoded, alone, in the current state."""
    seed = hashlib.md5(f"{contract.source}|{contract.version}|{header_text}".encode()).hexdigest()
    con.execute(
        f"""create or replace temp table {DATA} as
            select line_number, line,
                   -- 128 bits from two 64-bit hashes of different inputs (fast; md5 is ~8x slower)
                   (cast(hash(line) as uhugeint) << 64) | cast(hash(? || line) as uhugeint) as _line_hash,
                   false as _reused
            from {LINES}
            where line_number > ? and line is not null and regexp_matches(line, '[^ \t]')""",
        [seed, header_line],
    )
    if known_lines:
        # two simple statements: DuckDB plans them far better than one query mixing both tests
        con.execute(
            f"""create or replace temp table _sf_duplicates as
                select _line_hash from {DATA} group by _line_hash having count(*) > 1"""
        )
        con.execute(
            f"""update {DATA} set _reused = true
                where _line_hash in (select _line_hash from {known_lines})
                  and _line_hash not in (select _line_hash from _sf_duplicates)"""
        )
        con.execute("drop table _sf_duplicates")


def _count_reused(con: duckdb.DuckDBPyConnection, report: LoadReport, known_lines: str) -> None:
    reused, rows, last = con.sql(
        f"""select count(*), coalesce(sum(k.nb_lignes_sortie), 0), max(k.derniere_periode)
            from {REUSED} d join {known_lines} k using (_line_hash)"""
    ).fetchall()[0]
    report.lines_loaded += reused
    report.lines_read += reused
    report.rows_out += rows
    if last and (
        report.derniere_periode_renseignee is None or last.isoformat() > report.derniere_periode_renseignee
    ):
        report.derniere_periode_renseignee = last.isoformat()
    for item, count in con.sql(
        f"""select w, count(*) from (
                select unnest(k._avertissements) as w from {REUSED} d join {known_lines} k using (_line_hash)
            ) group by w order by w"""
    ).fetchall():
        code, _, column = item.partition("|")
        report.add_warning(code, column, int(count))


def _parse_lines(
    con: duckdb.DuckDBPyConnection, contract: Contract, report: LoadReport, known_lines: str | None = None
) -> ParseResult:
    first = con.sql(
        f"select line_number, line from {LINES} where line is not null and regexp_matches(line, '[^ \t]') "
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

    _prepare_data_lines(con, contract, header_line, header_text, known_lines)
    # Each copy of the file is dropped once the next one exists: held at once (lines, data lines,
    # parsed cells), the national contribution and debit files parsed side by side spilled over
    # 40 GB of temp storage.
    report.lines_blank = con.sql(
        f"select count(*) from {LINES} where line is null or not regexp_matches(line, '[^ \t]')"
    ).fetchall()[0][0]
    con.execute(f"drop table {LINES}")
    sql, warning_flags = _build_parse_sql(contract, mapping, header_line)
    con.execute(sql)
    con.execute(f"create or replace temp table {REUSED} as select _line_hash from {DATA} where _reused")
    con.execute(f"drop table {DATA}")
    read, rejected = con.sql(
        f"select count(*), count(*) filter (where _reject is not null) from {PARSED}"
    ).fetchall()[0]
    report.lines_read, report.lines_rejected = read, rejected
    report.lines_loaded = read - rejected
    total = read + con.sql(f"select count(*) from {REUSED}").fetchall()[0][0]
    if total == 0 and contract.is_stock:
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
    _materialise_loaded(con, contract, report, mapping, _warning_list_sql(warning_flags))
    if known_lines:
        _count_reused(con, report, known_lines)
    report.check_invariant()
    return ParseResult(report, LOADED, REJECTED)


def _all_years(mapping: _HeaderMap) -> list[int]:
    return sorted({year for by_year in mapping.years.values() for year in by_year})


def _year_cell(year: int, index: int) -> str:
    """The PARSED column holding the raw text of the index-th yearly field for that year."""
    return f"_y{year}_{index}"


def _materialise_years(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    report: LoadReport,
    mapping: _HeaderMap,
    line_warnings: str,
) -> None:
    """wide_years: one row per line and fiscal year with at least one non-empty yearly field."""
    columns = _output_columns(contract)
    year_column = contract.layout["yearColumn"]
    yearly = [c for c in columns if c.name in mapping.years]
    static = [c for c in columns if c.name not in mapping.years and c.name != year_column]
    raw = {c.name: _q(f"_raw_{c.name}") for c in yearly}
    index_of = {name: index for index, name in enumerate(mapping.years)}
    any_value = " or ".join(f"{raw[c.name]} is not null" for c in yearly)
    per_year = " union all ".join(
        f"""select p.line_number, p._line_hash, {line_warnings} as _avertissements_ligne, {year} as _annee,
                   {", ".join(f"p.{_q(c.name)}" for c in static)},
                   {", ".join(f"p.{_year_cell(year, index_of[c.name])} as {raw[c.name]}" for c in yearly)}
            from {PARSED} p where p._reject is null"""
        for year in _all_years(mapping)
    )
    con.execute(f"create or replace temp table _sf_cells as select * from ({per_year}) where {any_value}")
    values, flags = [], []
    for column in yearly:
        decoded = decode_column(column, raw[column.name])
        invalid = (
            f"({raw[column.name]} is not null and coalesce({decoded.invalid}, true))"
            if decoded.invalid
            else "false"
        )
        values.append(
            f"cast(case when {invalid} then null else {decoded.value} end as {column.physical_type})"
        )
        source = _source_names(column)[0]
        flags.append(("invalid_optional_value", source + " AAAA", invalid))
        flags.extend(
            (code, source + " AAAA", f"not {invalid} and ({cond})") for code, cond in decoded.warnings
        )
    cell_items = ", ".join(
        f"case when coalesce({cond}, false) then {_lit(code + '|' + column)} end"
        for code, column, cond in flags
    )
    if flags:
        sums = ", ".join(f"count(*) filter (where coalesce({cond}, false))" for _, _, cond in flags)
        counts = con.sql(f"select {sums} from _sf_cells").fetchall()[0]
        for (code, column, _), count in zip(flags, counts, strict=True):
            report.add_warning(code, column, int(count))
    value_of = {c.name: v for c, v in zip(yearly, values, strict=True)}
    select = ", ".join(
        f"{value_of[c.name]} as {_q(c.name)}"
        if c.name in value_of
        else f"cast(_annee as {c.physical_type}) as {_q(c.name)}"
        if c.name == year_column
        else f"cast({_q(c.name)} as {c.physical_type}) as {_q(c.name)}"
        for c in columns
    )
    cell_list = f"list_filter([{cell_items}], lambda x: x is not null)" if flags else "cast([] as varchar[])"
    # a line's warnings (its own and those of all its yearly cells) are stored on each of its rows
    con.execute(
        f"""create or replace temp table _sf_cell_warnings as
            select line_number, flatten(list({cell_list} order by _annee)) as cellules
            from _sf_cells group by line_number"""
    )
    con.execute(
        f"""create or replace temp table {LOADED} as
            select {select}, c.line_number as _line_number, c._line_hash,
                   list_concat(c._avertissements_ligne, w.cellules) as _avertissements
            from _sf_cells c join _sf_cell_warnings w using (line_number)"""
    )
    con.execute("drop table if exists _sf_cell_warnings")


def _materialise_months(
    con: duckdb.DuckDBPyConnection, contract: Contract, report: LoadReport, line_warnings: str
) -> None:
    """wide_months: one row per line and month with a value; an empty cell gives no row, an
    invalid cell gives no row and a warning, and never rejects the line."""
    columns = _output_columns(contract)
    layout = contract.layout
    period, value = layout["periodColumn"], layout["valueColumn"]
    keys = [c for c in columns if c.name not in (period, value)]
    # fast path for plain digits; thousands separators, decimals and junk take the slow path
    cleaned = "regexp_replace(m.valeur, '[ \u00a0\u202f]', '', 'g')"
    slow_number = (
        f"case when regexp_full_match({cleaned}, '[0-9]+([.][0-9]+)?') "
        f"then try_cast(regexp_extract({cleaned}, '^[0-9]+') as integer) end"
    )
    con.execute(
        f"""create or replace temp table _sf_cells as
            select p.line_number, p._line_hash, {line_warnings} as _avertissements_ligne,
                   m.periode, m.valeur, regexp_full_match(m.valeur, '[0-9]{{1,9}}') as simple,
                   case when simple then cast(m.valeur as integer) else {slow_number} end as number,
                   {", ".join(f"cast(p.{_q(c.name)} as {c.physical_type}) as {_q(c.name)}" for c in keys)}
            from {PARSED} p, unnest(p._months) as u(m)
            where p._reject is null and m.valeur is not null"""
    )
    con.execute(
        """create or replace temp table _sf_cell_warnings as
           select line_number,
                  list(case when number is null then 'invalid_optional_value|(cellules mensuelles)'
                            else 'integer_truncated|(cellules mensuelles)' end) as cellules,
                  count(*) filter (where number is null) as invalides,
                  count(*) filter (where number is not null) as tronquees
           from _sf_cells
           where not simple
             and (number is null or regexp_full_match(replace(valeur, ' ', ''), '.*[.][0-9]*[1-9][0-9]*'))
           group by line_number"""
    )
    invalid, truncated = con.sql(
        "select coalesce(sum(invalides), 0), coalesce(sum(tronquees), 0) from _sf_cell_warnings"
    ).fetchall()[0]
    report.add_warning("invalid_optional_value", "(cellules mensuelles)", int(invalid))
    report.add_warning("integer_truncated", "(cellules mensuelles)", int(truncated))
    select = ", ".join(
        f"c.periode as {_q(c.name)}"
        if c.name == period
        else f"c.number as {_q(c.name)}"
        if c.name == value
        else f"c.{_q(c.name)}"
        for c in columns
    )
    con.execute(
        f"""create or replace temp table {LOADED} as
            select {select}, c.line_number as _line_number, c._line_hash,
                   list_concat(c._avertissements_ligne, coalesce(w.cellules, [])) as _avertissements
            from _sf_cells c left join _sf_cell_warnings w using (line_number)
            where c.number is not null"""
    )
    last = con.sql(f"select max({_q(period)}) from {LOADED}").fetchall()[0][0]
    report.derniere_periode_renseignee = last.isoformat() if last else None
    con.execute("drop table if exists _sf_cell_warnings")


def _materialise_loaded(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    report: LoadReport,
    mapping: _HeaderMap,
    line_warnings: str,
) -> None:
    columns = _output_columns(contract)
    layout = contract.layout
    if layout.get("type") == "wide_years":
        _materialise_years(con, contract, report, mapping, line_warnings)
    elif layout.get("type") == "wide_months":
        _materialise_months(con, contract, report, line_warnings)
    else:
        select = ", ".join(f"cast({_q(c.name)} as {c.physical_type}) as {_q(c.name)}" for c in columns)
        con.execute(
            f"""create or replace temp table {LOADED} as
                select {select}, line_number as _line_number, _line_hash, {line_warnings} as _avertissements
                from {PARSED} where _reject is null"""
        )
    report.rows_out = con.sql(f"select count(*) from {LOADED}").fetchall()[0][0]
    con.execute(f"drop table if exists {PARSED}")
    con.execute("drop table if exists _sf_cells")
