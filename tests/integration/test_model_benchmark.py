"""`sf model benchmark`: the release code on any tabular CSV (a seeded synthetic file, then the real
Slovak SME bankruptcy set of ../shared/data/benchmark when present)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from models.benchmark import BenchmarkError, load_csv
from orchestration.cli import main
from tests.conftest import shared_path


def run_cli(*args: str) -> dict:
    result = CliRunner().invoke(main, ["model", "benchmark", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def synthetic_csv(tmp_path_factory) -> Path:
    """4 yearly cohorts of 600 firms (a firm reappears across cohorts), numeric and categorical
    columns with empty cells, ~6 % positives driven by two ratios and the sector."""
    rng = np.random.default_rng(11)
    n = 2400
    firm = rng.integers(0, 900, n)
    sector = rng.choice(["agri", "btp", "commerce", "industrie"], n)
    debt = rng.gamma(2, 0.5, n)
    margin = rng.normal(0.05, 0.1, n)
    logit = -4.2 + 1.3 * debt - 6 * margin + 0.8 * (sector == "btp")
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(
        {
            "firm_id": [f"F{f:04d}" for f in firm],
            "year": np.repeat([2019, 2020, 2021, 2022], n // 4),
            "sector": sector,
            "debt_ratio": debt.round(3),
            "margin": margin.round(3),
            "noise": rng.normal(size=n).round(3),
            "defaulted": np.where(label == 1, "yes", "no"),
        }
    )
    frame.loc[rng.random(n) < 0.1, "margin"] = np.nan
    frame.loc[rng.random(n) < 0.05, "sector"] = None
    path = tmp_path_factory.mktemp("benchmark") / "synthetic.csv"
    frame.to_csv(path, index=False)
    assert ",," in path.read_text()  # empty cells are really there
    return path


def test_columns_are_detected_and_empty_cells_are_missing(synthetic_csv):
    data = load_csv(synthetic_csv, "defaulted", group="firm_id", time_column="year")
    assert data.dictionary.categorical == ["sector"]
    assert data.dictionary.features == ["sector", "debt_ratio", "margin", "noise"]
    assert data.positive_label == "yes" and 0.02 < data.frame["cible"].mean() < 0.15
    assert data.frame["margin"].isna().mean() == pytest.approx(0.1, abs=0.02)
    assert data.frame["sector"].isna().sum() > 0  # becomes INCONNU only when the model reads it
    with pytest.raises(BenchmarkError, match="exactly two values"):
        load_csv(synthetic_csv, "year")


def test_synthetic_csv_with_folds_and_time(synthetic_csv, tmp_path):
    out = tmp_path / "report.json"
    report = run_cli(
        "--data", str(synthetic_csv), "--target", "defaulted", "--group", "firm_id", "--time", "year",
        "--folds", "3", "--seed", "1", "--max-iterations", "300", "--out", str(out),
    )  # fmt: skip
    assert json.loads(out.read_text()) == report
    assert report["protocole"] == "hors_temps"
    assert 0.7 < report["auc_roc"] <= 1 and 0 < report["average_precision"] <= 1
    fort, modere = report["seuils"]["fort"], report["seuils"]["modere"]
    assert (fort["critere"], modere["critere"]) == ("F0.5", "F2")
    assert 0 < modere["seuil"] < fort["seuil"] < 1
    for level in (fort, modere):
        assert 0 <= level["precision"] <= 1 and 0 <= level["rappel"] <= 1
    assert modere["rappel"] >= fort["rappel"]  # the moderate level alerts more rows

    oot = report["hors_temps"]
    assert (oot["entrainement"], oot["test"]) == ([2019, 2020, 2021], 2022)
    assert oot["validation"] == {"valeur": 2021, "mode": "derniere_valeur_de_l_entrainement"}
    assert oot["nb_test"] == 600 and oot["nb_entrainement"] == 1800
    assert 0 < oot["test_groupes_inedits"]["nb_test"] < 600

    cv = report["validation_croisee"]
    assert len(cv["plis"]) == 3 and sum(f["nb_test"] for f in cv["plis"]) == 2400
    for fold in cv["plis"]:
        assert 0.6 < fold["auc_roc"] <= 1
        assert 0 < fold["seuils"]["modere"]["seuil"] < fold["seuils"]["fort"]["seuil"]
    assert cv["resume"]["auc_roc"]["ecart_type"] >= 0


def test_folds_by_default_and_errors_are_reported(synthetic_csv):
    report = run_cli(
        "--data", str(synthetic_csv), "--target", "defaulted", "--folds", "2", "--max-iterations", "100"
    )
    assert report["protocole"] == "validation_croisee" and "hors_temps" not in report
    assert report["auc_roc"] == pytest.approx(report["validation_croisee"]["resume"]["auc_roc"]["moyenne"])
    failed = CliRunner().invoke(
        main, ["model", "benchmark", "--data", str(synthetic_csv), "--target", "nope"]
    )
    assert failed.exit_code == 2 and "target column 'nope' not found" in failed.stderr


@pytest.mark.slow
def test_slovak_sme_out_of_time():
    """Reference (data README): plain CatBoost trained on cohorts 13-15, tested on 16: AUC 0.969, AP 0.58."""
    path = shared_path("benchmark", "slovak_sme.csv")
    report = run_cli("--data", str(path), "--target", "label", "--time", "cohort", "--seed", "0")
    assert report["donnees"]["lignes"] == 13039 and report["donnees"]["positifs"] == 251
    assert report["donnees"]["variables_categorielles"] == ["sector"]
    oot = report["hors_temps"]
    assert oot["test"] == 16 and oot["positifs_test"] == 40 and oot["validation"]["valeur"] == 15
    assert report["auc_roc"] > 0.93 and report["average_precision"] > 0.4
    assert report["seuils"]["modere"]["seuil"] < report["seuils"]["fort"]["seuil"]


@pytest.mark.slow
def test_slovak_sme_five_folds_with_the_baseline():
    """Reference (data README): stratified 5-fold CV AUC 0.955 +- 0.010, AP 0.59 +- 0.05."""
    path = shared_path("benchmark", "slovak_sme.csv")
    report = run_cli("--data", str(path), "--target", "label", "--folds", "5", "--seed", "0", "--baseline")
    summary = report["validation_croisee"]["resume"]
    assert summary["auc_roc"]["moyenne"] > 0.92 and summary["average_precision"]["moyenne"] > 0.4
    baseline = report["reference_catboost_defaut"]
    assert len(baseline["plis"]) == 5 and baseline["auc_roc"]["moyenne"] > 0.92
