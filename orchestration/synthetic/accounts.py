"""Annual accounts of the companies, derived from the simulated months of each fiscal year.

At each closing (December for most companies, June, March or September for others), a statement
is drawn from what the year was: staff and payroll (the simulated headcount and wages), health
(turnover per head and margins move with it), partial activity (lost turnover, allowances and
subsidies in 2020-2021, then the State-guaranteed loans, PGE, paid back from 2023). Balance-sheet
items follow: weak companies carry more debt, less cash, longer supplier delays and larger tax
and social debts (their URSSAF arrears included). Noise on every item keeps the accounts honest:
healthy companies have bad years and failing ones can show a profit.

Companies file with a delay of a few months, weak or insolvent ones later or never; sole traders,
associations and public bodies file nothing. `filed` is the month a statement becomes public.
"""

from __future__ import annotations

import numpy as np

from orchestration.synthetic import health
from orchestration.synthetic.dynamics import Economy
from orchestration.synthetic.sectors import SECTION_LETTERS

_VA_RATE = {"A": 0.35, "B": 0.4, "C": 0.3, "D": 0.25, "E": 0.4, "F": 0.38, "G": 0.15, "H": 0.4, "I": 0.45}
_VA_RATE |= {"J": 0.55, "K": 0.6, "L": 0.5, "M": 0.55, "N": 0.6, "O": 0.7, "P": 0.75, "Q": 0.7}
_VA_RATE |= {"R": 0.5, "S": 0.55, "T": 0.8, "U": 0.6}
_CAPITAL = {"C": 0.35, "D": 1.5, "E": 0.8, "H": 0.4, "I": 0.3, "K": 0.5, "L": 2.0, "B": 0.8}
_STOCK_DAYS = {"A": 60.0, "C": 50.0, "F": 25.0, "G": 35.0, "B": 30.0, "I": 8.0}
_CLIENT_DAYS = {"G": 20.0, "I": 8.0, "Q": 30.0}
_GOODS = {"G": 0.85, "C": 0.1, "I": 0.05}
_CLOSING_MONTHS = np.array([11, 5, 2, 8, 10, 7])  # month of year (0 = January) of the closing
_CLOSING_WEIGHTS = np.array([0.72, 0.08, 0.06, 0.08, 0.03, 0.03])
FIELDS = (
    "headcount",
    "ca",
    "export",
    "va",
    "charges_personnel",
    "impots_taxes",
    "subventions",
    "ebe",
    "ventes_marchandises",
    "achats_marchandises",
    "achats_matieres",
    "autres_achats",
    "autres_produits",
    "dotations",
    "resultat_exploitation",
    "produits_financiers",
    "charges_financieres",
    "rcai",
    "produits_exceptionnels",
    "charges_exceptionnelles",
    "participation",
    "impot_benefices",
    "resultat_net",
    "caf",
    "investissements",
    "immobilisations",
    "stocks",
    "creances",
    "disponibilites",
    "dettes_financieres",
    "concours_bancaires",
    "dettes_fournisseurs",
    "dettes_fiscales_sociales",
    "capitaux_propres",
    "capital_social",
    "recherche",
    "concessions",
)


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


class Statements:
    """Every statement closed so far (one row per company and fiscal year), advanced monthly."""

    @classmethod
    def of(cls, economy: Economy, seed: int) -> Statements:
        cached = getattr(economy, "_statements", None)
        if cached is None:
            cached = cls(economy, seed)
            economy._statements = cached  # type: ignore[attr-defined]
        return cached

    def __init__(self, economy: Economy, seed: int) -> None:
        self.economy = economy
        self.seed = seed
        self.t = -1
        c = economy.pop.companies
        n = len(c)
        rng = np.random.default_rng([seed, 7_331])
        section = SECTION_LETTERS[c.section]
        self.section = section
        self.closing_month = _CLOSING_MONTHS[rng.choice(len(_CLOSING_MONTHS), n, p=_CLOSING_WEIGHTS)]
        # Who files accounts at all: commercial companies and the like, not persons or public bodies.
        self.files = ~c.excluded & (c.legal != "1000") & ~np.char.startswith(c.legal, "92")
        self.files &= ~np.char.startswith(c.legal, "7")
        va = np.array([_VA_RATE.get(s, 0.4) for s in section])
        self.va_rate = np.clip(va * rng.lognormal(0.0, 0.15, n), 0.08, 0.9)
        margin = np.clip(rng.normal(0.22, 0.07, n), 0.02, 0.5)
        # Turnover per employee and year (wage index 1, health at the class level).
        self.productivity = 12 * c.wage * 1.42 / (self.va_rate * (0.975 - margin))
        self.capital = np.array([_CAPITAL.get(s, 0.15) for s in section]) * rng.lognormal(0.0, 0.4, n)
        self.stock_days = np.array([_STOCK_DAYS.get(s, 3.0) for s in section]) * rng.lognormal(0.0, 0.4, n)
        self.client_days = np.array([_CLIENT_DAYS.get(s, 55.0) for s in section]) * rng.lognormal(0.0, 0.3, n)
        self.goods = np.array([_GOODS.get(s, 0.03) for s in section])
        self.export_share = np.where(section == "C", 0.3, 0.04) * rng.beta(1.2, 3.0, n)
        self.leverage = 0.18 * rng.lognormal(0.0, 0.5, n)
        self.interest = rng.uniform(0.02, 0.05, n)
        self.equity_ratio = 0.3 * rng.lognormal(0.0, 0.4, n)
        self.capital_share = rng.uniform(0.05, 0.5, n)
        self.research = np.where(np.isin(section, ["C", "J", "M"]) & (rng.random(n) < 0.3), 0.01, 0.0)
        self.supplier_sensitivity = rng.lognormal(0.0, 0.4, n)
        self.equity = np.full(n, np.nan)
        self.capital_social = np.zeros(n)
        self.pge = np.zeros(n)
        self.has_statement = np.zeros(n, dtype=bool)
        self.rows: dict[str, list[np.ndarray]] = {k: [] for k in (*FIELDS, *_META)}

    def update(self, t: int) -> None:
        if t <= self.t:
            return
        self.t = t
        economy = self.economy
        tl = economy.timeline
        calendar = (tl.sim_start + t) % 12
        alive = economy.state[:, t] >= 0
        c = economy.pop.companies
        age = np.where(c.birth_t < 0, 10**6, t - c.birth_t)  # months since creation
        closing = np.nonzero((self.closing_month == calendar) & alive & self.files & (age >= 6))[0]
        if not len(closing):
            return
        rng = np.random.default_rng([self.seed, 7_332, t + 1])
        first = ~self.has_statement[closing] & (age[closing] < 10**6)
        months = np.where(first, np.clip(age[closing], 6, 18), 12)
        window = np.arange(max(0, t - 11), t + 1)
        if len(window) < 6:
            return
        self._close(t, closing, months, window, rng)

    def _close(
        self, t: int, rows: np.ndarray, months: np.ndarray, window: np.ndarray, rng: np.random.Generator
    ) -> None:
        economy = self.economy
        tl = economy.timeline
        c = economy.pop.companies
        n = len(rows)
        state = economy.state[np.ix_(rows, window)]
        present = state >= 0
        count = np.maximum(present.sum(axis=1), 1)
        x = np.where(present, health.GRID[np.maximum(state, 0)], 0.0).sum(axis=1) / count
        staff = economy.headcount[np.ix_(rows, window)].astype(np.float64)
        head = staff.sum(axis=1) / count
        wage_index = economy.shocks.wage_index[window]
        payroll = (staff * wage_index).sum(axis=1) * c.wage[rows] * months / len(window)
        ap = economy.ap_share[np.ix_(rows, window)].astype(np.float64).mean(axis=1)
        level = health.CLASS_LEVELS[c.fclass[rows]]
        year = (tl.sim_start + t) // 12
        crisis = 1.0 if year in (2020, 2021) else 0.0
        scale = months / 12.0

        ca = head * self.productivity[rows] * wage_index.mean() * scale
        # Fragile classes are structurally less profitable; a bad year cuts turnover, not staff.
        ca *= np.exp(0.12 * x + 0.15 * (x - level) + rng.normal(0.0, 0.08, n)) * (1.0 - 0.6 * ap)
        ca = np.maximum(ca, 1_000.0)
        va = ca * self.va_rate[rows] * np.exp(rng.normal(0.0, 0.05, n))
        personnel = payroll * 1.42 * (1.0 - 0.7 * ap)
        taxes = 0.025 * va
        subsidies = va * (0.35 * ap * crisis + 0.003)
        ebe = va - personnel - taxes + subsidies
        purchases = np.maximum(ca - va, 0.0)
        goods_sold = ca * self.goods[rows]
        goods_bought = np.minimum(goods_sold * 0.7, purchases)
        materials = (purchases - goods_bought) * np.where(
            np.isin(self.section[rows], ["A", "C", "F"]), 0.6, 0.1
        )
        external = purchases - goods_bought - materials
        fixed = ca * self.capital[rows]
        depreciation = fixed * 0.12
        other = ca * rng.normal(0.0, 0.004, n)
        rex = ebe + other - depreciation

        # PGE: State-guaranteed loans taken in 2020-2021 by companies hit by the crisis, repaid from 2023.
        new_pge = (crisis > 0) & (ap > 0.03) & (self.pge[rows] == 0)
        self.pge[rows] = np.where(new_pge, 0.15 * ca, np.where(year >= 2023, 0.75, 1.0) * self.pge[rows])
        pge = self.pge[rows]
        debt = ca * self.leverage[rows] * (1.0 + 0.5 * _softplus(-x)) + pge
        cash = ca * 0.08 * np.exp(0.5 * x + rng.normal(0.0, 0.3, n)) + 0.6 * pge
        financial_charges = debt * self.interest[rows]
        financial_income = ca * 0.002 + cash * 0.005
        rcai = rex + financial_income - financial_charges
        exceptional_income = ca * np.abs(rng.normal(0.0, 0.003, n))
        exceptional_charges = ca * np.abs(rng.normal(0.0, 0.003, n)) * (1.0 + 3.0 * (x < -2.0))
        participation = 0.05 * np.maximum(rcai, 0.0) * (head >= 50)
        tax = 0.25 * np.maximum(rcai + exceptional_income - exceptional_charges - participation, 0.0)
        net = rcai + exceptional_income - exceptional_charges - participation - tax

        first = np.isnan(self.equity[rows])
        equity = np.where(
            first,
            ca * self.equity_ratio[rows] * np.exp(0.5 * x - 0.2),
            self.equity[rows] + net - 0.3 * np.maximum(net, 0.0),
        )
        self.equity[rows] = equity
        self.capital_social[rows] = np.where(
            first, np.maximum(equity, ca * 0.05) * self.capital_share[rows], self.capital_social[rows]
        )
        supplier_days = (
            55.0 + 12.0 * _softplus(-x - 0.5) * self.supplier_sensitivity[rows] + rng.normal(0.0, 8.0, n)
        )
        urssaf = self._urssaf_debt(rows)
        values = {
            "headcount": head,
            "ca": ca,
            "export": ca * self.export_share[rows],
            "va": va,
            "charges_personnel": personnel,
            "impots_taxes": taxes,
            "subventions": subsidies,
            "ebe": ebe,
            "ventes_marchandises": goods_sold,
            "achats_marchandises": goods_bought,
            "achats_matieres": materials,
            "autres_achats": external,
            "autres_produits": other,
            "dotations": depreciation,
            "resultat_exploitation": rex,
            "produits_financiers": financial_income,
            "charges_financieres": financial_charges,
            "rcai": rcai,
            "produits_exceptionnels": exceptional_income,
            "charges_exceptionnelles": exceptional_charges,
            "participation": participation,
            "impot_benefices": tax,
            "resultat_net": net,
            "caf": net + depreciation,
            "investissements": depreciation * rng.uniform(0.5, 1.6, n) * (1.0 + 0.3 * np.tanh(x)),
            "immobilisations": fixed,
            "stocks": ca * self.stock_days[rows] / 365.0,
            "creances": ca * self.client_days[rows] * np.exp(0.1 * _softplus(-x)) / 365.0,
            "disponibilites": cash,
            "dettes_financieres": debt,
            "concours_bancaires": ca * 0.02 * _softplus(-x) * rng.lognormal(0.0, 0.5, n),
            "dettes_fournisseurs": purchases * np.maximum(supplier_days, 5.0) / 365.0,
            "dettes_fiscales_sociales": personnel * 0.17 * (1.0 + 0.8 * _softplus(-x - 1.0)) + urssaf,
            "capitaux_propres": equity,
            "capital_social": self.capital_social[rows],
            "recherche": ca * self.research[rows],
            "concessions": fixed * 0.02,
        }
        # Filing: a few months after the closing, later or never for weak and insolvent companies.
        x_end = health.GRID[np.maximum(economy.state[rows, t], 0)]
        opened = ~np.isnat(economy.opening_day[rows]) & (economy.opening_day[rows] <= tl.first_days[t + 1])
        delay = 4 + rng.poisson(2.0, n) + np.where(x_end < -2.0, rng.poisson(4.0, n), 0)
        never = rng.random(n) < 0.04 + 0.25 * (x_end < -2.5) + 0.4 * opened
        meta = {
            "company": rows,
            "closing_t": np.full(n, t),
            "closing_day": np.full(n, tl.first_days[t + 1] - 1),
            "months": months,
            "filed": np.where(never, 10**6, t + delay),
        }
        for name, array in values.items():  # float32: national tables hold millions of statements
            self.rows[name].append(np.asarray(array, dtype=np.float32))
        for name, array in meta.items():
            self.rows[name].append(np.asarray(array))
        self.has_statement[rows] = True

    def _urssaf_debt(self, rows: np.ndarray) -> np.ndarray:
        """URSSAF arrears (euros) of the companies at the closing date."""
        ledger = self.economy.ledger
        ecn = ledger.ecn
        is_open = ecn["open"]
        company = self.economy.pop.accounts.company[ecn["account"][is_open]]
        owed = np.bincount(company, weights=(ecn["po"] + ecn["pp"])[is_open], minlength=len(self.equity))
        return owed[rows] / 100.0

    def table(self) -> dict[str, np.ndarray]:
        """Every statement so far, in closing order (concatenated once and cached)."""
        for name, parts in self.rows.items():
            if len(parts) != 1:
                self.rows[name] = [np.concatenate(parts) if parts else np.zeros(0)]
        return {name: parts[0] for name, parts in self.rows.items()}


_META = ("company", "closing_t", "closing_day", "months", "filed")
