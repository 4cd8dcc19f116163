"""Account-level text columns shared by the URSSAF writers (computed once per economy)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.synthetic import csvtext
from orchestration.synthetic.dynamics import Economy


class AccountText:
    """Siret, siren, account number, managing URSSAF and département of every account."""

    @classmethod
    def of(cls, economy: Economy) -> AccountText:
        """One instance per economy, shared by the URSSAF writers."""
        cached = getattr(economy, "_account_text", None)
        if cached is None:
            cached = cls(economy)
            economy._account_text = cached  # type: ignore[attr-defined]
        return cached

    def __init__(self, economy: Economy) -> None:
        pop = economy.pop
        acc = pop.accounts
        est = pop.establishments
        self.siret_values = est.siret[acc.establishment]
        self.rank = np.empty(len(acc), dtype=np.int64)  # position of each account in siret order
        self.rank[np.argsort(self.siret_values, kind="stable")] = np.arange(len(acc))
        self.columns = {
            "siret": csvtext.text(self.siret_values),
            "siren": csvtext.text(pop.companies.siren[acc.company]),
            "number": csvtext.text(acc.number),
            "urssaf": csvtext.text(acc.urssaf),
            "departement": csvtext.text(acc.departement),
            # Dt_immat is observed as an 8-digit YYYYMMDD date (raw-sources §5.3).
            "immatriculation": pc.strftime(
                pa.array(acc.immatriculation.astype("datetime64[D]")), format="%Y%m%d"
            ),
        }
        self._joined: dict[tuple, pa.Array] = {}

    def joined(self, names: list[str], separator: str) -> pa.Array:
        """Several account columns pre-joined once (they repeat every month)."""
        key = (tuple(names), separator)
        if key not in self._joined:
            self._joined[key] = pc.binary_join_element_wise(*[self.columns[n] for n in names], separator)
        return self._joined[key]

    def take(self, name: str, rows: np.ndarray) -> pa.Array:
        return csvtext.take(self.columns[name], rows)


def company_names(economy: Economy) -> np.ndarray:
    """Company name as URSSAF files carry it (raison sociale; never quoted, `;` removed)."""
    c = economy.pop.companies
    person = np.char.add(np.char.add(c.person["nom"], " "), c.person["prenom1"])
    names = np.where(c.denomination != "", c.denomination, person)
    return np.char.replace(names.astype(str), ";", " ")


class AccountDebt:
    """Per-account URSSAF situation after each month: outstanding ECN balance (cents), average
    monthly contributions (cents) and consecutive months in debt. Shared by delai and ccsf."""

    @classmethod
    def of(cls, economy: Economy) -> AccountDebt:
        cached = getattr(economy, "_account_debt", None)
        if cached is None:
            cached = cls(economy)
            economy._account_debt = cached  # type: ignore[attr-defined]
        return cached

    def __init__(self, economy: Economy) -> None:
        self.economy = economy
        n = len(economy.pop.accounts)
        self.t = -1
        self.outstanding = np.zeros(n, np.int64)
        self.monthly = np.zeros(n)
        self.months_in_debt = np.zeros(n, np.int32)
        self.called = np.zeros(n, np.int64)  # unpaid contributions called this month

    def update(self, t: int) -> None:
        """Bring the situation to month t (every month must be seen, in order)."""
        if t == self.t:
            return
        self.t = t
        ledger = self.economy.ledger
        n = len(self.outstanding)
        ecn = ledger.ecn
        is_open = ecn["open"]
        balance = (ecn["po"] + ecn["pp"])[is_open]
        self.outstanding = np.bincount(ecn["account"][is_open], weights=balance, minlength=n).astype(np.int64)
        month = ledger.month
        per_month = month.c_due / np.maximum(month.c_months, 1)
        settled = month.c_account
        previous = self.monthly[settled]
        self.monthly[settled] = np.where(previous > 0, 0.85 * previous + 0.15 * per_month, per_month)
        self.months_in_debt = np.where(self.outstanding > 0, self.months_in_debt + 1, 0).astype(np.int32)
        self.called = np.bincount(settled, weights=month.c_called, minlength=n).astype(np.int64)

    def debt_months(self) -> np.ndarray:
        """Outstanding debt in months of contributions (0 without contributions)."""
        return np.where(self.monthly > 0, self.outstanding / np.maximum(self.monthly, 1.0), 0.0)


class KnownMonths:
    """Backfill of a headcount file: the months each row has had declared in some delivery so far.

    Each delivery re-sends a sliding window [first, t) whose months from `known_until` (per row) on
    are still empty. The windows of successive deliveries overlap (they reach back 24 months or
    more, deliveries are at most 6 months apart, the lag at most 9), so what a row has had declared
    is every month before the largest `min(known_until, t)` seen.
    """

    def __init__(self) -> None:
        self.until: np.ndarray | None = None

    def update(self, t: int, known_until: np.ndarray) -> np.ndarray:
        """Add a delivery at t; returns the per-row bound (months before it are known)."""
        bound = np.minimum(known_until, t)
        self.until = bound if self.until is None else np.maximum(self.until, bound)
        return self.until
