"""Windows and company grouping of the release and the backtest (model.md §5.1-§5.2).

Acceptance 1: every training month ends at least 18 months before the first test month, and no
SIREN is on both sides of the test.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from models.splits import (
    HORIZON_MONTHS,
    add_months,
    backtest_for,
    backtest_rows,
    month_index,
    month_indices,
    negative_sample_mask,
    release_rows,
    siren_bucket,
    siren_buckets,
    windows_for,
)

PANEL_START = dt.date(2016, 1, 1)


def panel(start: dt.date, end: dt.date, companies: int = 300, seed: int = 0) -> pd.DataFrame:
    """Every company on every month, 3 % positives: the shape of the labelled panel."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(start, end, freq="MS")
    frame = pd.DataFrame(
        {
            "siren": np.repeat([f"{300_000_000 + i:09d}" for i in range(companies)], len(months)),
            "periode": np.tile(months, companies),
        }
    )
    frame["cible"] = (rng.random(len(frame)) < 0.03).astype(int)
    return frame


def months_between(later: dt.date, earlier: np.ndarray) -> np.ndarray:
    return month_index(later) - earlier


@pytest.mark.parametrize("margin", [1, 3])
@pytest.mark.parametrize(
    ("first_month", "decision"),
    [
        (dt.date(2016, 1, 1), dt.date(2025, 10, 1)),  # national history: out-of-time selection
        (dt.date(2021, 1, 1), dt.date(2025, 12, 1)),  # tiny tier: selection by company buckets
    ],
)
def test_backtest_training_ends_18_months_before_the_test_and_shares_no_company(
    first_month, decision, margin
):
    frame = panel(first_month, add_months(decision, -1))
    release = windows_for(decision, PANEL_START, margin)
    backtest = backtest_for(release)
    rows = backtest_rows(frame[month_indices(frame["periode"]) <= month_index(release.label_limit)], backtest)
    assert rows.test is not None and len(rows.test) > 0
    first_test = rows.test["periode"].min().date()
    assert first_test == backtest.test_start
    for name in ("train_selection", "validation", "train_release"):
        part = getattr(rows, name)
        assert len(part) > 0, name
        gap = months_between(first_test, month_indices(part["periode"]))
        # a training row's label window (m, m + 18] closes before the test starts, with the margin
        assert gap.min() >= HORIZON_MONTHS + margin, name
        assert not set(part["siren"]) & set(rows.test["siren"]), name
    # the test window is exactly the release's validation window: fully labelled today
    assert (backtest.test_start, backtest.test_end) == (release.validation_start, release.validation_end)
    # the selection model never sees a validation row's company or months
    if rows.selection == "hors_temps":
        gap = months_between(
            backtest.windows.validation_start, month_indices(rows.train_selection["periode"])
        )
        assert gap.min() >= HORIZON_MONTHS + margin
    else:
        assert first_month > backtest.windows.selection_train_end
        assert not set(rows.train_selection["siren"]) & set(rows.validation["siren"])
    assert rows.test_all is not None and set(rows.test["siren"]) <= set(rows.test_all["siren"])


def test_release_training_ends_18_months_before_the_month_it_scores():
    decision = dt.date(2025, 10, 1)
    frame = panel(PANEL_START, dt.date(2024, 3, 1))
    w = windows_for(decision, PANEL_START, margin_months=1)
    rows = release_rows(frame, w)
    assert months_between(decision, month_indices(rows.train_release["periode"])).min() == HORIZON_MONTHS + 1
    gap = months_between(w.validation_start, month_indices(rows.train_selection["periode"]))
    assert gap.min() == HORIZON_MONTHS + 1
    assert rows.validation["periode"].min().date() == w.validation_start
    assert rows.validation["periode"].nunique() == 12


def test_held_out_companies_follow_a_stable_hash():
    sirens = pd.Series([f"{i:09d}" for i in range(2000)] * 2)
    buckets = siren_buckets(sirens)
    assert buckets.tolist() == [siren_bucket(s) for s in sirens]
    assert np.bincount(buckets, minlength=10).min() > 150  # 4000 rows over 10 buckets, roughly uniform


def test_negative_sub_sampling_is_deterministic_and_keeps_the_share():
    frame = panel(dt.date(2020, 1, 1), dt.date(2021, 12, 1), companies=2000)
    kept = negative_sample_mask(frame["siren"], frame["periode"], 0.25)
    again = negative_sample_mask(frame["siren"].copy(), frame["periode"].dt.date, 0.25)
    assert np.array_equal(kept, again)  # dates or timestamps, same rows
    assert kept.mean() == pytest.approx(0.25, abs=0.01)
