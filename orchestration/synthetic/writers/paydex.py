"""E_<timestamp>_Retro-Paydex_<date>.csv (raw-sources §7.1): supplier payment delays (Altares).

About three quarters of the companies with employees are covered (larger ones more often; public
bodies, associations and sole traders rarely). A company's delay, in days beyond terms, is its own
habit (sector, payment culture) plus a response to its health, smoothed over a few months: weak
companies stretch their suppliers before they fail, but healthy late payers and quiet failures
exist, so the signal is informative without being decisive. The value dated the 15th of month
p is published with the file of batch p+1; each "retro" file also repeats the two previous months
(sometimes revised) and the first one carries two years of history. A late file arrives in the
next batch next to that batch's own file (the names differ by their extraction timestamp).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.sources.encodings import encode_ddmmyyyy
from orchestration.synthetic import csvtext, health
from orchestration.synthetic.layouts import PAYDEX_HEADER, checked_header
from orchestration.synthetic.sectors import SECTION_LETTERS
from orchestration.synthetic.writers.base import Context, Writer

_HISTORY = 24  # months of history in the first file
_REPEAT = 2  # previous months repeated by each retro file
_SECTION_DAYS = {"F": 8.0, "G": -2.0, "I": 3.0, "H": 2.0, "Q": -3.0, "K": -4.0}


class PaydexWriter(Writer):
    source = "paydex"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._header = checked_header(self.source, PAYDEX_HEADER)
        c = self.economy.pop.companies
        rng = self.rng(-1)
        n = len(c)
        legal_person = ~c.excluded & (c.legal != "1000") & ~np.char.startswith(c.legal, "92")
        chance = np.where(legal_person, 0.45 + 0.4 * (c.base_size >= 10) + 0.1 * (c.base_size >= 50), 0.1)
        self.covered = rng.random(n) < chance
        section = SECTION_LETTERS[c.section]
        self.habit = rng.gamma(2.0, 3.0, n) + np.array([_SECTION_DAYS.get(s, 0.0) for s in section]) - 2.0
        self.sensitivity = rng.lognormal(np.log(20.0), 0.3, n)  # days per unit of lost health
        self.ema = np.zeros(n)
        self.rank = np.empty(n, np.int64)  # siren order
        self.rank[np.argsort(c.siren, kind="stable")] = np.arange(n)
        self.values: dict[int, np.ndarray] = {}  # month -> days (-1: no value)
        self._lines: dict[int, tuple[np.ndarray, pa.Array]] = {}
        self.sirens = csvtext.text(c.siren)
        self._late: list[int] = []

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if t > tl.t_end:
            return
        self._value(t)
        if t < tl.t_start:
            return
        if self.is_late(t):
            self._late.append(t)
            return
        for month in [*self._late, t]:
            self._deliver(month, t)
        self._late = []

    def _value(self, t: int) -> None:
        """Days beyond terms of every covered company in month t (-1 when there is no value)."""
        economy = self.economy
        rng = self.rng(t, 2)
        alive = economy.state[:, t] >= 0
        x = np.where(alive, health.GRID[np.maximum(economy.state[:, t], 0)], 0.0)
        self.ema = np.where(alive, 0.6 * self.ema + 0.4 * x, self.ema)
        stress = np.logaddexp(0.0, 1.6 * (0.0 - self.ema) - 1.0) / 1.6  # softplus of lost health
        days = self.habit + self.sensitivity * stress + rng.normal(0.0, 1.0, len(x))
        days = np.clip(np.rint(days), 0, 240).astype(np.int64)
        shown = self.covered & alive & (rng.random(len(x)) > 0.05)
        self.values[t] = np.where(shown, days, -1).astype(np.int16)
        self.values.pop(t - _HISTORY - 1, None)

    def _month_lines(self, m: int) -> tuple[np.ndarray, pa.Array]:
        """Companies with a value in month m and their lines (formatted once, reused by retro files)."""
        if m not in self._lines:
            rows = np.nonzero(self.values[m] >= 0)[0]
            self._lines[m] = (rows, self._format(rows, self.values[m][rows].astype(np.int64), m))
        return self._lines[m]

    def _format(self, rows: np.ndarray, days: np.ndarray, m: int) -> pa.Array:
        day_text = csvtext.integers(days)
        value_date = encode_ddmmyyyy(self.timeline.first_days[m].item().replace(day=15))
        columns = [
            csvtext.take(self.sirens, rows),
            day_text,
            pc.binary_join_element_wise(day_text, " jours", ""),
            value_date,
        ]
        return csvtext.join(columns, ";", len(rows))

    def _deliver(self, month: int, batch: int) -> None:
        """The retro file extracted at the start of `month` (values of month - 1 and before)."""
        tl = self.timeline
        rng = self.rng(month)
        first = max(0, month - _HISTORY) if month == tl.t_start else max(0, month - 1 - _REPEAT)
        parts: list[pa.Array] = []
        keys: list[np.ndarray] = []
        for m in range(first, month):
            if m not in self.values:
                continue
            rows, lines = self._month_lines(m)
            if m < month - 1:  # a repeated month is sometimes revised
                revised = rng.random(len(rows)) < 0.1
                days = self.values[m][rows[revised]].astype(np.int64)
                days = np.maximum(0, days + rng.integers(-3, 4, len(days)))
                fixed = self._format(rows[revised], days, m)
                lines = pc.replace_with_mask(lines, pa.array(revised), fixed)
            parts.append(lines)
            keys.append(self.rank[rows] * 1000 + (m - first))
        for m in [m for m in self._lines if m < month - _REPEAT]:  # no later file repeats them
            del self._lines[m]
        lines = pa.concat_arrays(parts) if parts else pa.array([], pa.string())
        order = np.argsort(np.concatenate(keys), kind="stable") if keys else np.zeros(0, np.int64)
        lines = lines.take(pa.array(order))
        extracted = tl.first_days[month] + int(rng.integers(2, 9))
        stamp = str(extracted).replace("-", "") + f"{int(rng.integers(0, 10_000)):04d}"
        dated = str(extracted + int(rng.integers(0, 4))).replace("-", "")
        handle = self.open(batch, self._header, name=f"E_{stamp}_Retro-Paydex_{dated}.csv")
        self.write(handle, lines, rng)
        self.close(handle)
