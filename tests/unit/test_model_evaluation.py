"""The evaluation report of a test window (model.md §5.3) on a seeded set with known probabilities."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.evaluation import (
    CALIBRATION_PNG,
    PR_PNG,
    calibration,
    evaluation_report,
    headcount_band,
    oracle_comparison,
)


@pytest.fixture(scope="module")
def test_window():
    """12 months of 3,000 companies; the truth is known, the model is the truth plus noise."""
    rng = np.random.default_rng(1)
    companies, months = 3000, 12
    risk = rng.beta(0.6, 15, companies)
    frame = pd.DataFrame(
        {
            "siren": np.repeat([f"{500_000_000 + i:09d}" for i in range(companies)], months),
            "periode": np.tile(pd.date_range(dt.date(2023, 6, 1), periods=months, freq="MS"), companies),
            "ctx_region": np.repeat(rng.choice(["11", "84", "93"], companies), months),
            "ctx_naf_section": np.repeat(rng.choice(["C", "F", "G"], companies), months),
            "eff_effectif": np.repeat(rng.choice([12.0, 35.0, 120.0, 400.0, np.nan], companies), months),
        }
    )
    truth = np.repeat(risk, months)
    frame["cible"] = (rng.random(len(frame)) < truth).astype(int)
    logit = np.log(truth / (1 - truth)) + rng.normal(0, 0.8, len(frame))
    model = 1 / (1 + np.exp(-logit))
    return frame, model, truth


def test_report_has_every_figure_and_the_plots(test_window, tmp_path):
    frame, p, truth = test_window
    oracle = truth.copy()
    oracle[:24] = np.nan  # two companies unknown to the oracle
    report = evaluation_report(
        frame,
        p,
        t_fort=0.3,
        t_modere=0.1,
        breakdowns={
            "region": "ctx_region",
            "section_naf": "ctx_naf_section",
            "tranche_effectif": "eff_effectif",
        },
        validation_shares={"fort": 0.02, "modere": 0.05},
        oracle=oracle,
        out_dir=tmp_path,
        resamples=50,
    )
    overall = report["global"]
    assert 0.7 < overall["auc_roc"] < 1 and 0 < overall["average_precision"] < 1
    for level, beta in (("risque_fort", "f0.5"), ("risque_modere", "f2")):
        figures = overall[level]
        assert 0 <= figures["precision"] <= 1 and 0 <= figures["rappel"] <= 1 and 0 <= figures[beta] <= 1
        assert 0.5 <= figures["exactitude_equilibree"] <= 1
    assert 0 < overall["brier"] < 0.25
    assert overall["risque_modere"]["rappel"] >= overall["risque_fort"]["rappel"]

    volumes = report["volumes"]
    assert volumes["nb_fort"] + volumes["nb_modere"] == int((p >= 0.1).sum())
    assert len(volumes["par_mois"]) == 12 and volumes["parts_validation"] == {"fort": 0.02, "modere": 0.05}

    for name in ("par_region", "par_section_naf", "par_tranche_effectif"):
        assert sum(g["nb_lignes"] for g in report[name]) == len(frame)
    assert {g["groupe"] for g in report["par_tranche_effectif"]} == {
        "10-19",
        "20-49",
        "50-249",
        "250+",
        "inconnu",
    }

    interval = report["intervalles_95"]["average_precision"]
    assert interval["bas_95"] <= overall["average_precision"] <= interval["haut_95"]
    assert interval["tirages"] == 50

    comparison = report["oracle"]
    assert comparison["nb_lignes"] == len(frame) - 24 and comparison["nb_lignes_sans_oracle"] == 24
    # the oracle holds the true probabilities: no noisy score ranks better on the same rows
    assert comparison["average_precision_oracle"] > comparison["average_precision_modele"]
    assert 0 < comparison["ratio_average_precision"] < 1

    for key, name in (("precision_rappel", PR_PNG), ("calibration", CALIBRATION_PNG)):
        path = tmp_path / name
        assert report["graphiques"][key] == str(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_true_probabilities_are_calibrated(test_window):
    frame, _p, truth = test_window
    result = calibration(frame["cible"].to_numpy(), truth)
    assert result["pente"] == pytest.approx(1, abs=0.15)
    assert result["intercept"] == pytest.approx(0, abs=0.4)
    assert len(result["courbe"]) == 10
    for point in result["courbe"]:
        assert point["taux_observe"] == pytest.approx(point["p_moyenne"], abs=0.03)


def test_oracle_comparison_uses_only_the_rows_it_covers():
    y = np.array([1, 0, 1, 0, 1, 0])
    model = np.array([0.9, 0.8, 0.2, 0.1, 0.7, 0.6])
    oracle = np.array([0.9, 0.1, 0.8, 0.2, np.nan, np.nan])
    result = oracle_comparison(y, model, oracle)
    assert result["nb_lignes"] == 4 and result["average_precision_oracle"] == 1.0
    assert result["average_precision_modele"] == pytest.approx((1 + 2 / 3) / 2)


def test_headcount_bands_follow_the_spec():
    bands = headcount_band(pd.Series([9, 10, 19, 20, 49, 50, 249, 250, None]))
    assert bands.tolist() == [
        "inconnu",
        "10-19",
        "10-19",
        "20-49",
        "20-49",
        "50-249",
        "50-249",
        "250+",
        "inconnu",
    ]
