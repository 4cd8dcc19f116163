"""Publication: changes between published lists, then the read-only serving file."""

from pathlib import Path

import dagster as dg

from orchestration.publication.serving import FLAGS_TABLE, build_serving, compute_flags
from orchestration.resources import PlatformPaths, Warehouse


@dg.asset(
    key=dg.AssetKey(["ml", "drapeaux_listes"]),
    group_name="publication",
    deps=[dg.AssetKey(["marts", "mart_liste_detection"])],
    kinds={"duckdb"},
    description=(
        "Per list and company: previous level, first alert, escalation, de-escalation, probability change "
        "and model change against the previous published list (model.md §9, product.md glossary)."
    ),
)
def drapeaux_listes(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        flags = compute_flags(con, "marts.mart_liste_detection")
        con.execute("create schema if not exists ml")
        con.register("drapeaux", flags)
        con.execute(f"create or replace table {FLAGS_TABLE} as select * from drapeaux")
    latest = flags[flags["liste_id"] == flags["liste_id"].max()] if len(flags) else flags
    return dg.MaterializeResult(
        metadata={
            "nb_lignes": len(flags),
            "nb_listes": int(flags["liste_id"].nunique()) if len(flags) else 0,
            "derniere_liste": str(flags["liste_id"].max()) if len(flags) else "",
            "premieres_alertes_derniere_liste": int(latest["premiere_alerte"].sum()),
            "escalades_derniere_liste": int(latest["escalade"].sum()),
            "desescalades_derniere_liste": int(latest["desescalade"].sum()),
        }
    )


@dg.asset(
    key=dg.AssetKey(["serving", "serving_duckdb"]),
    group_name="publication",
    deps=[
        dg.AssetKey(["marts", "mart_liste_detection"]),
        dg.AssetKey(["ml", "drapeaux_listes"]),
        dg.AssetKey(["ml", "explications"]),
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
