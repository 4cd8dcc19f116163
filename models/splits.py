"""Out-of-time, label-complete windows and SIREN grouping (model.md §5.1-§5.2).

For a decision month D (the first month a model scores, labels extracted at E = D):
L = D - g - 18 is the latest label-complete month; the validation window is V = [L-11, L];
the selection model trains on months <= V_start - 18 - g, so none of its 18-month label windows
overlaps V; the release model refits on every label-complete month (<= L).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

HORIZON_MONTHS = 18


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_index(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


@dataclass(frozen=True)
class Windows:
    decision_month: dt.date  # D
    label_limit: dt.date  # L
    validation_start: dt.date
    validation_end: dt.date
    selection_train_end: dt.date  # M_sel trains on months <= this
    release_train_end: dt.date  # M_rel trains on months <= this (= L)
    panel_start: dt.date
    margin_months: int

    def as_dict(self) -> dict[str, str | int]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.__dict__.items()}


def windows_for(decision_month: dt.date, panel_start: dt.date, margin_months: int = 1) -> Windows:
    label_limit = add_months(decision_month, -(margin_months + HORIZON_MONTHS))
    validation_start = add_months(label_limit, -11)
    return Windows(
        decision_month=decision_month,
        label_limit=label_limit,
        validation_start=validation_start,
        validation_end=label_limit,
        selection_train_end=add_months(validation_start, -(HORIZON_MONTHS + margin_months)),
        release_train_end=label_limit,
        panel_start=panel_start,
        margin_months=margin_months,
    )


def backtest_decision_month(release: Windows) -> dt.date:
    """D_bt such that the backtest's test window [D_bt, D_bt + 11] is the release's V (fully labelled)."""
    return release.validation_start


@dataclass(frozen=True)
class Backtest:
    """The release protocol replayed as of D_bt, scored on the 12-month test window after it.

    Companies of `holdout_buckets` are withheld from every training and validation row: the test
    rows belong to companies the backtest models never saw (model.md §5.2).
    """

    windows: Windows  # windows as of D_bt
    test_start: dt.date  # = D_bt
    test_end: dt.date  # = D_bt + 11
    holdout_buckets: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "fenetres": self.windows.as_dict(),
            "test_debut": self.test_start.isoformat(),
            "test_fin": self.test_end.isoformat(),
            "seaux_reserves": list(self.holdout_buckets),
        }


def backtest_for(release: Windows, holdout_buckets: tuple[int, ...] = (0,)) -> Backtest:
    decision = backtest_decision_month(release)
    windows = windows_for(decision, release.panel_start, release.margin_months)
    return Backtest(windows, decision, add_months(decision, 11), tuple(holdout_buckets))


def month_indices(periodes: pd.Series) -> np.ndarray:
    """Month index (12 * year + month - 1) of every row, vectorised."""
    stamps = pd.to_datetime(periodes)
    return (stamps.dt.year * 12 + stamps.dt.month - 1).to_numpy(dtype=np.int64)


def siren_bucket(siren: str, buckets: int = 10) -> int:
    """Stable bucket of a company: a company is never on both sides of a split inside a window."""
    return int(hashlib.sha256(siren.encode()).hexdigest()[:8], 16) % buckets


def siren_buckets(sirens: pd.Series, buckets: int = 10) -> np.ndarray:
    """`siren_bucket` of every row, hashing each distinct company once."""
    codes, uniques = pd.factorize(sirens.astype(str), sort=False)
    per_company = np.array([siren_bucket(s, buckets) for s in uniques], dtype=np.int64)
    return per_company[codes]


def negative_sample_mask(sirens: pd.Series, periodes: pd.Series, share: float) -> np.ndarray:
    """Deterministic sub-sample of rows on hash(siren, periode) (model.md §7.1): True when kept."""
    keys = pd.DataFrame({"siren": sirens.astype(str).to_numpy(), "mois": month_indices(periodes)})
    hashed = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    return (hashed % np.uint64(1_000_000)) < np.uint64(round(share * 1_000_000))


def _between(months: np.ndarray, start: dt.date, end: dt.date) -> np.ndarray:
    return (months >= month_index(start)) & (months <= month_index(end))


@dataclass
class WindowRows:
    """Rows of one run of the protocol: selection training, validation (V), release training."""

    train_selection: pd.DataFrame
    validation: pd.DataFrame
    train_release: pd.DataFrame
    test: pd.DataFrame | None = None  # backtest only: test window, held-out companies
    test_all: pd.DataFrame | None = None  # backtest only: test window, every company
    selection: str = "hors_temps"  # how V is separated from the selection model's training rows


def rows_where(rows: pd.DataFrame, mask: np.ndarray | pd.Series) -> pd.DataFrame:
    """The rows of `mask`; `rows` itself when it keeps them all (no copy of a national frame)."""
    return rows if mask.all() else rows[np.asarray(mask)]


def release_rows(rows: pd.DataFrame, windows: Windows) -> WindowRows:
    months = month_indices(rows["periode"])
    return WindowRows(
        train_selection=rows_where(rows, _between(months, windows.panel_start, windows.selection_train_end)),
        validation=rows_where(rows, _between(months, windows.validation_start, windows.validation_end)),
        train_release=rows_where(rows, _between(months, windows.panel_start, windows.release_train_end)),
    )


SHORT_HISTORY_VALIDATION_BUCKETS = (1,)


def backtest_rows(rows: pd.DataFrame, backtest: Backtest) -> WindowRows:
    """Training, validation and test rows of the backtest; held-out companies only in the test.

    With a history too short for an out-of-time selection window (no positive row before
    V_start - 18 - g, e.g. the 5-year tiny synthetic tier), the selection model trains on every
    label-complete row (<= L_bt) of the companies outside bucket 1, and V is the V(D_bt) rows of
    bucket 1: company-disjoint instead of time-disjoint. The test stays out of time either way.
    """
    buckets = siren_buckets(rows["siren"])
    held_out = np.isin(buckets, backtest.holdout_buckets)
    split = release_rows(rows[~held_out], backtest.windows)
    if not (split.train_selection["cible"] == 1).any():
        validating = np.isin(buckets, SHORT_HISTORY_VALIDATION_BUCKETS) & ~held_out
        by_company = release_rows(rows[~held_out & ~validating], backtest.windows)
        split.train_selection = by_company.train_release
        split.validation = release_rows(rows[validating], backtest.windows).validation
        split.selection = "par_siren"
    in_test = _between(month_indices(rows["periode"]), backtest.test_start, backtest.test_end)
    split.test = rows[in_test & held_out]
    split.test_all = rows[in_test]
    return split
