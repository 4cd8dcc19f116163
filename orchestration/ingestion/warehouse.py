"""Raw tables of the warehouse, created from the contracts (never written by hand).

Every raw table holds the contract's output columns plus the lineage columns of raw-sources §2.8.
Stock tables also hold `_valid_to_batch`: a row version is part of the state of batch B when
`_batch_key <= B` and (`_valid_to_batch` is NULL or `_valid_to_batch > B`), so the state as of any
batch can be queried without storing each monthly stock in full.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.settings import load_settings
from orchestration.sources.contract import Contract, all_contracts

LINEAGE_COLUMNS = {
    "_batch_key": "VARCHAR NOT NULL",
    "_source_file": "VARCHAR NOT NULL",
    "_file_sha256": "VARCHAR NOT NULL",
    "_line_number": "INTEGER NOT NULL",
    "_ingested_at": "TIMESTAMP NOT NULL",
    # identity of the delivered line (md5 of header + text) and the warnings it raised: an identical
    # line in a later stock file is not decoded again
    "_line_hash": "UHUGEINT",
    "_avertissements": "VARCHAR[]",
}
STOCK_COLUMNS = {
    "_row_hash": "UBIGINT NOT NULL",
    "_row_occurrence": "INTEGER NOT NULL",
    "_valid_to_batch": "VARCHAR",
}

FILES_TABLE = "raw.files"
QUARANTINE_TABLE = "raw.quarantine"

FILES_DDL = f"""
create table if not exists {FILES_TABLE} (
    load_seq bigint primary key default nextval('raw.files_load_seq'),  -- loading order
    source varchar,
    batch_key varchar not null,
    file_name varchar not null,
    inner_name varchar not null,
    sha256 varchar not null,
    size_bytes bigint not null,
    archive_path varchar,
    landing_path varchar,             -- where it was found, with its size and mtime: avoids re-hashing
    landing_mtime_ns bigint,
    status varchar not null,          -- loaded, held_back, fatal, unrecognised
    applied boolean not null,         -- part of the source's state (stock) or history (flux)
    superseded boolean not null default false,  -- replaced by a later version of the same file
    contract_version varchar,
    lines_read bigint, lines_blank bigint, lines_loaded bigint, lines_rejected bigint, rows_out bigint,
    rejected_share double,
    derniere_periode_renseignee date,
    report json,
    ingested_at timestamp not null
)
"""

QUARANTINE_DDL = f"""
create table if not exists {QUARANTINE_TABLE} (
    source varchar not null,
    batch_key varchar not null,
    file varchar not null,
    file_sha256 varchar not null,
    line_number integer not null,
    raw_line varchar,
    reason_code varchar not null,
    detail varchar,
    ingested_at timestamp not null
)
"""


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """No progress bars on the console of batch jobs."""
    con.execute("set enable_progress_bar = false")
    return con


def duckdb_config() -> dict[str, str]:
    """Settings of every connection to the warehouse: one memory budget for all its processes."""
    return {"memory_limit": load_settings().duckdb_memory_limit}


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    path.parent.mkdir(parents=True, exist_ok=True)
    return quiet(duckdb.connect(str(path), read_only=read_only, config=duckdb_config()))


def output_columns(contract: Contract) -> list[tuple[str, str]]:
    columns = []
    for column in contract.columns:
        if column.options.get("internal"):
            continue
        constraint = " NOT NULL" if column.required else ""
        columns.append((column.name, column.physical_type + constraint))
    return columns


def table_columns(contract: Contract, *, held_back: bool = False) -> dict[str, str]:
    columns = dict(output_columns(contract))
    columns.update(LINEAGE_COLUMNS)
    if contract.is_stock and not held_back:
        columns.update(STOCK_COLUMNS)
    return columns


def held_back_table(contract: Contract) -> str:
    return f"{contract.table}__held_back"


def _ensure_table(con: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    schema, name = table.split(".")
    body = ", ".join(f'"{c}" {t}' for c, t in columns.items())
    con.execute(f"create table if not exists {table} ({body})")
    existing = {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }
    for column, column_type in columns.items():
        if column not in existing:
            # Additive contract change: new columns are NULL for rows loaded before it.
            con.execute(f'alter table {table} add column "{column}" {column_type.replace(" NOT NULL", "")}')


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, contracts: dict[str, Contract] | None = None) -> None:
    con.execute("create schema if not exists raw")
    # a sequence, not max()+1: sources may be loaded concurrently by several connections
    con.execute("create sequence if not exists raw.files_load_seq")
    con.execute(FILES_DDL)
    con.execute(QUARANTINE_DDL)
    for contract in (contracts or all_contracts()).values():
        _ensure_table(con, contract.table, table_columns(contract))
        if contract.is_stock:
            _ensure_table(con, held_back_table(contract), table_columns(contract, held_back=True))
