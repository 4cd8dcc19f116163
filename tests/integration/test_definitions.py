"""The Dagster code location loads, and its graph has the shape the platform relies on."""

from __future__ import annotations

import dagster as dg


def test_definitions_load_without_error():
    from orchestration.definitions import defs

    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for expected in (
        "raw/debit",
        "raw/sirene",
        "staging/stg_urssaf_debit",
        "marts/fct_panel_entreprise_mois",
        "ml/modele",
        "ml/scores",
        "marts/mart_liste_detection",
        "serving/serving_duckdb",
    ):
        assert expected in keys
    assert defs.resolve_job_def("pipeline_complet") is not None
    assert defs.resolve_sensor_def("capteur_depot") is not None
    assert defs.resolve_schedule_def("pipeline_mensuel") is not None


def test_every_raw_source_read_by_dbt_reaches_the_published_list():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    serving = dg.AssetKey(["serving", "serving_duckdb"])
    upstream = graph.get(serving).parent_keys
    seen, frontier = set(), set(upstream)
    while frontier:
        key = frontier.pop()
        if key in seen:
            continue
        seen.add(key)
        frontier |= set(graph.get(key).parent_keys)
    read_by_dbt = {
        parent
        for key in graph.get_all_asset_keys()
        if key.path[0] == "staging"
        for parent in graph.get(key).parent_keys
        if parent.path[0] == "raw" and parent.path[1] != "files"
    }
    assert {"debit", "cotisation", "effectif", "procol", "sirene", "sirene_ul"} <= {
        k.path[1] for k in read_by_dbt
    }
    assert read_by_dbt <= seen
