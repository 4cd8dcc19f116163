"""sigfaible_cotisdues.csv (raw-sources §5.4): contributions due for the period that just ended.

Small accounts pay by quarter (AAX0), some April deliveries carry yearly regularisations of the
previous year (AA62), often negative. The decimal mark changes from one delivery to another.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from orchestration.sources.encodings import encode_period
from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import urssaf_header
from orchestration.synthetic.writers.base import Context, FluxWriter
from orchestration.synthetic.writers.urssaf_common import AccountText

_ACCOUNT_COLUMNS = {"Urssaf_gestion": "urssaf", "Dep": "departement", "Siret": "siret", "Compte": "number"}


class CotisationWriter(FluxWriter):
    source = "cotisation"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.accounts = AccountText.of(self.economy)
        self._header = urssaf_header(self.source)
        self._decimal: str | None = None

    def header(self, t: int) -> list[str]:
        self._decimal = "," if self.rng(t, 1).random() < 0.5 else "."
        return self._header

    def _join(self, monthly: dict[str, pa.Array], account: np.ndarray) -> pa.Array:
        """Runs of account columns (identical every month) are joined once and taken per line."""
        separator = self.contract.dialect.separator
        parts: list[pa.Array] = []
        run: list[str] = []
        for name in [*self._header, ""]:
            if name in _ACCOUNT_COLUMNS:
                run.append(name)
                continue
            if run:
                joined = self.accounts.joined([_ACCOUNT_COLUMNS[r] for r in run], separator)
                parts.append(csvtext.take(joined, account))
                run = []
            if name:
                parts.append(monthly[name])
        return csvtext.join(parts, separator, len(account))

    def lines(self, t: int, rng: np.random.Generator) -> pa.Array:
        month = self.economy.ledger.month
        first_days = self.timeline.first_days
        account = np.concatenate([month.c_account, month.r_account])
        periods = (
            np.concatenate(
                [
                    csvtext.mapped(
                        month.c_period.astype(np.int64) * 10 + month.c_months,
                        lambda key: encode_period(first_days[key // 10].item(), int(key % 10), short=True),
                    ).to_numpy(zero_copy_only=False),
                    csvtext.mapped(
                        month.r_year, lambda year: encode_period(dt.date(int(year), 1, 1), 12, short=True)
                    ).to_numpy(zero_copy_only=False),
                ]
            )
            if len(account)
            else np.array([], dtype=object)
        )
        due = np.concatenate([month.c_due, month.r_amount])
        called = np.concatenate([month.c_called, np.zeros(len(month.r_account), np.int64)])
        paid = np.concatenate([month.c_paid, month.r_amount])
        decimal = self._decimal or ","
        columns = {
            "periode": pa.array(periods, type=pa.string()),
            "mer": csvtext.euros(called, decimal),
            "enc_direct": csvtext.euros(paid, decimal),
            "cotis_due": csvtext.euros(due, decimal),
        }
        lines = self._join(columns, account)
        order = np.argsort(self.accounts.rank[account], kind="stable")
        return lines.take(pa.array(order)) if len(account) else lines
