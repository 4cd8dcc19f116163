"""sigfaible_ccsf.csv (raw-sources §5.6): cases before the Commission des chefs des services financiers.

Larger companies (20 employees or more) owing more than a month and a half of contributions, and
not in proceedings, bring their tax and social debts before the commission now and then (more
often in 2020-2021). A case starts (`DEBUT`), is decided one to three months later (`APPROB`,
`REFUS`, or `REJ` when inadmissible; approval depends on the company's health at that time), and
an approved plan ends (`FIN`) after one to three years, or early when proceedings open. Lines are
filed under the company's most indebted account.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.sources.encodings import encode_aammjj
from orchestration.synthetic import csvtext, health
from orchestration.synthetic.layouts import CCSF_HEADER, checked_header
from orchestration.synthetic.timeline import month_index
from orchestration.synthetic.writers.base import Context, DelayedFluxWriter
from orchestration.synthetic.writers.urssaf_common import AccountDebt, AccountText

_NONE, _PENDING, _APPROVED = 0, 1, 2
_BASE_RATE = 0.01
_MIN_HEADCOUNT = 20


class CcsfWriter(DelayedFluxWriter):
    source = "ccsf"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._header = checked_header(self.source, CCSF_HEADER)
        self.accounts = AccountText.of(self.economy)
        self.debt = AccountDebt.of(self.economy)
        n = len(self.economy.pop.companies)
        self.case = np.zeros(n, np.int8)
        self.account = np.full(n, -1, np.int64)
        self.next_t = np.full(n, -1, np.int64)
        months = np.arange(self.timeline.n_months) + self.timeline.sim_start
        self.boost = np.where(
            (months >= month_index("2020-04")) & (months <= month_index("2021-12")), 2.0, 1.0
        )

    def header(self, t: int) -> list[str]:
        return self._header

    def lines(self, t: int, rng: np.random.Generator) -> pa.Array:
        economy = self.economy
        self.debt.update(t)
        n = len(self.case)
        day_end = self.timeline.first_days[t + 1] - 1
        in_proceedings = ~np.isnat(economy.opening_day) & (economy.opening_day <= day_end)
        x = health.GRID[economy.s]
        rows: list[np.ndarray] = []
        stades: list[str] = []

        def emit(companies: np.ndarray, stade: str) -> None:
            rows.append(self.account[companies])
            stades.extend([stade] * len(companies))

        # Approved plans end on schedule, or early when proceedings open.
        approved = self.case == _APPROVED
        ending = np.nonzero(approved & ((self.next_t == t) | in_proceedings | ~economy.alive))[0]
        emit(ending, "FIN")
        self.case[ending] = _NONE

        # Decisions on pending cases.
        deciding = np.nonzero((self.case == _PENDING) & (self.next_t == t))[0]
        u = rng.random(len(deciding))
        inadmissible = (u < 0.1) | in_proceedings[deciding] | ~economy.alive[deciding]
        accept = ~inadmissible & (rng.random(len(deciding)) < np.clip(0.9 + 0.25 * x[deciding], 0.05, 0.9))
        emit(deciding[inadmissible], "REJ")
        emit(deciding[accept], "APPROB")
        emit(deciding[~inadmissible & ~accept], "REFUS")
        self.case[deciding] = np.where(accept, _APPROVED, _NONE)
        self.next_t[deciding] = np.where(accept, t + rng.integers(12, 37, len(deciding)), -1)

        # New cases, per company, on its most indebted account.
        acc = economy.pop.accounts
        owed = np.bincount(acc.company, weights=self.debt.outstanding, minlength=n)
        monthly = np.bincount(acc.company, weights=self.debt.monthly, minlength=n)
        months = np.where(monthly > 0, owed / np.maximum(monthly, 1.0), 0.0)
        eligible = (
            (self.case == _NONE)
            & economy.alive
            & ~in_proceedings
            & (economy.headcount[:, t] >= _MIN_HEADCOUNT)
            & (months >= 1.5)
        )
        start = np.nonzero(eligible & (rng.random(n) < _BASE_RATE * self.boost[t]))[0]
        if len(start):
            holder = acc.company
            order = np.lexsort((-self.debt.outstanding, holder))  # most indebted account first
            first = order[np.searchsorted(holder[order], start)]
            self.account[start] = first
            self.case[start] = _PENDING
            self.next_t[start] = t + rng.integers(1, 4, len(start))
            emit(start, "DEBUT")

        account = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        if not len(account):
            return pa.array([], type=pa.string())
        days = self.timeline.window_days(rng, np.full(len(account), t))
        columns = {
            "Urssaf_gestion": self.accounts.take("urssaf", account),
            "Dep": self.accounts.take("departement", account),
            "Siret": self.accounts.take("siret", account),
            "Compte": self.accounts.take("number", account),
            "Date_de_traitement": csvtext.encoded_days(days, encode_aammjj),
            "Code_externe_stade": csvtext.text(stades),
            "Code_externe_action": "CCSF",
        }
        lines = csvtext.join([columns[c] for c in self._header], ";", len(account))
        order = np.lexsort((days, self.accounts.rank[account]))
        return lines.take(pa.array(order))
