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


def siren_bucket(siren: str, buckets: int = 10) -> int:
    """Stable bucket of a company: a company is never on both sides of a split inside a window."""
    return int(hashlib.sha256(siren.encode()).hexdigest()[:8], 16) % buckets


def keep_negative(siren: str, periode: dt.date, share: float = 0.25) -> bool:
    """Deterministic negative sub-sampling on hash(siren, periode) (model.md §7.1)."""
    digest = hashlib.sha256(f"{siren}|{periode.isoformat()}".encode()).hexdigest()
    return int(digest[:8], 16) / 0xFFFFFFFF < share
