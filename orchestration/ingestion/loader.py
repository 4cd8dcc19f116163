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
from collections.abc import Callable
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
from orchestration.sources.parser import LOADED, REJECTED, parse_file
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
        f"""insert into {FILES_TABLE} (load_seq, source, batch_key, file_name, inner_name, sha256,
                size_bytes, archive_path, landing_path, landing_mtime_ns, status, applied, superseded,
                contract_version, lines_read, lines_blank, lines_loaded, lines_rejected, rows_out,
                rejected_share, derniere_periode_renseignee, report, ingested_at)
            select coalesce(max(load_seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?, ?,
                   ?, ?, ?, ?, ?, ?
            from {FILES_TABLE}""",
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
        f"{columns}, ? as _batch_key, ? as _source_file, ? as _file_sha256, _line_number, ? as _ingested_at"
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
        f"""insert into {table} ({names}, _batch_key, _source_file, _file_sha256, _line_number, _ingested_at)
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


def _stage_batch_rows(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch_key: str,
    parsed: dict[str, str],
    now: dt.datetime,
) -> bool:
    """Create `_sf_batch` with the union of the batch's effective files; False if it has none."""
    files = _effective_stock_files(con, contract, batch_key)
    if not files:
        return False
    names = ", ".join(_q(n) for n, _ in output_columns(contract))
    parts = []
    for inner, sha256, archive, file_name in files:
        table = parsed.get(sha256)
        if table is None:  # replaying an older batch: parse its archived copy again
            result = parse_file(
                con,
                contract,
                Path(archive),
                batch_key=batch_key,
                file_name=file_name,
                sha256=sha256,
                size=Path(archive).stat().st_size,
            )
            table = f"_sf_stock_{sha256[:16]}"
            con.execute(f"create or replace temp table {table} as select * from {LOADED}")
            parsed[sha256] = table
            log.info(
                "replayed %s %s from the archive (%s rows)", contract.source, inner, result.report.rows_out
            )
        parts.append(
            f"select {names}, {_lit(batch_key)} as _batch_key, {_lit(file_name)} as _source_file, "
            f"{_lit(sha256)} as _file_sha256, _line_number from {table}"
        )
    key = ", ".join(_q(k) for k in contract.natural_key) or names
    con.execute(
        f"""create or replace temp table _sf_batch as
            select *, cast(? as timestamp) as _ingested_at,
                   hash({names}) as _row_hash,
                   cast(row_number() over (partition by {key}, hash({names})
                                           order by _source_file, _line_number) as integer) as _row_occurrence
            from ({" union all ".join(parts)})""",
        [now],
    )
    return True


def _apply_stock_batch(con: duckdb.DuckDBPyConnection, contract: Contract, batch_key: str) -> None:
    """Turn the current state into `_sf_batch`: close vanished row versions, insert new ones."""
    table = contract.table
    match = " and ".join(
        [f"n.{_q(k)} is not distinct from c.{_q(k)}" for k in contract.natural_key]
        + ["n._row_hash = c._row_hash", "n._row_occurrence = c._row_occurrence"]
    )
    con.execute(
        f"""create or replace temp table _sf_insert as
            select n.* from _sf_batch n
            where not exists (select 1 from {table} c where c._valid_to_batch is null and {match})"""
    )
    con.execute(
        f"""update {table} as c set _valid_to_batch = ?
            where c._valid_to_batch is null
              and not exists (select 1 from _sf_batch n where {match})""",
        [batch_key],
    )
    columns = ", ".join(_q(n) for n in con.sql("select * from _sf_insert").columns)
    con.execute(f"insert into {table} ({columns}) select {columns} from _sf_insert")
    con.execute("drop table if exists _sf_insert")


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
) -> tuple[FileOutcome, str | None, bool]:
    """Archive, parse and record one file; returns its outcome, the temp table of its rows when it
    is an applied stock file, and whether it supersedes an earlier version."""
    sha256, size = _known_digest(con, file)
    if _already_loaded(con, contract.source, file.batch_key, sha256):
        return FileOutcome(file.name, file.batch_key, sha256, "skipped"), None, False
    if progress:
        progress(f"{contract.source}: {file.batch_key}/{file.name}")
    archived = archive_file(file.path, archive_dir, contract.source, sha256)
    report = parse_file(
        con, contract, archived, batch_key=file.batch_key, file_name=file.name, sha256=sha256, size=size
    ).report
    status = report.status
    if status != STATUS_FATAL:
        _quarantine(con, contract, file, report, now)
        if contract.is_stock and report.rejected_share > stock_threshold:
            status = report.status = STATUS_HELD_BACK
    applied = status == STATUS_LOADED
    table = None
    if status == STATUS_HELD_BACK:
        _insert_rows(con, held_back_table(contract), contract, file, report, now)
    elif applied and contract.is_stock:
        table = f"_sf_stock_{sha256[:16]}"
        con.execute(f"create or replace temp table {table} as select * from {LOADED}")
    elif applied:
        _insert_rows(con, contract.table, contract, file, report, now)
    _record_file(con, file, report, archive=archived, status=status, applied=applied, now=now)
    replaced = applied and _supersede_older_versions(con, contract.source, file, sha256)
    return FileOutcome(file.name, file.batch_key, sha256, status, report), table, replaced


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
        parsed_stock: dict[str, str] = {}
        needs_replay = False
        for file in (f for f in mine if f.batch_key == batch_key):
            outcome, table, replaced = _load_file(
                con, contract, file, archive_dir, stock_threshold, now, progress
            )
            result.outcomes.append(outcome)
            if table:
                parsed_stock[outcome.sha256] = table
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
        for table in parsed_stock.values():
            con.execute(f"drop table if exists {table}")

    if replay_from is not None:
        result.rebuilt_from = replay_from
        _rollback_stock(con, contract, replay_from)
        for batch_key in (b for b in _applied_batches(con, contract.source) if b >= replay_from):
            if progress:
                progress(f"{contract.source}: replaying batch {batch_key}")
            replayed: dict[str, str] = {}
            if _stage_batch_rows(con, contract, batch_key, replayed, now):
                _apply_stock_batch(con, contract, batch_key)
            for table in replayed.values():
                con.execute(f"drop table if exists {table}")
    con.execute("drop table if exists _sf_batch")

    where = " where _valid_to_batch is null" if contract.is_stock else ""
    result.rows_current = con.execute(f"select count(*) from {contract.table}{where}").fetchall()[0][0]
    result.data_version = data_version(con, contract.source)
    return result
