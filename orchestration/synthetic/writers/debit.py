"""sigfaible_debits.csv (raw-sources §5.3): the ECN history lines booked in each delivery window."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.sources.encodings import encode_aammjj, encode_period
from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import urssaf_header
from orchestration.synthetic.writers.base import Context, FluxWriter
from orchestration.synthetic.writers.urssaf_common import AccountText

DUPLICATE_SHARE = 0.0005  # the same line delivered twice (it collapses on its natural key)


class DebitWriter(FluxWriter):
    source = "debit"
    trailing_blank = True  # real debit files end with a blank line

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.accounts = AccountText.of(self.economy)
        self._header = urssaf_header(self.source)

    def header(self, t: int) -> list[str]:
        return self._header

    def lines(self, t: int, rng: np.random.Generator) -> pa.Array:
        ledger = self.economy.ledger
        month = ledger.month
        ecn = month.op_ecn
        n = len(ecn)
        account = ledger.ecn["account"][ecn]
        period_t = ledger.ecn["period"][ecn]
        months = ledger.ecn["months"][ecn]
        first_days = self.timeline.first_days
        period_code = csvtext.mapped(
            period_t.astype(np.int64) * 10 + months,
            lambda key: encode_period(first_days[key // 10].item(), int(key % 10)),
        )
        columns = {
            "Urssaf_gestion": self.accounts.take("urssaf", account),
            "Dep": self.accounts.take("departement", account),
            "num_cpte": self.accounts.take("number", account),
            "Siren": self.accounts.take("siren", account),
            "Siret": self.accounts.take("siret", account),
            "Dt_immat": self.accounts.take("immatriculation", account),
            "Etat_cpte": csvtext.integers(month.op_etat),
            "Cd_pro_col": csvtext.integers(month.op_procol),
            "Periode": period_code,
            "Num_Ecn": csvtext.integers(ledger.ecn["num"][ecn]),
            "Num_Hist_Ecn": csvtext.integers(month.op_hist),
            "Dt_trt_ecn": csvtext.encoded_days(month.op_day, encode_aammjj),
            "Mt_PO": csvtext.integers(month.op_po),
            "Mt_PP": csvtext.integers(month.op_pp),
            "Cd_op_ecn": csvtext.integers(month.op_code),
            "Motif_ecn": csvtext.integers(ledger.ecn["motif"][ecn]),
            "Recours_en_cours": csvtext.integers(ledger.ecn["recours"][ecn].astype(np.int64)),
        }
        lines = csvtext.join([columns[name] for name in self._header], self.contract.dialect.separator, n)
        if n:
            rows = np.concatenate([np.arange(n), np.nonzero(rng.random(n) < DUPLICATE_SHARE)[0]])
            lines = lines.take(pa.array(_ordered(rows, account, ecn, month.op_hist)))
        return lines


def _ordered(rows: np.ndarray, account: np.ndarray, ecn: np.ndarray, hist: np.ndarray) -> np.ndarray:
    """Rows sorted by account, ECN and history number (duplicates stay next to their original)."""
    return rows[np.lexsort((hist[rows], ecn[rows], account[rows]))]
