"""sigfaible_effectif_siren.csv (raw-sources §5.2): the wide monthly headcount per legal unit.

Delivered irregularly, every 3 to 6 months, with a sliding window of 24 to 36 months (the first
delivery: the whole history since the warm-up) whose last 0 to 6 months are still empty; a few
late declarers miss one to three more months. The current layout puts the name after the months;
deliveries before 2020 use the older layout (account, siren, name, APE, département first). Some
deliveries write integers as floats (`16.0`), which the parser reads as 16. With a backfill, the
state as of the first batch carries every month declared so far (as for `effectif`).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.sources.encodings import encode_eff_column
from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import EFFECTIF_ENT_OLD_PREFIX, EFFECTIF_ENT_OLD_SUFFIX
from orchestration.synthetic.timeline import month_index
from orchestration.synthetic.writers.base import Context, Writer
from orchestration.synthetic.writers.urssaf_common import KnownMonths, company_names

_CURRENT_LAYOUT_FROM = month_index("2020-01")
_FLOAT_SHARE = 0.2  # deliveries whose cells are written as floats


class EffectifEntWriter(Writer):
    source = "effectif_ent"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        pop = self.economy.pop
        c = pop.companies
        acc = pop.accounts
        # Companies known to URSSAF (at least one account), in siren order.
        first_account = np.full(len(c), -1, np.int64)
        first_account[acc.company[::-1]] = np.arange(len(acc))[::-1]
        self.rows = np.nonzero(first_account >= 0)[0]
        self.rows = self.rows[np.argsort(c.siren[self.rows], kind="stable")]
        account = first_account[self.rows]
        self.static = {
            "siren": csvtext.text(c.siren[self.rows]),
            "rais_soc": csvtext.text(company_names(self.economy)[self.rows]),
            "compte": csvtext.text(acc.number[account]),
            "ape_ins": csvtext.text(c.subclass[self.rows]),
            "dep": csvtext.text(c.departement[self.rows]),
            "base": csvtext.text(np.char.add("B", acc.urssaf[account])),
            "UR_EMET": csvtext.text(acc.urssaf[account]),
        }
        self.next_t = self.timeline.t_start
        self.known = KnownMonths()
        self._schedule: set[int] | None = None

    def due(self, t: int) -> bool:
        if self._schedule is None:  # each delivery draws the month of the next one first
            self._schedule, u = set(), self.timeline.t_start
            while u <= self.timeline.t_end:
                self._schedule.add(u)
                u += int(self.rng(u).integers(3, 7))
        return t in self._schedule

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if t != self.next_t or t > tl.t_end:
            return
        rng = self.rng(t)
        self.next_t = t + int(rng.integers(3, 7))
        first = 0 if t == tl.t_start else max(0, t - int(rng.integers(24, 37)))
        lag = int(rng.choice(7, p=[0.05, 0.15, 0.25, 0.25, 0.15, 0.1, 0.05]))
        n = len(self.rows)
        late = np.where(rng.random(n) < 0.03, rng.integers(1, 4, n), 0)
        known_until = t - lag - late
        as_float = rng.random() < _FLOAT_SHARE
        if tl.in_extract(t):
            # Backfill: the state as of the first batch carries every month declared by then (one
            # file: a second one under the only recognised name would supersede the first).
            first, known_until = 0, self.known.update(t, known_until)
            if self.superseded(t):
                return
        months = np.arange(first, t)
        active = np.zeros(n, dtype=bool)
        cells: list[pa.Array] = []
        for m in months:
            present = (self.economy.state[self.rows, m] >= 0) & (m < known_until)
            active |= present
            text = csvtext.integers(self.economy.headcount[self.rows, m])
            if as_float:
                text = pc.binary_join_element_wise(text, ".0", "")
            cells.append(csvtext.where(present, text, ""))
        names = [encode_eff_column(tl.first_days[m].item()) for m in months]
        if tl.index(t) >= _CURRENT_LAYOUT_FROM:
            before, after = ["siren"], ["rais_soc"]
        else:
            before, after = list(EFFECTIF_ENT_OLD_PREFIX), list(EFFECTIF_ENT_OLD_SUFFIX)
        keep = pa.array(active)
        columns = [pc.filter(self.static[c], keep) for c in before]
        columns += [pc.filter(c, keep) for c in cells]
        columns += [pc.filter(self.static[c], keep) for c in after]
        lines = csvtext.join(columns, self.contract.dialect.separator, int(active.sum()))
        handle = self.open(t, [*before, *names, *after])
        self.write(handle, lines, rng)
        self.close(handle)
