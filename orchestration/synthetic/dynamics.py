"""The monthly simulation: health, failures, closures, establishments, headcount and URSSAF.

`Economy` holds the state every writer reads; `Economy.step()` advances it by one month. Order of
events within month t, for a company alive at the end of t-1:
  1. its health bin moves (transition of group g at month t);
  2. if it never opened proceedings during the simulation, it opens one with probability
     h[g, t](state), otherwise it closes voluntarily with probability CLOSURE(state);
  3. establishments, headcount, partial activity and URSSAF follow.
The oracle relies on exactly this order (see oracle.py).
"""

from __future__ import annotations

import numpy as np

from orchestration.synthetic import health, proceedings
from orchestration.synthetic.ledger import PROCOL_NONE, PROCOL_OPEN, PROCOL_PLAN, Ledger
from orchestration.synthetic.population import Population
from orchestration.synthetic.sectors import SECTION_LETTERS, SECTIONS
from orchestration.synthetic.shocks import Shocks
from orchestration.synthetic.timeline import Timeline, month_index

NAT = np.datetime64("NaT", "D")
BURN_IN_MONTHS = 60
_SEASON = np.array([0, 0, 0, 0, 0.3, 0.8, 1.0, 1.0, 0.4, 0, 0, 0])
_KAPPA = 0.3  # headcount elasticity to (smoothed) health
_EMA = 0.15  # smoothing of health for headcount decisions


class _Events:
    """Proceedings events: effective day, label, and the day URSSAF learns of it."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.company: list[int] = []
        self.day: list[np.datetime64] = []
        self.label: list[str] = []
        self._known = np.zeros(0, dtype="datetime64[D]")

    def add(self, company: int, events: list[tuple[np.datetime64, str, str]]) -> None:
        for day, stade, action in events:
            self.company.append(company)
            self.day.append(day)
            self.label.append(f"{stade}_{action}")

    def arrays(self) -> dict[str, np.ndarray]:
        day = np.array(self.day, dtype="datetime64[D]")
        new = len(day) - len(self._known)
        if new:  # reporting lags drawn once per event, in event order
            self._known = np.concatenate([self._known, day[-new:] + proceedings.knowledge_lag(self.rng, new)])
        return {
            "company": np.array(self.company, dtype=np.int64),
            "day": day,
            "label": np.array(self.label, dtype=object),
            "known": self._known,
        }


class Economy:
    def __init__(
        self,
        population: Population,
        shocks: Shocks,
        timeline: Timeline,
        seed_sequence: np.random.SeedSequence,
    ) -> None:
        self.pop = population
        self.shocks = shocks
        self.timeline = timeline
        sim_seq, ledger_seq, event_seq, lag_seq, report_seq = seed_sequence.spawn(5)
        self.rng = np.random.default_rng(sim_seq)
        self.event_rng = np.random.default_rng(event_seq)
        c = population.companies
        e = population.establishments
        n, m, n_t = len(c), len(e), timeline.n_months
        self.t = -1

        # Groups (section, region, class): everything the transition and hazard depend on.
        n_regions = len(population.regions)
        key = (c.section.astype(np.int64) * n_regions + c.region) * len(health.CLASS_LEVELS) + c.fclass
        keys, self.group = np.unique(key, return_inverse=True)
        self.g_class = (keys % len(health.CLASS_LEVELS)).astype(np.int64)
        self.g_region = ((keys // len(health.CLASS_LEVELS)) % n_regions).astype(np.int64)
        self.g_section = (keys // len(health.CLASS_LEVELS) // n_regions).astype(np.int64)
        level = health.CLASS_LEVELS[self.g_class]
        drift = (
            (health.THETA * level)[:, None]
            + shocks.sector_drift[self.g_section]
            + shocks.region_drift[self.g_region]
        )
        self.drift_q = health.quantise(drift)
        section_hazard = np.array([SECTIONS[s].hazard for s in SECTION_LETTERS])
        base = section_hazard[self.g_section] + shocks.region_hazard[self.g_region]
        base = np.where(self.g_class == health.PUBLIC_CLASS, -np.inf, base)
        self.hazard_offset = base[:, None] + shocks.hazard_regime[None, :]
        self.burn_offset = base

        # State matrices read by writers and the oracle.
        self.state = np.full((n, n_t), -1, dtype=np.int8)
        self.headcount = np.zeros((n, n_t), dtype=np.int32)
        self.est_headcount = np.zeros((m, n_t), dtype=np.uint16)
        self.ap_share = np.zeros((n, n_t), dtype=np.float16)

        # Company life.
        self.alive = np.zeros(n, dtype=bool)
        self.at_risk = np.zeros(n, dtype=bool)
        self.s = np.zeros(n, dtype=np.int8)
        self.smooth = np.zeros(n)
        self.noise = np.zeros(n)
        self.log_scale = np.log(np.maximum(c.base_size, 0.5))  # headcount scale, moved by growth and health
        self.opening_day = np.full(n, NAT)
        self.opening_action = np.full(n, "", dtype="U12")
        self.closure_day = np.full(n, NAT)  # voluntary closure
        self.end_day = np.full(n, NAT)  # activity stops (closure, liquidation, sale)
        self.liquidation_day = np.full(n, NAT)
        self.plan_day = np.full(n, NAT)
        self.sale_day = np.full(n, NAT)
        self.abandon_day = np.full(n, NAT)
        self.write_off_day = np.full(n, NAT)
        self.all_sirets = self.event_rng.random(n) < 0.3  # proceedings filed under every siret
        self.summer = np.array([SECTIONS[s].summer for s in SECTION_LETTERS])[c.section]

        # Establishment life (Sirene dates and INSEE processing dates).
        t0 = timeline.first_days[0]
        existing = e.creation_day < t0
        self.est_open_day = np.where(existing, e.creation_day, NAT)
        lag_rng = np.random.default_rng(lag_seq)  # INSEE processing delays
        self.creation_lag = lag_rng.integers(0, 46, m).astype("timedelta64[D]")
        self.closure_lag = lag_rng.integers(5, 121, m).astype("timedelta64[D]")
        historical = existing & ~np.isnat(e.closure_day) & (e.closure_day < t0)
        self.est_close_day = np.where(historical, e.closure_day, NAT)
        self.est_open = existing & ~historical

        self.events = _Events(np.random.default_rng(report_seq))
        for i in np.nonzero(~np.isnat(c.past_opening_day))[0].tolist():
            self.events.add(
                i, proceedings.past_events(self.event_rng, c.past_opening_day[i], str(c.past_action[i]), t0)
            )

        months = np.arange(n_t) + timeline.sim_start
        self.support = (months >= month_index("2020-03")) & (months <= month_index("2021-06"))
        covid = np.array([SECTIONS[s].covid for s in SECTION_LETTERS])
        self.ledger = Ledger(population, timeline, np.random.default_rng(ledger_seq), covid)
        self._burn_in()

    # -------------------------------------------------------------------------------------------
    def _burn_in(self) -> None:
        """Bring existing companies to a quasi-stationary health: failures are replaced, not removed."""
        c = self.pop.companies
        rng = self.rng
        existing = np.nonzero(c.birth_t < 0)[0]
        group = self.group[existing]
        drift = health.quantise(health.THETA * health.CLASS_LEVELS[self.g_class[group]])
        s = health.state_of(c.x0[existing])
        fclass = self.g_class[group]
        for _ in range(BURN_IN_MONTHS):
            s = health.draw_next(rng, health.step_means(drift, 1.0, s))
            rate = health.opening_hazard_at(self.burn_offset[group], s) + health.CLOSURE[s]
            out = rng.random(len(s)) < rate
            # A company that would leave takes the state of a surviving one of its class
            # (Fleming-Viot), which converges to the law of survivors rather than injecting fresh draws.
            for k in np.unique(fclass[out]).tolist():
                leavers = np.nonzero(out & (fclass == k))[0]
                stayers = np.nonzero(~out & (fclass == k))[0]
                if len(stayers):
                    s[leavers] = s[stayers[rng.integers(0, len(stayers), len(leavers))]]
        self.s[existing] = s
        self.smooth[existing] = health.GRID[s]
        self.alive[existing] = True
        self.at_risk[existing] = True

    # -------------------------------------------------------------------------------------------
    def step(self) -> None:
        self.t += 1
        t = self.t
        rng = self.rng
        c = self.pop.companies
        tl = self.timeline

        # 1. Health moves for companies alive at the end of t-1; newborns start at their own level.
        movers = np.nonzero(self.alive)[0]
        g = self.group[movers]
        self.s[movers] = health.draw_next(
            rng, health.step_means(self.drift_q[g, t], self.shocks.spiral_scale[t], self.s[movers])
        )
        born = np.nonzero(c.birth_t == t)[0]
        self.s[born] = health.state_of(c.x0[born])
        self.smooth[born] = health.GRID[self.s[born]]
        self.alive[born] = True
        self.at_risk[born] = False  # exposed from the next month on

        # 2. First openings and voluntary closures of the companies at risk.
        risk = movers[self.at_risk[movers]]
        s_risk = self.s[risk]
        h = health.opening_hazard_at(self.hazard_offset[self.group[risk], t], s_risk)
        u = rng.random(len(risk))
        opened = risk[u < h]
        closed = risk[(u >= h) & (u < h + health.CLOSURE[s_risk])]
        self.at_risk[born] = True
        self.at_risk[opened] = False
        self.at_risk[closed] = False
        self._open_proceedings(t, opened)
        days = tl.random_days(rng, np.full(len(closed), t))
        self.closure_day[closed] = days
        self.end_day[closed] = days
        self.write_off_day[closed] = days + rng.integers(180, 540, len(closed)).astype("timedelta64[D]")

        # 3. Proceedings taking effect this month: a liquidation or a sale stops the activity, a
        # continuation plan gives the company a fresh (still weak) start.
        liquidated, sold = self._in_month(self.liquidation_day, t), self._in_month(self.sale_day, t)
        stop = (liquidated | sold) & np.isnat(self.end_day)
        self.end_day = np.where(stop, np.where(liquidated, self.liquidation_day, self.sale_day), self.end_day)
        plan = np.nonzero(self._in_month(self.plan_day, t) & self.alive)[0]
        self.s[plan] = health.state_of(rng.normal(-1.0, 0.3, len(plan)))
        ended = self._in_month(self.end_day, t)  # active during t, gone at its end
        self._close_establishments(t, ended)
        self.alive &= ~ended

        # 4. Establishments open and close.
        self._establishments(t)

        # 5. Headcount, partial activity, URSSAF.
        self._headcount(t, ended)
        self._ledger(t)
        self.state[self.alive | ended, t] = self.s[self.alive | ended]

    # -------------------------------------------------------------------------------------------
    def _in_month(self, days: np.ndarray, t: int) -> np.ndarray:
        first = self.timeline.first_days
        return (days >= first[t]) & (days < first[t + 1])

    def _open_proceedings(self, t: int, opened: np.ndarray) -> None:
        if not len(opened):
            return
        rng = self.event_rng
        days = self.timeline.random_days(self.rng, np.full(len(opened), t))
        horizon = self.timeline.first_days[-1]
        size = self.headcount[opened, t - 1] if t > 0 else self.pop.companies.base_size[opened]
        for i, day, headcount in zip(opened.tolist(), days, size.tolist(), strict=True):
            action = proceedings.first_action(rng, float(headcount), float(health.GRID[self.s[i]]))
            path = proceedings.draw_path(rng, day, action, horizon)
            self.opening_day[i] = day
            self.opening_action[i] = action
            self.liquidation_day[i] = path.liquidation_day
            self.plan_day[i] = path.plan_day
            self.sale_day[i] = path.sale_day
            self.abandon_day[i] = path.abandon_day
            self.write_off_day[i] = path.end_day
            self.events.add(i, path.events)

    def _close_establishments(self, t: int, ended: np.ndarray) -> None:
        """All establishments of companies whose activity ends this month close after a lag."""
        e = self.pop.establishments
        rows = np.nonzero(self.est_open & ended[e.company])[0]
        if not len(rows):
            return
        company = e.company[rows]
        base = self.end_day[company]
        liquidated = ~np.isnat(self.liquidation_day[company]) & (
            self.end_day[company] == self.liquidation_day[company]
        )
        lag = np.where(liquidated, self.rng.integers(0, 61, len(rows)), 0)
        self.est_close_day[rows] = base + lag.astype("timedelta64[D]")
        self.est_open[rows] = False

    def _establishments(self, t: int) -> None:
        e = self.pop.establishments
        tl = self.timeline
        first_day, next_first = tl.first_days[t], tl.first_days[t + 1]
        # Planned openings: only for companies alive and not in distress.
        new = np.nonzero(
            np.isnat(self.est_open_day) & (e.creation_day >= first_day) & (e.creation_day < next_first)
        )[0]
        company = e.company[new]
        ok = self.alive[company] & (np.isnat(self.opening_day[company]) | e.head[new])
        ok &= (health.GRID[self.s[company]] > -1.5) | e.head[new]
        ok &= np.isnat(self.end_day[company])
        new = new[ok]
        self.est_open_day[new] = e.creation_day[new]
        self.est_open[new] = True
        # Planned closures of secondary establishments, and restructuring of weak companies.
        planned = self.est_open & (e.closure_day >= first_day) & (e.closure_day < next_first)
        weak = self.at_risk[e.company] & (health.GRID[self.s[e.company]] < -2.0)
        restructure = self.est_open & ~e.head & ~e.pseudo & weak & (self.rng.random(len(e)) < 0.015)
        rows = np.nonzero((planned | restructure) & ~e.head)[0]
        self.est_close_day[rows] = np.where(
            planned[rows], e.closure_day[rows], tl.random_days(self.rng, np.full(len(rows), t))
        )
        self.est_open[rows] = False

    def _headcount(self, t: int, ended: np.ndarray) -> None:
        c = self.pop.companies
        e = self.pop.establishments
        tl = self.timeline
        rng = self.rng
        alive = self.alive | ended
        x = health.GRID[self.s]
        self.smooth = np.where(alive, (1 - _EMA) * self.smooth + _EMA * x, self.smooth)
        self.noise = 0.9 * self.noise + rng.normal(0, 0.015, len(c))
        day = tl.first_days[t]
        age = (day - c.creation_day).astype(np.float64) / 365.25
        # Trend growth (fast for young firms) happens only in good health; weak firms shrink.
        trend = (c.growth + c.young_growth * (age < 5.0)) / 12.0
        trend = np.where(trend > 0, trend * np.clip((self.smooth + 1.5) / 1.5, 0.0, 1.0), trend)
        trend -= 0.008 * np.maximum(0.0, -1.5 - self.smooth)
        grow = alive & (c.birth_t < t)
        self.log_scale = np.where(grow, self.log_scale + trend, self.log_scale)
        log_scale = self.log_scale
        kappa = _KAPPA * (0.35 if self.support[t] else 1.0)  # partial activity keeps staff in 2020-21
        level = health.CLASS_LEVELS[c.fclass]
        season = 1.0 + self.summer * _SEASON[(tl.sim_start + t) % 12]
        target = np.exp(log_scale + kappa * (self.smooth - level) + self.noise) * season
        # During the observation period of a proceeding, the administrator cuts staff.
        end = tl.first_days[t + 1]
        observing = ~np.isnat(self.opening_day) & (self.opening_day < end)
        observing &= ~(~np.isnat(self.plan_day) & (self.plan_day < end))
        observing &= ~(~np.isnat(self.abandon_day) & (self.abandon_day < end))
        target *= np.where(observing, 0.85, 1.0)
        # After the month its activity stops, a company has no staff left.
        target = np.where(alive, target, 0.0)

        # Staff spread over the establishments open during the month.
        open_in_month = self.est_open | (~np.isnat(self.est_close_day) & (self.est_close_day >= day))
        open_in_month &= ~np.isnat(self.est_open_day) & (self.est_open_day < tl.first_days[t + 1])
        weight = np.where(open_in_month & ~e.pseudo, e.weight, 0.0)
        total = np.bincount(e.company, weights=weight, minlength=len(c))
        share = weight / np.maximum(total[e.company], 1e-12)
        staff = np.rint(target[e.company] * share)
        temp = e.pseudo & open_in_month
        staff = np.where(
            temp,
            np.rint(target[e.company] * 1.5 * np.exp(0.3 * (self.smooth[e.company] - level[e.company]))),
            staff,
        )
        self.est_headcount[:, t] = np.clip(staff, 0, 65535).astype(np.uint16)
        self.headcount[:, t] = np.bincount(
            e.company, weights=np.where(e.pseudo, 0, staff), minlength=len(c)
        ).astype(np.int32)

        pressure = self.shocks.ap_pressure[c.section, t]
        distress = 0.25 / (1.0 + np.exp((self.smooth + 2.0) / 0.3)) * (rng.random(len(c)) < 0.4)
        share_ap = pressure * np.clip(0.6 + 0.3 * (level - self.smooth), 0.2, 1.5) + distress
        self.ap_share[:, t] = np.where(self.headcount[:, t] > 0, np.clip(share_ap, 0, 0.95), 0).astype(
            np.float16
        )

    def _ledger(self, t: int) -> None:
        c = self.pop.companies
        e = self.pop.establishments
        acc = self.pop.accounts
        day_end = self.timeline.first_days[t + 1] - 1
        if t > 0:
            wage = c.wage[e.company] * self.shocks.wage_index[t - 1]
            has = self.pop.est_account >= 0
            payroll = np.bincount(
                self.pop.est_account[has],
                weights=(self.est_headcount[has, t - 1] * wage[has] * 100.0),
                minlength=len(acc),
            )
        else:
            payroll = np.zeros(len(acc))
        account_open = self.est_open[acc.establishment] | (self.headcount[acc.company, t] > 0)
        opened = ~np.isnat(self.opening_day) & (self.opening_day <= day_end)
        planned = ~np.isnat(self.plan_day) & (self.plan_day <= day_end)
        liquidated = ~np.isnat(self.liquidation_day) & (self.liquidation_day <= day_end)
        abandoned = ~np.isnat(self.abandon_day) & (self.abandon_day <= day_end)
        code = np.where(opened, PROCOL_OPEN, PROCOL_NONE)
        code = np.where(planned, PROCOL_PLAN, code)
        code = np.where(liquidated & (~planned | (self.liquidation_day > self.plan_day)), PROCOL_OPEN, code)
        code = np.where(abandoned, PROCOL_NONE, code).astype(np.int8)
        first_day = self.timeline.first_days[t]
        write_off = (
            ~np.isnat(self.write_off_day)
            & (self.write_off_day >= first_day)
            & (self.write_off_day <= day_end)
        )
        insolvent = ~self.alive & opened  # liquidated or sold: contributions are no longer paid
        self.ledger.step(t, payroll, account_open, health.GRID[self.s], insolvent, code, write_off)

    # -------------------------------------------------------------------------------------------
    def first_opening_day(self) -> np.ndarray:
        """The first opening of each company over the whole history (before or during the simulation)."""
        past = self.pop.companies.past_opening_day
        return np.where(np.isnat(past), self.opening_day, past)
