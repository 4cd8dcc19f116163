"""Month arithmetic of the simulation: month indices, first days, batch keys and day draws.

A month is handled as an integer index `12 * year + month - 1`; `t` is the position of a month in
the simulated range (0 = first warm-up month).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from orchestration.synthetic.tiers import Tier

HORIZON = 18  # months of the target window; the economy runs this far past the last batch


def month_index(text: str) -> int:
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a YYYY-MM month, got {text!r}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def index_date(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def index_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def batch_key(index: int) -> str:
    return f"{(index // 12) % 100:02d}{index % 12 + 1:02d}"


def month_start_days(indices: np.ndarray) -> np.ndarray:
    """First day (datetime64[D]) of each month index."""
    years = indices // 12 - 1970
    return (years * 12 + indices % 12).astype("datetime64[M]").astype("datetime64[D]")


def day_month_index(days: np.ndarray) -> np.ndarray:
    """Month index of each datetime64[D] day."""
    months = days.astype("datetime64[M]").astype(np.int64)
    return months + 1970 * 12


@dataclass(frozen=True)
class Timeline:
    """The simulated months. `horizon` (default: `end`) is the last month the economy is built for:
    companies are born up to it and the hidden continuation follows it. Deliveries stop at `end`, so
    two runs with the same horizon and different ends hold the same economy, and the batches of the
    shorter one are exactly the first batches of the longer one (`demo/livraison_suivante`)."""

    sim_start: int  # month index of t = 0
    start: int  # first month delivered (the economy's first month)
    end: int  # last delivered batch
    horizon: int = -1  # last month of the economy (-1: `end`)
    first_batch: int = -1  # first batch folder written (-1: `start`); later: a backfill (see below)

    def __post_init__(self) -> None:
        if self.horizon < 0:
            object.__setattr__(self, "horizon", self.end)
        if self.first_batch < 0:
            object.__setattr__(self, "first_batch", self.start)
        if self.horizon < self.end:
            raise ValueError(f"horizon {index_text(self.horizon)} is before end {index_text(self.end)}")
        if not self.start <= self.first_batch <= self.end:
            raise ValueError(
                f"backfill month {index_text(self.first_batch)} is outside "
                f"{index_text(self.start)}..{index_text(self.end)}"
            )

    @classmethod
    def for_tier(
        cls,
        tier: Tier,
        start: str | None,
        end: str | None,
        horizon: str | None = None,
        backfill_until: str | None = None,
    ) -> Timeline:
        first = month_index(start or tier.start)
        last = month_index(end or tier.end)
        if last < first:
            raise ValueError(f"end {index_text(last)} is before start {index_text(first)}")
        final = last if horizon is None else month_index(horizon)
        if first // 12 < 2000 or max(last, final) // 12 > 2049:
            raise ValueError("batch keys YYMM need months between 2000-01 and 2049-12")
        backfill = -1 if backfill_until is None else month_index(backfill_until)
        return cls(first - tier.warmup_months, first, last, final, backfill)

    @property
    def n_months(self) -> int:
        """Simulated months: warm-up, the economy's months, then the hidden 18-month continuation."""
        return self.horizon + HORIZON - self.sim_start + 1

    @property
    def t_start(self) -> int:
        return self.start - self.sim_start

    @property
    def t_first(self) -> int:
        """First batch written: `t_start`, or with a backfill the month whose batch holds the one-off
        historical extract (every delivery due before it) next to that month's own delivery."""
        return self.first_batch - self.sim_start

    @property
    def backfill(self) -> bool:
        return self.first_batch > self.start

    def in_extract(self, t: int) -> bool:
        """Whether a delivery made at t goes to the historical extract (the batch of `t_first`)."""
        return self.backfill and t <= self.t_first

    @property
    def t_end(self) -> int:
        """Last delivered month."""
        return self.end - self.sim_start

    @property
    def t_horizon(self) -> int:
        """Last month of the economy (births, the last delivery that is never late)."""
        return self.horizon - self.sim_start

    def index(self, t: int) -> int:
        return self.sim_start + t

    def date(self, t: int) -> dt.date:
        return index_date(self.sim_start + t)

    def batch_key(self, t: int) -> str:
        return batch_key(self.sim_start + t)

    def is_batch(self, t: int) -> bool:
        return self.t_first <= t <= self.t_end

    @property
    def first_days(self) -> np.ndarray:
        """First day of every simulated month, plus the month after the last one."""
        return month_start_days(np.arange(self.sim_start, self.sim_start + self.n_months + 1))

    def t_of_days(self, days: np.ndarray) -> np.ndarray:
        return day_month_index(days) - self.sim_start

    def days_in(self, t: np.ndarray | int) -> np.ndarray:
        first = self.first_days
        t = np.asarray(t)
        return (first[t + 1] - first[t]).astype(np.int64)

    def random_days(
        self, rng: np.random.Generator, t: np.ndarray, lo: int = 1, hi: int | None = None
    ) -> np.ndarray:
        """A uniform day of month t between day `lo` and day `hi` (default: the month's last day)."""
        t = np.asarray(t)
        length = self.days_in(t)
        top = length if hi is None else np.minimum(hi, length)
        offset = lo - 1 + (rng.random(t.shape) * (top - lo + 1)).astype(np.int64)
        return self.first_days[t] + offset.astype("timedelta64[D]")

    def window_days(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """A uniform day in the URSSAF delivery window of month t: from the 21st of t-1 to the 20th of t."""
        t = np.asarray(t)
        start = month_start_days(self.sim_start + t - 1) + np.timedelta64(20, "D")
        end = self.first_days[t] + np.timedelta64(19, "D")
        span = (end - start).astype(np.int64) + 1
        return start + (rng.random(t.shape) * span).astype(np.int64).astype("timedelta64[D]")
