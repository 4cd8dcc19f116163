"""sigfaible_effectif_siret.csv (raw-sources §5.1): the wide monthly headcount, every 3 months.

Each delivery re-sends a sliding window of 24 to 36 months (the first one the whole history since
the warm-up) whose last 0 to 6 months are still empty (reporting lag); a few late declarers miss
one more month. Values are zero-padded (`089`); an empty cell means unknown, `000` means zero.
With a backfill, the state as of the first batch (its last delivery due by then) carries every
month declared so far since the warm-up, so the months that left the sliding window are not lost.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.sources.encodings import encode_eff_column
from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import effectif_header
from orchestration.synthetic.writers.base import Context, Writer
from orchestration.synthetic.writers.urssaf_common import KnownMonths, company_names

EVERY = 3
_BLOCK_ROWS = 250_000  # establishments per block of lines (tiny and demo: a single block)


class EffectifWriter(Writer):
    source = "effectif"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        pop = self.economy.pop
        e = pop.establishments
        self.rows = np.nonzero(pop.est_account >= 0)[0]  # employer establishments known to URSSAF
        self.rows = self.rows[np.argsort(e.siret[self.rows], kind="stable")]
        account = pop.est_account[self.rows]
        company = e.company[self.rows]
        dep = np.where(
            e.departement[self.rows] != "", e.departement[self.rows], pop.companies.departement[company]
        )
        self.static = {
            "siret": csvtext.text(e.siret[self.rows]),
            "compte": csvtext.text(pop.accounts.number[account]),
            "rais_soc": csvtext.text(company_names(self.economy)[company]),
            "ape_ins": csvtext.text(pop.companies.subclass[company]),
            "dep": csvtext.text(dep),
            "base": csvtext.text(np.char.add("B", pop.accounts.urssaf[account])),
            "ur_emet": csvtext.text(pop.accounts.urssaf[account]),
        }
        self._cache: dict[int, pa.Array] = {}
        self.known = KnownMonths()

    def _cells(self, m: int) -> pa.Array:
        """Zero-padded headcount text of month m (cached: a month is re-sent in several deliveries)."""
        if m not in self._cache:
            self._cache[m] = csvtext.integers(self.economy.est_headcount[self.rows, m], 3)
        return self._cache[m]

    def _forget(self, first: int) -> None:
        for m in [m for m in self._cache if m < first]:
            del self._cache[m]

    def due(self, t: int) -> bool:
        tl = self.timeline
        return tl.t_start <= t <= tl.t_end and (t - tl.t_start) % EVERY == 0

    def after_step(self, t: int) -> None:
        if not self.due(t):
            return
        tl = self.timeline
        rng = self.rng(t)
        first = 0 if t == tl.t_start else max(0, t - int(rng.integers(24, 37)))
        lag = int(rng.choice(7, p=[0.05, 0.15, 0.25, 0.25, 0.15, 0.1, 0.05]))
        late = np.where(rng.random(len(self.rows)) < 0.03, rng.integers(1, 4, len(self.rows)), 0)
        known_until = t - lag - late  # months >= this are not declared yet
        if tl.in_extract(t):
            # Backfill: the state as of the first batch carries every month declared by then.
            first, known_until = 0, self.known.update(t, known_until)
            if self.superseded(t):
                return
        months = np.arange(first, t)
        names = [encode_eff_column(self.timeline.first_days[m].item()) for m in months]
        economy = self.economy
        opened = economy.est_open_day[self.rows]
        closed = economy.est_close_day[self.rows]
        first_days = tl.first_days
        n = len(self.rows)
        active = np.zeros(n, dtype=bool)
        present: list[np.ndarray] = []
        for m in months:
            known = (
                ~np.isnat(opened)
                & (opened < first_days[m + 1])
                & (np.isnat(closed) | (closed >= first_days[m]))
            )
            known &= m < known_until
            active |= known
            present.append(known)
        header = effectif_header(names)
        static = header[: -len(names) or None]
        handle = self.open(t, header)
        # A block of establishments at a time: a national delivery is 1.4 million lines of up to
        # 72 months, whose cells and lines would otherwise take gigabytes at once.
        for a in range(0, max(n, 1), _BLOCK_ROWS):
            keep = pa.array(active[a : a + _BLOCK_ROWS])
            columns = [pc.filter(self.static[name].slice(a, _BLOCK_ROWS), keep) for name in static]
            columns += [
                pc.filter(
                    pc.if_else(
                        pa.array(known[a : a + _BLOCK_ROWS]), self._cells(m).slice(a, _BLOCK_ROWS), ""
                    ),
                    keep,
                )
                for m, known in zip(months, present, strict=True)
            ]
            lines = csvtext.join(
                columns, self.contract.dialect.separator, int(active[a : a + _BLOCK_ROWS].sum())
            )
            self.write(handle, lines, rng)
        self._forget(first)
        self.close(handle)
