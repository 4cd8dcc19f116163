"""Raw ingestion: one asset per source, whose data version is the content hash of its input files.

The sources are materialised by one subsettable multi-asset so that two of them load at the same
time (two cores); each materialization loads only the files not loaded yet (raw-sources §8):
re-delivering an identical file adds nothing and keeps the data version.
"""

from pathlib import Path

import dagster as dg
import duckdb

from orchestration.ingestion.landing import scan_landing
from orchestration.ingestion.loader import SourceIngestion, ingest_sources
from orchestration.ingestion.warehouse import FILES_TABLE, table_columns
from orchestration.resources import PlatformPaths, Warehouse
from orchestration.sources.contract import Contract, all_contracts

GROUP = "ingestion"
NOT_NULL = " NOT NULL"


def raw_asset_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source])


def column_schema(contract: Contract) -> dg.TableSchema:
    """The raw table's columns as created from the contract: output columns, then lineage."""
    descriptions = {column.name: column.description for column in contract.columns}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name,
                column_type.removesuffix(NOT_NULL),
                description=descriptions.get(name) or None,
                constraints=dg.TableColumnConstraints(nullable=not column_type.endswith(NOT_NULL)),
            )
            for name, column_type in table_columns(contract).items()
        ]
    )


def latest_file(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str, int] | None:
    """SHA-256 and size of the source's most recent delivered file, loaded in this run or before."""
    rows = con.execute(
        f"select sha256, size_bytes from {FILES_TABLE} where source = ? "
        "order by batch_key desc, load_seq desc limit 1",
        [source],
    ).fetchall()
    return rows[0] if rows else None


def _metadata(
    contract: Contract, ingestion: SourceIngestion, latest: tuple[str, int] | None
) -> dict[str, dg.MetadataValue]:
    new = ingestion.new_files
    reports = [o.report for o in new if o.report]
    sha256, size = latest or ("", 0)
    return {
        "fichiers_nouveaux": dg.MetadataValue.int(len(new)),
        "fichiers_deja_charges": dg.MetadataValue.int(len(ingestion.outcomes) - len(new)),
        "lignes_lues": dg.MetadataValue.int(sum(r.lines_read for r in reports)),
        "lignes_chargees": dg.MetadataValue.int(sum(r.lines_loaded for r in reports)),
        "lignes_rejetees": dg.MetadataValue.int(sum(r.lines_rejected for r in reports)),
        "lignes_etat_courant": dg.MetadataValue.int(ingestion.rows_current),
        "sha256_dernier_fichier": dg.MetadataValue.text(sha256),
        "taille_dernier_fichier": dg.MetadataValue.int(size),
        "version_contrat": dg.MetadataValue.text(contract.version),
        "statuts": dg.MetadataValue.json({f"{o.batch_key}/{o.file_name}": o.status for o in new}),
        "reconstruit_depuis_lot": dg.MetadataValue.text(ingestion.rebuilt_from or ""),
        "dagster/column_schema": dg.MetadataValue.table_schema(column_schema(contract)),
        "dagster/row_count": dg.MetadataValue.int(ingestion.rows_current),
    }


CONTRACTS = list(all_contracts().values())


@dg.multi_asset(
    name="ingestion_brute",
    specs=[
        dg.AssetSpec(
            raw_asset_key(contract.source),
            group_name=GROUP,
            description=f"{contract.description} Contract data_contracts/{contract.path.name}, mode {contract.mode}.",
            kinds={"duckdb"},
            tags={"source": contract.source, "mode": contract.mode},
            skippable=True,
        )
        for contract in CONTRACTS
    ],
    can_subset=True,
)
def ingestion_brute(context: dg.AssetExecutionContext, warehouse: Warehouse, paths: PlatformPaths):
    """Archive, parse and load every new delivery of the selected sources."""
    selected = [c for c in CONTRACTS if raw_asset_key(c.source) in context.selected_asset_keys]
    files = scan_landing(Path(paths.landing_dir))
    with warehouse.connect() as con:
        loads = ingest_sources(
            con, selected, files, Path(paths.archive_dir), stock_threshold=paths.stock_reject_threshold
        )
        for contract, ingestion in loads:
            for outcome in ingestion.new_files:
                if outcome.report and outcome.status != "loaded":
                    reason = (
                        outcome.report.fatal_reason or f"rejected share {outcome.report.rejected_share:.2%}"
                    )
                    context.log.warning(
                        f"{outcome.batch_key}/{outcome.file_name}: {outcome.status} ({reason})"
                    )
            context.log.info(
                f"{contract.source}: {len(ingestion.new_files)} new file(s), {ingestion.rows_current} current rows"
            )
            yield dg.MaterializeResult(
                asset_key=raw_asset_key(contract.source),
                metadata=_metadata(contract, ingestion, latest_file(con, contract.source)),
                data_version=dg.DataVersion(ingestion.data_version),
            )


files_registry = dg.AssetSpec(
    key=dg.AssetKey(["raw", "files"]),
    group_name=GROUP,
    description=f"{FILES_TABLE}: one row per delivered file version, written by every raw asset.",
    kinds={"duckdb"},
)
