"""Raw ingestion: one asset per source, whose data version is the content hash of its input files.

The sources are materialised by one subsettable multi-asset so that two of them load at the same
time (two cores); each materialization loads only the files not loaded yet (raw-sources §8):
re-delivering an identical file adds nothing and keeps the data version.
"""

from pathlib import Path

import dagster as dg

from orchestration.ingestion.landing import scan_landing
from orchestration.ingestion.loader import SourceIngestion, ingest_sources
from orchestration.ingestion.warehouse import FILES_TABLE, output_columns
from orchestration.resources import PlatformPaths, Warehouse
from orchestration.sources.contract import Contract, all_contracts

GROUP = "ingestion"


def raw_asset_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source])


def _metadata(contract: Contract, ingestion: SourceIngestion) -> dict[str, dg.MetadataValue]:
    new = ingestion.new_files
    latest = new[-1].report if new and new[-1].report else None
    return {
        "fichiers_nouveaux": dg.MetadataValue.int(len(new)),
        "fichiers_deja_charges": dg.MetadataValue.int(len(ingestion.outcomes) - len(new)),
        "lignes_lues": dg.MetadataValue.int(sum(o.report.lines_read for o in new if o.report)),
        "lignes_chargees": dg.MetadataValue.int(sum(o.report.lines_loaded for o in new if o.report)),
        "lignes_rejetees": dg.MetadataValue.int(sum(o.report.lines_rejected for o in new if o.report)),
        "lignes_etat_courant": dg.MetadataValue.int(ingestion.rows_current),
        "sha256_dernier_fichier": dg.MetadataValue.text(latest.sha256 if latest else ""),
        "taille_dernier_fichier": dg.MetadataValue.int(latest.size if latest else 0),
        "version_contrat": dg.MetadataValue.text(contract.version),
        "statuts": dg.MetadataValue.json({f"{o.batch_key}/{o.file_name}": o.status for o in new}),
        "reconstruit_depuis_lot": dg.MetadataValue.text(ingestion.rebuilt_from or ""),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, column_type) for name, column_type in output_columns(contract)]
        ),
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
                metadata=_metadata(contract, ingestion),
                data_version=dg.DataVersion(ingestion.data_version),
            )


files_registry = dg.AssetSpec(
    key=dg.AssetKey(["raw", "files"]),
    group_name=GROUP,
    description=f"{FILES_TABLE}: one row per delivered file version, written by every raw asset.",
    kinds={"duckdb"},
)
