"""Windows, thresholds, explanations: the pure functions of models/ (model.md §5-§8)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.dictionary import THEMES, FeatureDictionary, FeatureSpec
from models.explain import _format_value, explain, reasons_for_row, secant_slope, sigmoid
from models.splits import backtest_decision_month, windows_for
from models.thresholds import ThresholdError, best_threshold, choose_thresholds
from models.training import fit


def test_windows_follow_the_worked_example_of_the_spec():
    w = windows_for(dt.date(2025, 10, 1), dt.date(2016, 1, 1), margin_months=1)
    assert w.label_limit == dt.date(2024, 3, 1)
    assert (w.validation_start, w.validation_end) == (dt.date(2023, 4, 1), dt.date(2024, 3, 1))
    assert w.selection_train_end == dt.date(2021, 9, 1)
    bt = windows_for(backtest_decision_month(w), dt.date(2016, 1, 1))
    assert bt.decision_month == dt.date(2023, 4, 1)
    assert (bt.validation_start, bt.validation_end) == (dt.date(2020, 10, 1), dt.date(2021, 9, 1))
    assert bt.selection_train_end == dt.date(2019, 3, 1) and bt.release_train_end == dt.date(2021, 9, 1)


def test_threshold_maximises_f_beta_on_the_exact_curve_with_ties_to_the_higher_t():
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0] * 100)
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05] * 100)
    fort = best_threshold(y, p, 0.5)
    assert fort.value == pytest.approx(0.8) and fort.precision == 1.0
    modere = best_threshold(y, p, 2.0)
    assert modere.value == pytest.approx(0.6) and modere.recall == 1.0
    t_fort, t_modere = choose_thresholds(y, p)
    assert t_modere.value < t_fort.value


def test_thresholds_alerting_too_few_rows_are_not_eligible():
    y = np.zeros(10_000, dtype=int)
    y[:3] = 1
    p = np.linspace(0, 0.5, 10_000)
    p[:3] = [0.99, 0.98, 0.97]
    fort = best_threshold(y, p, 0.5)
    assert fort.alert_share >= 0.001  # the 3 top scores alone (0.03 %) cannot set t_fort
    with pytest.raises(ThresholdError):
        best_threshold(np.zeros(10, dtype=int), np.linspace(0, 1, 10), 0.5)


def test_secant_slope_keeps_signs_and_adds_up():
    phi0 = np.array([-3.0, -3.0, -1.0])
    f = np.array([-1.0, -3.0 + 1e-12, -4.0])
    s = secant_slope(f, phi0)
    assert np.all((s > 0) & (s <= 0.25))
    np.testing.assert_allclose(sigmoid(phi0) + s * (f - phi0), sigmoid(f), atol=1e-15)


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    n = 4000
    frame = pd.DataFrame(
        {
            "siren": [f"{i:09d}" for i in range(n)],
            "periode": [dt.date(2020, 1 + i % 12, 1) for i in range(n)],
            "dette": rng.exponential(1.0, n),
            "dette_lag": rng.exponential(1.0, n),
            "effectif": rng.integers(10, 200, n).astype(float),
            "secteur": rng.choice(["C", "F", "G"], n),
        }
    )
    frame.loc[rng.random(n) < 0.2, "effectif"] = np.nan
    logit = -3 + 1.5 * frame["dette"] + 0.5 * (frame["secteur"] == "F")
    frame["cible"] = (rng.random(n) < sigmoid(logit.to_numpy())).astype(int)
    specs = (
        FeatureSpec(
            "dette",
            "dette_urssaf_base",
            "dette_urssaf",
            False,
            "Dette",
            "Dette de {valeur} € ({mois})",
            "",
            False,
            "euros",
        ),
        FeatureSpec("dette_lag", "dette_urssaf_base", "dette_urssaf", False, "Dette", "", "", False, "euros"),
        FeatureSpec(
            "effectif", "effectif", "effectif_contexte", False, "Effectif", "", "", False, "employees"
        ),
        FeatureSpec(
            "secteur", "secteur", "effectif_contexte", True, "Secteur", "Secteur {valeur}", "", False, "code"
        ),
    )
    dictionary = FeatureDictionary(specs, "test")
    model = fit(frame, dictionary, iterations=60, params={"thread_count": 1})
    return frame, dictionary, model


def test_theme_contributions_add_up_to_the_probability(toy):
    frame, dictionary, model = toy
    explanations = explain(model, frame, dictionary)
    themes = explanations.theme_contributions()
    assert list(themes.columns) == list(THEMES)
    total = explanations.base_probability + themes.sum(axis=1).to_numpy()
    np.testing.assert_allclose(total, explanations.probability, atol=1e-9)
    direct = model.model.predict_proba(
        frame[dictionary.features].assign(secteur=frame["secteur"].astype(str))
    )[:, 1]
    np.testing.assert_allclose(explanations.probability, direct, atol=1e-6)
    assert (themes[["sante_financiere", "retards_paiement", "activite_partielle"]] == 0).all().all()


def test_reasons_are_ranked_capped_and_in_french(toy):
    frame, dictionary, model = toy
    explanations = explain(model, frame, dictionary)
    top = int(np.argmax(explanations.probability))
    reasons = reasons_for_row(
        explanations.base_contributions().iloc[top],
        explanations.by_base.iloc[top],
        frame.iloc[top],
        dt.date(2024, 1, 1),
        dictionary,
    )
    assert 1 <= len(reasons) <= 3
    assert reasons[0].variable == "dette_urssaf_base" and reasons[0].text.startswith("Dette de ")
    assert "janvier 2024" in reasons[0].text
    assert all(r.contribution >= 0.01 for r in reasons)


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (125430.0, "euros", "125\u202f430"),
        (-0.125, "ratio", "−12\u202f%"),
        (47.0, "days", "47"),
        (46.6, "days", "47"),
        (3.0, "months", "3"),
        (2.25, "years", "2,2"),
        (12.0, "employees", "12"),
        (3.4, "employees", "3,4"),  # full-time equivalents of partial activity
    ],
)
def test_reason_values_use_french_formats_per_unit(value, unit, text):
    assert _format_value(value, unit) == text


def test_training_is_reproducible(toy):
    frame, dictionary, model = toy
    again = fit(frame, dictionary, iterations=60, params={"thread_count": 1})
    a = model.model.predict_proba(frame[dictionary.features])[:, 1]
    b = again.model.predict_proba(frame[dictionary.features])[:, 1]
    np.testing.assert_allclose(a, b, atol=1e-12)


def test_hyperparameter_grid_keeps_the_cell_with_the_best_validation_ap(toy):
    from models.release import HYPERPARAMETER_GRID, run_protocol
    from models.splits import WindowRows

    frame, dictionary, _ = toy
    assert len(set(HYPERPARAMETER_GRID)) == 9 and HYPERPARAMETER_GRID[0] == (6, 3)
    assert sorted(HYPERPARAMETER_GRID) == [(d, l2) for d in (4, 6, 8) for l2 in (1, 3, 10)]
    split = WindowRows(frame.iloc[:2500], frame.iloc[2500:], frame)
    params = {"iterations": 80, "thread_count": 1}
    grid = [(1, 1), (4, 10), (2, 30)]
    release = run_protocol(split, None, dictionary, params, None, grid)
    tried = {(c["depth"], c["l2_leaf_reg"]): c for c in release.grid}
    assert list(tried) == grid and sum(c["retenu"] for c in release.grid) == 1
    best = max(release.grid, key=lambda c: c["average_precision_validation"])
    assert best["retenu"] and len({c["average_precision_validation"] for c in release.grid}) > 1
    for model in (release.selection, release.model):  # the release refit uses the chosen cell
        assert (model.params["depth"], model.params["l2_leaf_reg"]) == (best["depth"], best["l2_leaf_reg"])
    assert release.validation_metrics["average_precision"] == pytest.approx(
        best["average_precision_validation"]
    )
    assert release.model.best_iteration == best["meilleure_iteration"]

    plain = run_protocol(split, None, dictionary, params, None)
    assert plain.grid == [] and (plain.model.params["depth"], plain.model.params["l2_leaf_reg"]) == (6, 3)
