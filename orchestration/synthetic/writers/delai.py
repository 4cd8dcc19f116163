"""sigfaible_delais.csv (raw-sources §5.5): payment plans (échéanciers) granted on URSSAF debts.

An account in debt asks for a plan with a probability that grows with its debt (in months of
contributions), and more often from late 2020 to mid-2022, when URSSAF offered plans for the
contributions deferred during the crisis. Companies already in collective proceedings get none.
The plan covers the outstanding debt plus surcharges; its length grows with the debt. A plan
breaks (a new version with stade `CADUC`) when proceedings open or new contributions go unpaid,
which makes plans an informative but noisy signal: many indebted companies repay without one.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.sources.encodings import encode_ddmmyyyy
from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import DELAI_HEADER, checked_header
from orchestration.synthetic.timeline import month_index
from orchestration.synthetic.writers.base import Context, DelayedFluxWriter
from orchestration.synthetic.writers.urssaf_common import AccountDebt, AccountText, company_names

_MIN_DEBT = 30_000  # cents: below 300 € nobody negotiates a plan
_BASE_RATE = 0.05  # monthly probability for an account owing two months of contributions
_INCONSISTENT = 0.003  # test-like rows whose duration does not match the dates (they still load)


class DelaiWriter(DelayedFluxWriter):
    source = "delai"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._header = checked_header(self.source, DELAI_HEADER)
        self.accounts = AccountText.of(self.economy)
        self.debt = AccountDebt.of(self.economy)
        pop = self.economy.pop
        self.names = csvtext.text(company_names(self.economy)[pop.accounts.company])
        n = len(pop.accounts)
        self.active_until = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        self.plan = np.full(n, -1, np.int64)  # index of the account's current plan
        # Plans, in creation order: their text never changes, new versions only change the stade.
        self.plan_lines: list[pa.Array] = []
        self._count = 0
        months = np.arange(self.timeline.n_months) + self.timeline.sim_start
        self.boost = np.where(
            (months >= month_index("2020-09")) & (months <= month_index("2022-06")), 2.5, 1.0
        )

    def header(self, t: int) -> list[str]:
        return self._header

    def lines(self, t: int, rng: np.random.Generator) -> pa.Array:
        economy = self.economy
        debt = self.debt
        debt.update(t)
        acc = economy.pop.accounts
        tl = self.timeline
        day_end = tl.first_days[t + 1] - 1
        company = acc.company
        in_proceedings = ~np.isnat(economy.opening_day) & (economy.opening_day <= day_end)
        gone = ~economy.alive

        # Versions: active plans broken by proceedings or by new unpaid contributions.
        active = ~np.isnat(self.active_until) & (self.active_until >= tl.first_days[t])
        broken = active & (
            in_proceedings[company] | gone[company] | ((debt.called > 0) & (rng.random(len(acc)) < 0.35))
        )
        broken_rows = np.nonzero(broken)[0]
        self.active_until[broken_rows] = np.datetime64("NaT")
        active &= ~broken

        # New plans.
        months = debt.debt_months()
        eligible = (
            ~active & (debt.outstanding >= _MIN_DEBT) & ~in_proceedings[company] & economy.alive[company]
        )
        rate = _BASE_RATE * self.boost[t] * np.clip(months / 2.0, 0.25, 2.0)
        new = np.nonzero(eligible & (rng.random(len(acc)) < rate))[0]
        parts = [self._versions(broken_rows, "CADUC")]
        if len(new):
            parts.append(self._new_plans(t, new, months[new], rng))
        lines = pa.concat_arrays(parts)
        ranks = np.concatenate([self.accounts.rank[broken_rows], self.accounts.rank[new]])
        return lines.take(pa.array(np.argsort(ranks, kind="stable")))

    def _new_plans(self, t: int, rows: np.ndarray, months: np.ndarray, rng: np.random.Generator) -> pa.Array:
        n = len(rows)
        created = self.timeline.window_days(rng, np.full(n, t))
        length = np.clip(np.rint(months * rng.uniform(1.5, 4.0, n)), 2, 36).astype(np.int64)
        duration = np.rint(length * 30.44).astype(np.int64) + rng.integers(-3, 4, n)
        due = created + duration.astype("timedelta64[D]")
        shown = np.where(rng.random(n) < _INCONSISTENT, duration + rng.integers(5, 60, n), duration)
        amount = np.rint(self.debt.outstanding[rows] * rng.uniform(1.0, 1.08, n)).astype(np.int64)
        year = created.astype("datetime64[Y]").astype(np.int64) + 1970
        serial = (self._count + np.arange(n)) % 100_000
        self._count += n
        acc = self.economy.pop.accounts
        structure = np.char.add(
            np.char.add(np.char.add(acc.urssaf[rows].astype("U3"), "0"), year.astype(str)),
            np.char.zfill(serial.astype(str), 5),
        )
        decimal = "," if rng.random() < 0.3 else "."
        fixed = csvtext.join(
            [
                self.accounts.take("urssaf", rows),
                self.accounts.take("departement", rows),
                self.accounts.take("siret", rows),
                self.accounts.take("number", rows),
                csvtext.text(structure),
                csvtext.encoded_days(created, encode_ddmmyyyy),
                csvtext.encoded_days(due, encode_ddmmyyyy),
                csvtext.integers(shown),
                csvtext.take(self.names, rows),
                csvtext.choose((duration > 182).astype(np.int64), ["INF", "SUP"]),
                csvtext.integers(year),
                csvtext.euros(amount, decimal),
            ],
            ";",
            n,
        )
        self.plan[rows] = np.arange(self._count - n, self._count)
        self.plan_lines.append(fixed)
        self.active_until[rows] = due
        return self._stade(fixed, "APPROB")

    def _versions(self, rows: np.ndarray, stade: str) -> pa.Array:
        if not len(rows):
            return pa.array([], type=pa.string())
        every = pa.concat_arrays(self.plan_lines) if len(self.plan_lines) > 1 else self.plan_lines[0]
        self.plan_lines = [every]
        return self._stade(csvtext.take(every, self.plan[rows]), stade)

    @staticmethod
    def _stade(fixed: pa.Array, stade: str) -> pa.Array:
        return csvtext.join([fixed, stade, "SUR PO"], ";", len(fixed))
