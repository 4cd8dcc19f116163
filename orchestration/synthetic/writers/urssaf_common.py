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
