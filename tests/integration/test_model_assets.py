"""The model assets on the tiny synthetic economy: training set, candidate model and its blocking
promotion check, backtest evaluation against the oracle, scores, explanations, list flags, serving."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.integration.pipeline_harness import TEST_ITERATIONS, PlatformDirs, generate_tiny

pytestmark = pytest.mark.slow


def materialize(
    dirs: PlatformDirs, instance: dg.DagsterInstance, selection: dg.AssetSelection, max_iterations: int
) -> dg.ExecuteInProcessResult:
    """The assets (and their checks) of `selection` on the tiny platform, as the harness wires them."""
    os.environ["SF_WAREHOUSE_PATH"] = str(dirs.warehouse)  # read by the dbt subprocess
    from orchestration.assets.dbt import dbt_project
    from orchestration.definitions import defs
    from orchestration.resources import PlatformPaths, Warehouse, dbt_resource

    return dg.materialize(
        [*defs.assets, *defs.asset_checks],
        instance=instance,
        selection=selection,
        resources={
            "warehouse": Warehouse(path=str(dirs.warehouse)),
            "paths": PlatformPaths(
                landing_dir=str(dirs.landing),
                archive_dir=str(dirs.root / "archive"),
                models_dir=str(dirs.root / "models"),
                serving_path=str(dirs.serving),
                synthetic_dir=str(dirs.root / "synthetic"),
            ),
            "dbt": dbt_resource(dbt_project),
        },
        # a two-cell grid: the nine-cell one (model.md §7.1) costs 18 fits, its logic is unit-tested
        run_config={
            "ops": {
                "ml__modele": {
                    "config": {
                        "max_iterations": max_iterations,
                        "grille_profondeurs": [4, 6],
                        "grille_l2": [3],
                    }
                }
            }
        },
        raise_on_error=False,
    )


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    dirs = PlatformDirs(tmp_path_factory.mktemp("tiny"))
    generate_tiny(dirs)
    instance = dg.DagsterInstance.ephemeral()
    # what the monthly job runs: everything but the demo helpers
    result = materialize(
        dirs, instance, dg.AssetSelection.all() - dg.AssetSelection.groups("demo"), TEST_ITERATIONS
    )
    assert result.success
    yield dirs, instance, result
    instance.dispose()


def materialization(result: dg.ExecuteInProcessResult, key: str) -> dict:
    events = result.asset_materializations_for_node(key.replace("/", "__"))
    return {k: v.value for k, v in events[-1].metadata.items()}


def check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation


def test_training_set_and_model_are_registered(platform):
    dirs, _instance, result = platform
    training = materialization(result, "ml/jeu_entrainement")
    assert Path(training["chemin"]).exists() and training["positifs"] > 0
    with duckdb.connect(str(dirs.warehouse), read_only=True) as con:
        rows, weighted = con.execute(
            f"select count(*), count(*) filter (where poids = 4) from read_parquet('{training['chemin']}')"
        ).fetchall()[0]
    assert rows == training["lignes"] and weighted > 0  # sub-sampled negatives carry weight 1 / 0.25
    promotion = check(result, "promotion")
    assert promotion.passed and promotion.metadata["decision"].value == "promu"
    # the release ran the depth x l2 grid of model.md §7.1 and refitted the chosen cell
    card = json.loads((Path(materialization(result, "ml/modele")["chemin"]) / "model_card.json").read_text())
    assert card["jeu_entrainement"]["part_negatifs"] == training["part_negatifs"] == 0.25  # under the cap
    grid = card["grille_hyperparametres"]
    assert [(c["depth"], c["l2_leaf_reg"]) for c in grid] == [(6, 3), (4, 3)]
    assert [c["retenu"] for c in grid].count(True) == 1
    chosen = max(grid, key=lambda c: c["average_precision_validation"])
    assert chosen["retenu"] and card["parametres"]["depth"] == chosen["depth"]
    assert card["parametres"]["l2_leaf_reg"] == chosen["l2_leaf_reg"]


def test_evaluation_reports_sane_figures_and_the_oracle(platform):
    _dirs, _instance, result = platform
    figures = materialization(result, "ml/evaluation")
    report = figures["rapport"]
    overall = report["global"]
    assert overall["nb_lignes"] > 500 and overall["nb_positifs"] > 5
    assert 0.5 < figures["auc_roc_test"] <= 1
    assert overall["prevalence"] < figures["average_precision_test"] <= 1  # better than random
    assert -1 < figures["brier_skill_test"] < 1
    for level in ("risque_fort", "risque_modere"):
        assert 0 <= overall[level]["precision"] <= 1 and 0 <= overall[level]["rappel"] <= 1
    # the oracle: same rows, and the true probabilities rank at least as well as the model
    oracle = report["oracle"]
    assert oracle["nb_lignes"] + oracle["nb_lignes_sans_oracle"] == overall["nb_lignes"]
    assert oracle["nb_lignes_sans_oracle"] <= 0.01 * overall["nb_lignes"]  # the oracle covers the test rows
    assert figures["average_precision_oracle"] == oracle["average_precision_oracle"]
    assert 0 < figures["average_precision_oracle"] <= 1
    assert figures["ratio_average_precision_oracle"] == pytest.approx(
        oracle["average_precision_modele"] / oracle["average_precision_oracle"]
    )
    assert oracle["average_precision_modele"] == pytest.approx(figures["average_precision_test"], abs=0.05)
    assert report["protocole"]["test_debut"] == "2023-06-01"  # the release's V, fully labelled
    assert len(report["protocole"]["grille_hyperparametres"]) == 2  # replayed as of D_bt, not reused
    assert report["par_region"] and report["par_section_naf"] and report["par_tranche_effectif"]
    for key in ("graphique_precision_rappel", "graphique_calibration"):
        assert Path(figures[key]).read_bytes()[:4] == b"\x89PNG"
    assert json.loads((Path(figures[key]).parent / "rapport.json").read_text())["version_modele"]


def test_scores_explanations_and_flags_reach_the_serving_file(platform):
    dirs, _instance, result = platform
    assert check(result, "additivite_contributions").passed
    with duckdb.connect(str(dirs.serving), read_only=True) as con:
        worst, alerted, first = con.execute(
            """select max(abs(contrib_base + contrib_sante_financiere + contrib_dette_urssaf
                              + contrib_retards_paiement + contrib_activite_partielle
                              + contrib_effectif_contexte - probabilite)),
                      count(*) filter (where niveau_alerte <> 'aucune'),
                      count(*) filter (where premiere_alerte)
               from publication.liste_entreprises"""
        ).fetchall()[0]
        assert worst < 1e-9
        assert alerted > 0 and first == alerted  # one list only: every alert is a first alert
        per_company = con.execute(
            "select max(n), min(n) from (select count(*) n from publication.liste_contributions group by siren)"
        ).fetchall()[0]
        assert 1 <= per_company[1] <= per_company[0] <= 15
        listes = con.execute("select nb_premieres_alertes, nb_fort + nb_modere from meta.listes").fetchall()
        assert listes == [(alerted, alerted)]
        departements = con.execute(
            "select count(*), sum(nb_fort + nb_modere) from publication.synthese_departements"
        ).fetchall()[0]
        assert departements == (101, alerted)


def test_a_worse_candidate_is_refused_and_blocks_the_scores(platform):
    dirs, instance, first = platform
    with duckdb.connect(str(dirs.warehouse)) as con:
        promoted = con.execute("select version from ml.modeles where promu_le is not null").fetchall()
        scored = con.execute("select count(*) from ml.scores").fetchall()[0][0]
        # a promoted model far better than anything tiny can train
        con.execute(
            """insert into ml.modeles (version, empreinte, chemin, seuil_fort, seuil_modere, metriques, cree_le,
                                       promu_le)
               values ('excellent', 'x', 'nulle-part', 0.5, 0.1, '{"average_precision": 0.99}', now(), now())"""
        )
    # a new candidate (another iteration cap), its blocking check, and the scores it would feed
    result = materialize(dirs, instance, dg.AssetSelection.assets(["ml", "modele"], ["ml", "scores"]), 40)
    refused = check(result, "promotion")
    assert not refused.passed and refused.metadata["decision"].value == "refuse"
    assert refused.metadata["average_precision_promue"].value == 0.99
    assert "ml__scores" not in {e.step_key for e in result.get_step_success_events()}
    with duckdb.connect(str(dirs.warehouse), read_only=True) as con:
        still = con.execute(
            "select version from ml.modeles where promu_le is not null and version <> 'excellent'"
        )
        assert still.fetchall() == promoted  # the candidate was not promoted
        assert con.execute("select count(*) from ml.scores").fetchall()[0][0] == scored
    assert first.success
