"""The model's part of the asset graph: what depends on what, and which check blocks what."""

from __future__ import annotations

import dagster as dg


def test_model_assets_are_chained_and_gated_by_a_blocking_promotion_check():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()

    def parents(key: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey.from_user_string(key)).parent_keys}

    assert "marts/fct_panel_entreprise_mois" in parents("ml/jeu_entrainement")
    assert parents("ml/modele") == {"ml/jeu_entrainement"}
    assert parents("ml/evaluation") == {"ml/modele"}
    assert parents("ml/scores") == {"ml/modele"}
    assert parents("ml/explications") == {"ml/scores"}
    assert parents("ml/drapeaux_listes") == {"marts/mart_liste_detection"}
    assert {"ml/drapeaux_listes", "ml/explications", "marts/mart_liste_detection"} <= parents(
        "serving/serving_duckdb"
    )

    checks = {key.name: key for key in graph.asset_check_keys}
    assert checks["promotion"].asset_key == dg.AssetKey(["ml", "modele"])
    assert checks["additivite_contributions"].asset_key == dg.AssetKey(["ml", "scores"])
    blocking = {spec.name for spec in (c for a in defs.asset_checks for c in a.check_specs) if spec.blocking}
    assert {"promotion", "additivite_contributions"} <= blocking
    assert "raisons_alertes" not in blocking  # a company may get fewer than 3 reasons (model.md §8.4)

    job = defs.resolve_job_def("pipeline_complet")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"ml/jeu_entrainement", "ml/modele", "ml/evaluation", "ml/scores", "ml/explications"} <= selected
    assert {"ml/drapeaux_listes", "serving/serving_duckdb"} <= selected
    assert {checks["promotion"], checks["additivite_contributions"]} <= set(
        job.asset_layer.asset_graph.asset_check_keys
    )
