"""ratios_inpi_bce.csv (raw-sources §7.2): the public ratios of the accounts filed with the registry.

A full export (stock) of every statement filed before the batch, republished on a fixed cadence:
one row per siren, closing date and balance-sheet type (`C` complete, `S` simplified for small
companies, plus a `K` consolidated row for groups). Small companies may keep their income
statement confidential: those rows say so and leave the amounts built on it empty. Columns come
in any order (one per run), and some exports start with a UTF-8 BOM. A statement's line is
formatted once, when it becomes public.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.synthetic import csvtext
from orchestration.synthetic import ratios as r
from orchestration.synthetic.accounts import Statements
from orchestration.synthetic.layouts import RATIOS_HEADER, checked_header
from orchestration.synthetic.writers.base import Context, Writer

_INCOME = (
    "chiffre_d_affaires",
    "marge_brute",
    "ebe",
    "ebit",
    "resultat_net",
    "couverture_des_interets",
    "caf_sur_ca",
    "marge_ebe",
    "resultat_courant_avant_impots_sur_ca",
)


class RatiosInpiBceWriter(Writer):
    source = "ratios_inpi_bce"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._header = checked_header(self.source, RATIOS_HEADER)
        self.statements = Statements.of(self.economy, ctx.seed)
        c = self.economy.pop.companies
        rng = self.rng(-1)
        n = len(c)
        self.confidential = (c.base_size < 50) & (rng.random(n) < 0.3)
        self.group = (c.base_size >= 250) & (rng.random(n) < 0.6)
        self.every = ctx.cadence.slow_stock_months
        # Field names come in any order: one order for the whole run.
        self.header = [self._header[i] for i in rng.permutation(len(self._header))]
        self.rank = np.empty(n, np.int64)  # siren order
        self.rank[np.argsort(c.siren, kind="stable")] = np.arange(n)
        self._formatted = np.zeros(0, dtype=bool)
        self._lines: list[pa.Array] = []
        self._keys: list[np.ndarray] = []

    def due(self, t: int) -> bool:
        tl = self.timeline
        if not tl.t_start <= t <= tl.t_end:
            return False
        return t == tl.t_start or not (tl.index(t) % self.every or self.is_late(t))

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if t > tl.t_end:
            return
        self.statements.update(t)
        if not self.due(t):
            return
        rng = self.rng(t)
        self._format_public(t)
        if self.superseded(t):  # a later export holds every statement (formatted above)
            return
        # The formatted lines stay in their chunks (merging them would copy them all); the export
        # takes them in key order a block at a time.
        lines = pa.chunked_array(self._lines, pa.string())
        keys = np.concatenate(self._keys) if self._keys else np.zeros(0, np.int64)
        self._keys = [keys]
        order = np.argsort(keys, kind="stable")
        handle = self.open(t, self.header, bom=rng.random() < 0.5)
        self.write_blocks(handle, len(order), lambda a, b: csvtext.take(lines, order[a:b]), rng)
        self.close(handle)

    def _format_public(self, t: int) -> None:
        """Format the statements that became public since the last export (their text never changes)."""
        s = self.statements.table()
        n = len(s["company"])
        self._formatted = np.r_[self._formatted, np.zeros(n - len(self._formatted), dtype=bool)]
        new = np.nonzero((s["filed"] < t) & ~self._formatted)[0] if n else np.zeros(0, np.int64)
        self._formatted[new] = True
        if not len(new):
            return
        rng = self.rng(t, 3)
        chosen = {k: v[new] for k, v in s.items()}
        company = chosen["company"].astype(np.int64)
        small = (chosen["headcount"] < 50) & (chosen["ca"] < 12e6)
        # Groups add a consolidated statement for the same closing date.
        consolidated = np.nonzero(self.group[company])[0]
        rows = np.concatenate([np.arange(len(company)), consolidated])
        kind = np.concatenate([np.where(small, 1, 0), np.full(len(consolidated), 2)])
        scale = np.concatenate([np.ones(len(company)), rng.uniform(1.1, 1.6, len(consolidated))])
        table = {k: v[rows] for k, v in chosen.items()}
        for name in (
            "ca",
            "va",
            "ebe",
            "resultat_exploitation",
            "resultat_net",
            "achats_marchandises",
            "achats_matieres",
        ):
            table[name] = table[name] * scale
        owner = company[rows]
        hidden = self.confidential[owner] & (kind != 2)
        columns = self._columns(table, hidden)
        columns["siren"] = csvtext.text(self.economy.pop.companies.siren[owner])
        columns["date_cloture_exercice"] = csvtext.iso_days(table["closing_day"])
        columns["type_bilan"] = csvtext.choose(kind, ["C", "S", "K"])
        columns["confidentiality"] = csvtext.choose(hidden.astype(np.int64), ["Public", "Confidentiel"])
        self._lines.append(csvtext.join([columns[h] for h in self.header], ";", len(rows)))
        day = table["closing_day"].astype("datetime64[D]").astype(np.int64)
        self._keys.append((self.rank[owner] * 100_000 + day) * 4 + kind)

    @staticmethod
    def _columns(s: dict[str, np.ndarray], hidden: np.ndarray) -> dict[str, pa.Array]:
        days = r.div(s["stocks"], s["ca"], 360)
        values = {
            "chiffre_d_affaires": np.rint(s["ca"]),
            "marge_brute": np.rint(s["ca"] - s["achats_marchandises"] - s["achats_matieres"]),
            "ebe": np.rint(s["ebe"]),
            "ebit": np.rint(s["resultat_exploitation"]),
            "resultat_net": np.rint(s["resultat_net"]),
            "taux_d_endettement": r.div(s["dettes_financieres"], s["capitaux_propres"], 100),
            "ratio_de_liquidite": r.div(r.current_assets(s), r.short_term_debt(s), 100),
            "ratio_de_vetuste": 35 + 30 * np.tanh(s["dotations"] / np.maximum(s["ca"], 1) * 8),
            "autonomie_financiere": r.div(s["capitaux_propres"], r.total_assets(s), 100),
            "poids_bfr_exploitation_sur_ca": r.div(r.working_capital_need(s), s["ca"], 100),
            "couverture_des_interets": r.div(s["charges_financieres"], s["ebe"], 100),
            "caf_sur_ca": r.div(s["caf"], s["ca"], 100),
            "capacite_de_remboursement": r.div(s["dettes_financieres"], s["caf"], 100),
            "marge_ebe": r.div(s["ebe"], s["ca"], 100),
            "resultat_courant_avant_impots_sur_ca": r.div(s["rcai"], s["ca"], 100),
            "poids_bfr_exploitation_sur_ca_jours": r.div(r.working_capital_need(s), s["ca"], 360),
            "rotation_des_stocks_jours": np.where(days < 1.0, 0.0, days),  # 0.0: not computable
            "credit_clients_jours": r.div(s["creances"], s["ca"], 360),
            "credit_fournisseurs_jours": r.div(s["dettes_fournisseurs"], r.purchases(s), 360),
        }
        columns: dict[str, pa.Array] = {}
        for name, v in values.items():
            v = np.where(hidden, np.nan, v) if name in _INCOME else v
            amount = name in _INCOME[:5]
            columns[name] = csvtext.integers(np.nan_to_num(v)) if amount else csvtext.fixed(v, 3)
            if amount:
                columns[name] = csvtext.where(np.isnan(v), "", columns[name])
        return columns
