"""sigfaible_pcoll.csv (raw-sources §5.7): judgments URSSAF learned during the delivery window.

Each event is filed under the head office's siret and, for some companies, under every other
establishment open at that date. The first batch carries the whole history known by then.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.sources.encodings import encode_ddmmmyyyy, month_after_cutoff
from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import urssaf_header
from orchestration.synthetic.writers.base import Context, Writer

# Cat_v2 is undocumented upstream; the synthetic extract fills it with a code per action.
_CATEGORY = {"sauvegarde": "1", "redressement": "2", "liquidation": "3"}
_MAX_SIRETS = 30


class ProcolWriter(Writer):
    source = "procol"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._header = urssaf_header(self.source)
        e = self.economy.pop.establishments  # sorted by company
        self._starts = np.searchsorted(e.company, np.arange(len(self.economy.pop.companies) + 1))
        self._cutoffs: dict = {}
        self._months: list[int] = []  # delivery month of each event, in event order

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if not tl.t_start <= t <= tl.t_end:
            return
        events = self.economy.events.arrays()
        # URSSAF cut-off: a judgment known after the 20th goes to the next delivery.
        known = events["known"]
        self._months.extend(self._cutoff(d) for d in known[len(self._months) :].tolist())
        cutoff_month = np.array(self._months, dtype=np.int64)
        month = tl.index(t)
        pick = cutoff_month <= month if t == tl.t_start else cutoff_month == month
        rows = np.nonzero(pick)[0]
        rng = self.rng(t)
        handle = self.open(t, self._header)
        self.write(handle, self._lines(events, rows), rng)
        self.close(handle)

    def _cutoff(self, day) -> int:
        month = self._cutoffs.get(day)
        if month is None:
            first = month_after_cutoff(day)
            month = self._cutoffs[day] = first.year * 12 + first.month - 1
        return month

    def _sirets(self, company: int, day: np.datetime64) -> np.ndarray:
        e = self.economy.pop.establishments
        rows = np.arange(self._starts[company], self._starts[company + 1])
        head = rows[e.head[rows]]
        if not self.economy.all_sirets[company]:
            return head
        opened = self.economy.est_open_day[rows]
        closed = self.economy.est_close_day[rows]
        alive = ~np.isnat(opened) & (opened <= day) & (np.isnat(closed) | (closed >= day))
        others = rows[alive & ~e.head[rows] & ~e.pseudo[rows] & (e.foreign_country[rows] == "")]
        return np.concatenate([head, others[:_MAX_SIRETS]])

    def _lines(self, events: dict[str, np.ndarray], rows: np.ndarray) -> pa.Array:
        e = self.economy.pop.establishments
        est: list[np.ndarray] = []
        event_of: list[np.ndarray] = []
        for row in rows.tolist():
            sirets = self._sirets(int(events["company"][row]), events["day"][row])
            est.append(sirets)
            event_of.append(np.full(len(sirets), row))
        est_idx = np.concatenate(est) if est else np.zeros(0, np.int64)
        ev = np.concatenate(event_of) if event_of else np.zeros(0, np.int64)
        order = np.lexsort((e.siret[est_idx], events["day"][ev]))
        est_idx, ev = est_idx[order], ev[order]
        labels = events["label"][ev].astype(str)
        actions = np.array([label.rsplit("_", 1)[1] for label in labels.tolist()], dtype=object)
        columns = {
            "Siret": csvtext.text(e.siret[est_idx]),
            "Siren": csvtext.text(self.economy.pop.companies.siren[e.company[est_idx]]),
            "Dt_effet": csvtext.encoded_days(events["day"][ev], encode_ddmmmyyyy),
            "Lib_actx_stdx": csvtext.text(labels),
            "Cat_v2": csvtext.mapped(actions, _CATEGORY),
        }
        return csvtext.join(
            [columns[name] for name in self._header], self.contract.dialect.separator, len(ev)
        )
