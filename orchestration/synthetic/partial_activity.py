"""Partial activity (activité partielle) as the DGEFP application records it: requests, then claims.

Driven by `Economy.ap_share`, the share of hours a company puts on partial activity (the 2020-2021
crisis pressure of `shocks.ap_pressure` while the State pays, plus distress). When that share is
material, an establishment with staff and no running authorisation files a request: a period of
one to six months (three to twelve during the crisis), authorised hours above what it will use,
a motive (5 "other exceptional circumstances" for the crisis, 1 economic downturn otherwise, 3
bad weather in construction winters, 2 supply shortages in the 2022 energy shock). Each month of
the period it consumes hours following the company's actual share, up to the authorisation, and
claims them after a lag (most within two months, some up to a year): a full export shows only
the claims received by then, so past months get revised from one export to the next.
"""

from __future__ import annotations

import numpy as np

from orchestration.synthetic.dynamics import Economy
from orchestration.synthetic.sectors import SECTION_LETTERS, SECTIONS
from orchestration.synthetic.timeline import month_index

ETP_HOURS = 151.67
THRESHOLD = 0.05  # below this share of hours, no request during the crisis
ORDINARY_THRESHOLD = 0.1  # and in ordinary times
_MIN_RATE, _MAX_RATE = 8.03, 31.98  # euros per hour: floor and 4.5 SMIC cap of the allowance


class PartialActivity:
    """Requests and claimed consumption, advanced month by month (shared by both DGEFP writers)."""

    @classmethod
    def of(cls, economy: Economy, seed: int) -> PartialActivity:
        cached = getattr(economy, "_partial_activity", None)
        if cached is None:
            cached = cls(economy, seed)
            economy._partial_activity = cached  # type: ignore[attr-defined]
        return cached

    def __init__(self, economy: Economy, seed: int) -> None:
        self.economy = economy
        self.seed = seed
        self.t = -1
        e = economy.pop.establishments
        self.candidates = np.nonzero(~e.pseudo & (e.foreign_country == ""))[0]
        m = len(e)
        self.until = np.full(m, -1, np.int64)  # last month covered by the current authorisation
        self.current = np.full(m, -1, np.int64)  # current request of each establishment
        self.last_request = np.full(m, -(10**6), np.int64)
        self.left = np.zeros(m)  # authorised hours not yet used
        self.rate = np.zeros(m)  # allowance per hour of the current request
        self.requests: dict[str, list[np.ndarray]] = {k: [] for k in _REQUEST_FIELDS}
        self.claims: dict[str, list[np.ndarray]] = {k: [] for k in _CLAIM_FIELDS}
        self.n_requests = 0
        months = np.arange(economy.timeline.n_months) + economy.timeline.sim_start
        self.crisis = economy.support
        self.energy = (months >= month_index("2022-03")) & (months <= month_index("2023-06"))
        section = SECTION_LETTERS[economy.pop.companies.section]
        self.construction = section == "F"
        self.energy_exposure = np.array([SECTIONS[s].energy for s in section]) > 0.5
        self.calendar = months % 12

    def update(self, t: int) -> None:
        """Advance to month t (every month must be seen, in order)."""
        if t <= self.t:
            return
        self.t = t
        rng = np.random.default_rng([self.seed, 4_271, t + 1])
        economy = self.economy
        e = economy.pop.establishments
        rows = self.candidates
        company = e.company[rows]
        share = economy.ap_share[company, t].astype(np.float64)
        staff = economy.est_headcount[rows, t].astype(np.int64)
        free = self.until[rows] < t
        if self.crisis[t]:  # the State pays: most hit companies ask
            need = share >= THRESHOLD
            chance = np.clip(3.0 * share, 0.15, 1.0)
        else:  # ordinary times: a few distressed companies ask
            need = share >= ORDINARY_THRESHOLD
            chance = np.clip(0.5 * share, 0.01, 0.2)
        asks = need & (staff >= 1) & free & (rng.random(len(rows)) < chance)
        self._request(t, rows[asks], share[asks], staff[asks], rng)

        # Consumption of every running authorisation, capped by the hours left.
        running = rows[(self.until[rows] >= t) & (self.current[rows] >= 0)]
        company = e.company[running]
        share = economy.ap_share[company, t].astype(np.float64)
        staff = economy.est_headcount[running, t].astype(np.float64)
        hours = staff * share * ETP_HOURS * rng.lognormal(0.0, 0.25, len(running))
        hours = np.where(share >= 0.02, np.minimum(hours, self.left[running]), 0.0)
        hours = np.floor(hours * 100) / 100
        used = hours >= 1.0
        running, hours, staff = running[used], hours[used], staff[used]
        self.left[running] -= hours
        request = self.current[running]
        rate = self.rate[running]
        people = np.minimum(
            staff, np.maximum(1, np.rint(hours / (ETP_HOURS * rng.uniform(0.35, 1.0, len(hours)))))
        )
        u = rng.random(len(running))
        lag = np.where(
            u < 0.35, 0, np.where(u < 0.75, 1, np.where(u < 0.85, 2, rng.integers(3, 13, len(running))))
        )
        self._append(
            self.claims,
            request=request,
            month=np.full(len(running), t),
            hours=np.rint(hours * 100).astype(np.int64),
            amount=np.rint(hours * rate * 100).astype(np.int64),
            people=people.astype(np.int64),
            claimed=t + lag,
        )

    def _request(
        self, t: int, rows: np.ndarray, share: np.ndarray, staff: np.ndarray, rng: np.random.Generator
    ) -> None:
        n = len(rows)
        if not n:
            return
        economy = self.economy
        tl = economy.timeline
        e = economy.pop.establishments
        c = economy.pop.companies
        company = e.company[rows]
        crisis = bool(self.crisis[t])
        length = (
            rng.choice([3, 6, 12], n, p=[0.4, 0.4, 0.2])
            if crisis
            else rng.choice([1, 2, 3, 6], n, p=[0.2, 0.3, 0.3, 0.2])
        )
        start = tl.first_days[t] + np.where(crisis & (rng.random(n) < 0.3), 15, rng.integers(0, 5, n)).astype(
            "timedelta64[D]"
        )
        last = np.minimum(t + length, tl.n_months) - 1
        end = tl.first_days[last + 1] - 1
        status = start + rng.integers(2, 30, n).astype("timedelta64[D]")
        authorised = np.floor(staff * share * ETP_HOURS * length * rng.uniform(1.3, 3.0, n) * 100) / 100
        rate = np.clip(c.wage[company] * economy.shocks.wage_index[t] / ETP_HOURS * 0.7, _MIN_RATE, _MAX_RATE)
        motive = np.ones(n, np.int64)
        if crisis:
            motive = np.where(rng.random(n) < 0.9, 5, 1)
        else:
            winter = self.calendar[t] in (11, 0, 1)
            motive = np.where(self.construction[company] & winter & (rng.random(n) < 0.4), 3, motive)
            shortage = self.energy[t] & self.energy_exposure[company] & (rng.random(n) < 0.3)
            motive = np.where(shortage, 2, motive)
        motive = np.where(rng.random(n) < 0.002, rng.integers(6, 8, n), motive)  # undocumented codes
        perimeter = rng.choice(
            [1, 2, 3, 4], n, p=[0.4, 0.15, 0.4, 0.05] if crisis else [0.5, 0.35, 0.1, 0.05]
        )
        previous = np.where(t - self.last_request[rows] <= 36, 2, 1)
        previous = np.where(rng.random(n) < 0.05, 3, previous)
        big = staff >= 50
        opinion = np.where(
            big, rng.choice([1, 2, 0], n, p=[0.8, 0.05, 0.15]), rng.choice([3, 0], n, p=[0.7, 0.3])
        )
        ids = self.n_requests + np.arange(n)
        self.n_requests += n
        self._append(
            self.requests,
            establishment=rows,
            status=status,
            start=start,
            end=end,
            authorised=authorised,
            rate=rate,
            people=np.minimum(staff, np.ceil(staff * np.clip(2.0 * share, 0.1, 1.0))).astype(np.int64),
            company_staff=economy.headcount[company, t].astype(np.int64),
            staff=staff,
            motive=motive,
            perimeter=perimeter,
            previous=previous,
            opinion=opinion,
            year=np.full(n, (tl.sim_start + t) // 12),
        )
        self.until[rows] = last
        self.current[rows] = ids
        self.last_request[rows] = t
        self.left[rows] = authorised
        self.rate[rows] = rate

    @staticmethod
    def _append(store: dict[str, list[np.ndarray]], **columns: np.ndarray) -> None:
        for name, values in columns.items():
            store[name].append(np.asarray(values))

    def table(self, kind: str) -> dict[str, np.ndarray]:
        """Every request or claim so far, column by column (concatenated once and cached)."""
        store = self.requests if kind == "requests" else self.claims
        for name, parts in store.items():
            if len(parts) != 1:
                store[name] = [np.concatenate(parts) if parts else np.zeros(0)]
        return {name: parts[0] for name, parts in store.items()}


_REQUEST_FIELDS = (
    "establishment",
    "status",
    "start",
    "end",
    "authorised",
    "rate",
    "people",
    "company_staff",
    "staff",
    "motive",
    "perimeter",
    "previous",
    "opinion",
    "year",
)
_CLAIM_FIELDS = ("request", "month", "hours", "amount", "people", "claimed")
