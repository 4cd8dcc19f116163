"""Publication: the read-only serving file for the dashboard and the analysts."""

from pathlib import Path

import dagster as dg

from orchestration.publication.serving import build_serving
from orchestration.resources import PlatformPaths, Warehouse


@dg.asset(
    key=dg.AssetKey(["serving", "serving_duckdb"]),
    group_name="publication",
    deps=[
        dg.AssetKey(["marts", "mart_liste_detection"]),
        dg.AssetKey(["reference", "ref_departements"]),
        dg.AssetKey(["reference", "ref_regions"]),
        dg.AssetKey(["reference", "ref_naf"]),
        dg.AssetKey(["reference", "ref_themes"]),
    ],
    kinds={"duckdb"},
    description="serving.duckdb: meta, reference and publication schemas, swapped in atomically.",
)
def serving_duckdb(warehouse: Warehouse, paths: PlatformPaths) -> dg.MaterializeResult:
    summary = build_serving(Path(warehouse.path), Path(paths.serving_path))
    return dg.MaterializeResult(
        metadata={
            "chemin": str(summary.path),
            "nb_listes": summary.lists,
            "derniere_liste": summary.latest_list or "",
            "lignes": dg.MetadataValue.json(summary.rows),
        }
    )
