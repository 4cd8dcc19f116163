"""Load the delivered files of one source into the warehouse (raw-sources §2.7 and §8).

- Idempotent: a file whose SHA-256 is already loaded for the same source and batch is skipped.
- Every file version is archived before it is read; rejected lines go to the quarantine table.
- Flux sources append; a corrected re-delivery (same name, same batch, new content) supersedes the
  earlier version, whose rows stay in the table (flagged through `raw.files.superseded`).
- Stock sources replace the state: each applied batch closes the row versions that disappeared or
  changed (`_valid_to_batch`) and inserts the new ones. A late or corrected batch rolls the state
  back to before it and replays the later batches from the archive, so the state as of any batch
  only depends on the batches up to it, whatever the loading order.
- A stock file that is fatal or whose rejected share exceeds the threshold is held back: its rows
  go to `<table>__held_back` for inspection and the state is unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.ingestion.archive import archive_file
from orchestration.ingestion.landing import DeliveredFile
from orchestration.ingestion.warehouse import (
    FILES_TABLE,
    QUARANTINE_TABLE,
    ensure_raw_schema,
    held_back_table,
    output_columns,
)
from orchestration.sources.contract import Contract
from orchestration.sources.parser import LOADED, REJECTED, REUSED, parse_file
from orchestration.sources.reading import file_digest
from orchestration.sources.report import (
    STATUS_FATAL,
    STATUS_HELD_BACK,
    STATUS_LOADED,
    LoadReport,
)

log = logging.getLogger(__name__)


@dataclass
class FileOutcome:
    file_name: str
    batch_key: str
    sha256: str
    status: str  # loaded, held_back, fatal, or skipped (already loaded)
    report: LoadReport | None = None


@dataclass
class SourceIngestion:
    source: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    data_version: str = ""
    rows_current: int = 0
    rebuilt_from: str | None = None

    @property
    def new_files(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status != "skipped"]


def _q(name: str) -> str:
    return '"' + name + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _known_digest(con: duckdb.DuckDBPyConnection, file: DeliveredFile) -> tuple[str, int]:
    """SHA-256 of a landing file, reusing the one recorded for the same path, size and mtime."""
    stat = file.path.stat()
    rows = con.execute(
        f"select sha256 from {FILES_TABLE} where landing_path = ? and size_bytes = ? "
        "and landing_mtime_ns = ? limit 1",
        [str(file.path), stat.st_size, stat.st_mtime_ns],
    ).fetchall()
    if rows:
        return rows[0][0], stat.st_size
    return file_digest(file.path)


def _already_loaded(con: duckdb.DuckDBPyConnection, source: str, batch_key: str, sha256: str) -> bool:
    return bool(
        con.execute(
            f"select 1 from {FILES_TABLE} where source = ? and batch_key = ? and sha256 = ? limit 1",
            [source, batch_key, sha256],
        ).fetchall()
    )


def _record_file(
    con: duckdb.DuckDBPyConnection,
    file: DeliveredFile,
    report: LoadReport,
    *,
    archive: Path | None,
    status: str,
    applied: bool,
    now: dt.datetime,
) -> None:
    stat = file.path.stat()
    last = report.derniere_periode_renseignee
    con.execute(
        f"""insert into {FILES_TABLE} (source, batch_key, file_name, inner_name, sha256,
                size_bytes, archive_path, landing_path, landing_mtime_ns, status, applied, superseded,
                contract_version, lines_read, lines_blank, lines_loaded, lines_rejected, rows_out,
                rejected_share, derniere_periode_renseignee, report, ingested_at)
            values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            report.source,
            file.batch_key,
            file.name,
            file.inner_name,
            report.sha256,
            report.size,
            str(archive) if archive else None,
            str(file.path),
            stat.st_mtime_ns,
            status,
            applied,
            report.contract_version,
            report.lines_read,
            report.lines_blank,
            report.lines_loaded,
            report.lines_rejected,
            report.rows_out,
            report.rejected_share,
            dt.date.fromisoformat(last) if last else None,
            report.to_json(),
            now,
        ],
    )


def _lineage_select(contract: Contract) -> str:
    columns = ", ".join(_q(name) for name, _ in output_columns(contract))
    return (
        f"{columns}, ? as _batch_key, ? as _source_file, ? as _file_sha256, _line_number, ? as _ingested_at, "
        "_line_hash, _avertissements"
    )


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    contract: Contract,
    file: DeliveredFile,
    report: LoadReport,
    now: dt.datetime,
    source_table: str = LOADED,
) -> None:
    names = ", ".join(_q(n) for n, _ in output_columns(contract))
    con.execute(
        f"""insert into {table} ({names}, _batch_key, _source_file, _file_sha256, _line_number, _ingested_at,
                                 _line_hash, _avertissements)
            select {_lineage_select(contract)} from {source_table}""",
        [file.batch_key, file.name, report.sha256, now],
    )


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    file: DeliveredFile,
    report: LoadReport,
    now: dt.datetime,
) -> None:
    con.execute(
        f"""insert into {QUARANTINE_TABLE}
            select ?, ?, ?, ?, line_number, raw_line, reason_code, detail, ? from {REJECTED}""",
        [contract.source, file.batch_key, file.name, report.sha256, now],
    )


def _supersede_older_versions(
    con: duckdb.DuckDBPyConnection, source: str, file: DeliveredFile, sha256: str
) -> bool:
    """Mark earlier applied versions of the same file in the same batch; True if there were any."""
    rows = con.execute(
        f"""update {FILES_TABLE} set superseded = true
            where source = ? and batch_key = ? and lower(inner_name) = lower(?) and sha256 <> ?
              and applied and not superseded
            returning load_seq""",
        [source, file.batch_key, file.inner_name, sha256],
    ).fetchall()
    return bool(rows)


def data_version(con: duckdb.DuckDBPyConnection, source: str) -> str:
    """Content hash of everything the source's state is built from (changes iff a file changed)."""
    rows = con.execute(
        f"""select batch_key, lower(inner_name), sha256, status, applied, superseded
            from {FILES_TABLE} where source = ? order by batch_key, lower(inner_name), sha256""",
        [source],
    ).fetchall()
    return hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()


# --- stock state ------------------------------------------------------------------------------


def _effective_stock_files(con: duckdb.DuckDBPyConnection, contract: Contract, batch_key: str) -> list[tuple]:
    """Applied, not superseded files of a batch (the geocoded Sirene file supersedes the plain one)."""
    rows = con.execute(
        f"""select inner_name, sha256, archive_path, file_name from {FILES_TABLE}
            where source = ? and batch_key = ? and applied and not superseded
            order by load_seq""",
        [contract.source, batch_key],
    ).fetchall()
    rule = contract.raw.get("customProperties", [])
    supersedes = next((p["value"] for p in rule if p["property"] == "supersedes"), None)
    if supersedes:
        names = {r[0].lower() for r in rows}
        if supersedes["preferred"] in names:
            rows = [r for r in rows if r[0].lower() != supersedes["superseded"]]
    return rows


KNOWN = "_sf_known"


def _refresh_known_lines(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Lines of the current state that a new stock file may reuse without decoding them again:
    those whose rows all come from one physical line (duplicated lines are always decoded)."""
    last = '"periode"' if contract.layout.get("type") == "wide_months" else "cast(null as date)"
    con.execute(
        f"""create or replace temp table {KNOWN} as
            select _line_hash, any_value(_avertissements) as _avertissements,
                   count(*) as nb_lignes_sortie, max({last}) as derniere_periode
            from {contract.table}
            where _valid_to_batch is null and _line_hash is not null
            group by _line_hash
            having count(distinct (_file_sha256, _line_number)) = 1"""
    )


def _stash_parsed(con: duckdb.DuckDBPyConnection, sha256: str) -> tuple[str, str]:
    """Keep the parse results of a stock file until its batch is applied (renamed, not copied)."""
    loaded, reused = f"_sf_stock_{sha256[:16]}", f"_sf_reused_{sha256[:16]}"
    for name in (loaded, reused):
        con.execute(f"drop table if exists {name}")
    con.execute(f"alter table {LOADED} rename to {loaded}")
    con.execute(f"alter table {REUSED} rename to {reused}")
    return loaded, reused


def _drop_stashed(con: duckdb.DuckDBPyConnection, stashed: dict[str, tuple[str, str]]) -> None:
    for loaded, reused in stashed.values():
        con.execute(f"drop table if exists {loaded}")
        con.execute(f"drop table if exists {reused}")


def _stage_batch_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch_key: str,
    parsed: dict[str, tuple[str, str]],
    now: dt.datetime,
) -> bool:
    """Create `_sf_batch` (the rows decoded from the batch's effective files) and `_sf_batch_reused`
    (the lines those files share with the current state). False if the batch has no effective file."""
    files = _effective_stock_files(con, contract, batch_key)
    if not files:
        return False
    names = ", ".join(_q(n) for n, _ in output_columns(contract))
    decoded, reused_parts = [], []
    for inner, sha256, archive, file_name in files:
        tables = parsed.get(sha256)
        if tables is None:  # replaying an older batch: parse its archived copy again
            _refresh_known_lines(con, contract)
            result = parse_file(
                con,
                contract,
                Path(archive),
                batch_key=batch_key,
                file_name=file_name,
                sha256=sha256,
                size=Path(archive).stat().st_size,
                known_lines=KNOWN,
            )
            tables = _stash_parsed(con, sha256)
            parsed[sha256] = tables
            log.info(
                "replayed %s %s from the archive (%s rows)", contract.source, inner, result.report.rows_out
            )
        loaded, reused = tables
        decoded.append(
            f"select {names}, {_lit(batch_key)} as _batch_key, {_lit(file_name)} as _source_file, "
            f"{_lit(sha256)} as _file_sha256, _line_number, cast(? as timestamp) as _ingested_at, "
            f"_line_hash, _avertissements from {loaded}"
        )
        reused_parts.append(f"select _line_hash from {reused}")
    con.execute(
        f"""create or replace temp table _sf_batch as
            select *, hash({names}) as _row_hash, 1 as _row_occurrence
            from ({" union all ".join(decoded)})""",
        [now] * len(decoded),
    )
    _number_duplicates(con, "_sf_batch", "_row_occurrence")
    con.execute(f"create or replace temp table _sf_batch_reused as {' union '.join(reused_parts)}")
    return True


def _number_duplicates(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    """Number identical rows (same hash) 1, 2, ... in file order, so each copy has its own identity;
    only the rare duplicated hashes are sorted."""
    con.execute(
        f"""update {table} set {column} = d.occurrence
            from (select rowid as rid,
                         cast(row_number() over (partition by _row_hash order by _source_file, _line_number)
                              as integer) as occurrence
                  from {table}
                  where _row_hash in (select _row_hash from {table} group by _row_hash having count(*) > 1)) d
            where {table}.rowid = d.rid"""
    )


def _apply_stock_batch(con: duckdb.DuckDBPyConnection, contract: Contract, batch_key: str) -> None:
    """Move the current state to the batch's: rows of reused lines stay as they are; among the other
    current rows (the candidates), those whose content the batch re-delivers stay too; the others are
    closed at this batch; decoded rows matching no candidate are inserted."""
    table = contract.table
    con.execute(
        f"""create or replace temp table _sf_candidates as
            select rowid as _rid, _row_hash, _source_file, _line_number, 1 as _occurrence
            from {table}
            where _valid_to_batch is null
              and (_line_hash is null or _line_hash not in (select _line_hash from _sf_batch_reused))"""
    )
    _number_duplicates(con, "_sf_candidates", "_occurrence")
    # the row hash covers every output column (the key included): a single-column hash join
    match = "n._row_hash = c._row_hash and n._row_occurrence = c._occurrence"
    con.execute(
        f"""update {table} set _valid_to_batch = ?
            where rowid in (select c._rid from _sf_candidates c
                            where not exists (select 1 from _sf_batch n where {match}))""",
        [batch_key],
    )
    columns = ", ".join(_q(n) for n in con.sql("select * from _sf_batch").columns)
    con.execute(
        f"""insert into {table} ({columns})
            select {columns} from _sf_batch n
            where not exists (select 1 from _sf_candidates c where {match})"""
    )
    con.execute("drop table if exists _sf_candidates")


def _rollback_stock(con: duckdb.DuckDBPyConnection, contract: Contract, batch_key: str) -> None:
    con.execute(f"delete from {contract.table} where _batch_key >= ?", [batch_key])
    con.execute(f"update {contract.table} set _valid_to_batch = null where _valid_to_batch >= ?", [batch_key])


def _applied_batches(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            f"select distinct batch_key from {FILES_TABLE} where source = ? and applied order by 1",
            [source],
        ).fetchall()
    ]


def _state_max_batch(con: duckdb.DuckDBPyConnection, contract: Contract) -> str | None:
    return con.execute(f"select max(_batch_key) from {contract.table}").fetchall()[0][0]


def _load_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    file: DeliveredFile,
    archive_dir: Path,
    stock_threshold: float,
    now: dt.datetime,
    progress: Callable[[str], None] | None,
) -> tuple[FileOutcome, tuple[str, str] | None, bool]:
    """Archive, parse and record one file; returns its outcome, the temp tables of its decoded rows
    and reused lines when it is an applied stock file, and whether it supersedes an earlier version.

    A stock file reuses the lines already decoded in the current state (see parser.parse_file)."""
    sha256, size = _known_digest(con, file)
    if _already_loaded(con, contract.source, file.batch_key, sha256):
        return FileOutcome(file.name, file.batch_key, sha256, "skipped"), None, False
    if progress:
        progress(f"{contract.source}: {file.batch_key}/{file.name}")
    archived = archive_file(file.path, archive_dir, contract.source, sha256)

    def parse(known: str | None) -> LoadReport:
        return parse_file(
            con,
            contract,
            archived,
            batch_key=file.batch_key,
            file_name=file.name,
            sha256=sha256,
            size=size,
            known_lines=known,
        ).report

    if contract.is_stock:
        _refresh_known_lines(con, contract)
    report = parse(KNOWN if contract.is_stock else None)
    status = report.status
    if status != STATUS_FATAL:
        _quarantine(con, contract, file, report, now)
        if contract.is_stock and report.rejected_share > stock_threshold:
            status = report.status = STATUS_HELD_BACK
    applied = status == STATUS_LOADED
    tables = None
    if status == STATUS_HELD_BACK:
        parse(None)  # decode every line again so the held-back table shows the whole file
        _insert_rows(con, held_back_table(contract), contract, file, report, now)
    elif applied and contract.is_stock:
        tables = _stash_parsed(con, sha256)
    elif applied:
        _insert_rows(con, contract.table, contract, file, report, now)
    _record_file(con, file, report, archive=archived, status=status, applied=applied, now=now)
    replaced = applied and _supersede_older_versions(con, contract.source, file, sha256)
    return FileOutcome(file.name, file.batch_key, sha256, status, report), tables, replaced


# --- entry point ------------------------------------------------------------------------------


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    files: list[DeliveredFile],
    archive_dir: Path,
    *,
    stock_threshold: float = 0.05,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> SourceIngestion:
    """Load the source's files that are not loaded yet; returns what happened to each file."""
    now = now or dt.datetime.now().replace(microsecond=0)
    ensure_raw_schema(con, {contract.source: contract})
    result = SourceIngestion(contract.source)
    state_max = _state_max_batch(con, contract) if contract.is_stock else None
    replay_from: str | None = None

    mine = [f for f in files if f.source == contract.source]
    for batch_key in sorted({f.batch_key for f in mine}):
        parsed_stock: dict[str, tuple[str, str]] = {}
        needs_replay = False
        for file in (f for f in mine if f.batch_key == batch_key):
            outcome, tables, replaced = _load_file(
                con, contract, file, archive_dir, stock_threshold, now, progress
            )
            result.outcomes.append(outcome)
            if tables:
                parsed_stock[outcome.sha256] = tables
            if outcome.status == STATUS_LOADED and contract.is_stock:
                needs_replay |= replaced or (state_max is not None and batch_key <= state_max)
        if not parsed_stock:
            continue
        if needs_replay or replay_from is not None:
            # A late or corrected batch: the state is rebuilt from it once every file is recorded.
            replay_from = min(replay_from or batch_key, batch_key)
        else:
            if progress:
                progress(f"{contract.source}: state as of batch {batch_key}")
            if _stage_batch_rows(con, contract, batch_key, parsed_stock, now):
                _apply_stock_batch(con, contract, batch_key)
            state_max = batch_key
        _drop_stashed(con, parsed_stock)

    if replay_from is not None:
        result.rebuilt_from = replay_from
        _rollback_stock(con, contract, replay_from)
        for batch_key in (b for b in _applied_batches(con, contract.source) if b >= replay_from):
            if progress:
                progress(f"{contract.source}: replaying batch {batch_key}")
            replayed: dict[str, tuple[str, str]] = {}
            if _stage_batch_rows(con, contract, batch_key, replayed, now):
                _apply_stock_batch(con, contract, batch_key)
            _drop_stashed(con, replayed)
    con.execute("drop table if exists _sf_batch")
    con.execute("drop table if exists _sf_batch_reused")

    where = " where _valid_to_batch is null" if contract.is_stock else ""
    result.rows_current = con.execute(f"select count(*) from {contract.table}{where}").fetchall()[0][0]
    result.data_version = data_version(con, contract.source)
    return result


def ingest_sources(
    con: duckdb.DuckDBPyConnection,
    contracts: list[Contract],
    files: list[DeliveredFile],
    archive_dir: Path,
    *,
    stock_threshold: float = 0.05,
    workers: int = 2,
    now: dt.datetime | None = None,
) -> Iterator[tuple[Contract, SourceIngestion]]:
    """Load several sources at once, each on its own connection to the same database (DuckDB runs
    their statements in parallel and they touch different tables); yields them as they finish."""
    now = now or dt.datetime.now().replace(microsecond=0)
    ensure_raw_schema(con, {c.source: c for c in contracts})
    # biggest sources first, so that the two workers finish together
    volume = {c.source: sum(f.path.stat().st_size for f in files if f.source == c.source) for c in contracts}
    ordered = sorted(contracts, key=lambda c: -volume[c.source])

    def load(contract: Contract) -> SourceIngestion:
        cursor = con.cursor()
        try:
            return ingest_source(
                cursor, contract, files, archive_dir, stock_threshold=stock_threshold, now=now
            )
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingestion") as pool:
        futures = {pool.submit(load, contract): contract for contract in ordered}
        for future in as_completed(futures):
            yield futures[future], future.result()
