"""consommation_ap.csv (raw-sources §6.2): the full export of claimed partial-activity hours.

An export holds every claim received before the batch, in the order claims were received: a
month can appear in an export long after it ended (late claims revise the past). A few rows carry
a day in the month field (`2020-12-30`), read as the month with a warning; exports of 2020 write
months as MM/YYYY. The text of a claim is built once, when it first appears.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import APCONSO_HEADER, checked_header
from orchestration.synthetic.writers.base import Context
from orchestration.synthetic.writers.dgefp_common import (
    EXTRA_COLUMNS_FROM,
    DgefpWriter,
    float_integers,
    quoted,
)

_DAY_IN_MONTH = 0.005  # rows whose month is written as a full date inside the month


class ApconsoWriter(DgefpWriter):
    source = "apconso"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._header = checked_header(self.source, APCONSO_HEADER)
        checked_header(self.source, (*APCONSO_HEADER, "DEP"))
        self._formatted = 0  # claims whose text prefix is cached
        self._prefix: list[pa.Array] = []
        self._mois: list[pa.Array] = []  # MOIS as an ISO date (the 1st, or a day inside)
        departement = self.economy.pop.companies.departement.astype(str)
        self._dep = quoted(csvtext.text(np.char.zfill(departement, 3)))  # head office, `075`

    def after_step(self, t: int) -> None:
        if t > self.timeline.t_end:
            return
        self.activity.update(t)
        if not self.export_due(t):
            return
        rng = self.rng(t)
        self.start_export(t, rng)
        claims = self.activity.table("claims")
        self._format_new(claims, rng)
        if self.superseded(t):  # a later export holds every claim (formatted above, with this rng)
            return
        order = np.argsort(claims["claimed"], kind="stable")
        order = order[claims["claimed"][order] < t]
        first = self.timeline.first_days
        old_formats = self.old_formats(t)
        # The cached texts stay in their monthly chunks: merging them would copy the whole cache.
        prefix = pa.chunked_array(self._prefix, pa.string())
        iso = pa.chunked_array(self._mois, pa.string())
        header = list(self._header)
        extra = self.timeline.index(t) >= EXTRA_COLUMNS_FROM
        if extra:
            header.append("DEP")
            requests = self.activity.table("requests")
            companies = self.economy.pop.establishments.company

        def block(a: int, b: int) -> pa.Array:
            rows = order[a:b]
            if old_formats:
                month = claims["month"][rows].astype(np.int64)
                mois = quoted(csvtext.mapped(month, lambda m: first[m].item().strftime("%m/%Y")))
            else:
                mois = csvtext.take(iso, rows)
            columns = [csvtext.take(prefix, rows), mois]
            if extra:
                est = requests["establishment"][claims["request"][rows].astype(np.int64)].astype(np.int64)
                columns.append(csvtext.take(self._dep, companies[est]))
            return csvtext.join(columns, ",", len(rows))

        handle = self.open(t, header, quote_header=True)
        self.write_blocks(handle, len(order), block, rng)
        self.close(handle)

    def _format_new(self, claims: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        new = slice(self._formatted, len(claims["request"]))
        request = claims["request"][new].astype(np.int64)
        self._formatted = len(claims["request"])
        requests = self.activity.table("requests")
        e = self.economy.pop.establishments
        est = requests["establishment"][request].astype(np.int64)
        year = requests["year"][request].astype(np.int64) % 100
        ids = np.char.add(np.char.zfill(year.astype(str), 2), np.char.zfill(request.astype(str), 9))
        self._prefix.append(
            csvtext.join(
                [
                    quoted(csvtext.text(ids)),
                    quoted(csvtext.text(e.siret[est])),
                    csvtext.euros(claims["hours"][new], "."),
                    csvtext.euros(claims["amount"][new], "."),
                    float_integers(claims["people"][new]),
                ],
                ",",
                len(request),
            )
        )
        n = len(request)
        day = np.where(rng.random(n) < _DAY_IN_MONTH, rng.integers(2, 29, n), 1)
        month = claims["month"][new].astype(np.int64)
        first = self.timeline.first_days[month] + (day - 1).astype("timedelta64[D]")
        self._mois.append(quoted(csvtext.iso_days(first)))
