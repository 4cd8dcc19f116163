"""demande_ap.csv (raw-sources §6.1): the full export of partial-activity requests.

An export lists every request whose status date is before the batch, with the totals consumed so
far according to the claims received by then (they grow from one export to the next). Some
exports leave a blank line after the header.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import APDEMANDE_HEADER, checked_header
from orchestration.synthetic.writers.base import Context
from orchestration.synthetic.writers.dgefp_common import (
    EXTRA_COLUMNS_FROM,
    DgefpWriter,
    dates,
    float_integers,
    quoted,
)
from orchestration.synthetic.writers.urssaf_common import company_names

_EXTRA = ("CODE_NAF2", "ETAB_RSS", "ETAB_CODE_INSEE", "ETAB_VILLE")


class ApdemandeWriter(DgefpWriter):
    source = "apdemande"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._header = checked_header(self.source, APDEMANDE_HEADER)
        checked_header(self.source, APDEMANDE_HEADER + _EXTRA)
        self.names = company_names(self.economy)
        self._formatted = 0
        self._cache: dict[str, list[pa.Array]] = {"prefix": [], "suffix": [], "extra": []}

    def after_step(self, t: int) -> None:
        if t > self.timeline.t_end:
            return
        self.activity.update(t)
        if not self.export_due(t) or self.superseded(t):  # a later export holds every request
            return
        rng = self.rng(t)
        self.start_export(t, rng)
        requests = self.activity.table("requests")
        self._format_new(requests)
        claims = self.activity.table("claims")
        shown = np.nonzero(requests["status"] < self.timeline.first_days[t])[0]
        received = claims["claimed"] < t
        n_req = len(requests["status"])
        request = claims["request"][received].astype(np.int64)
        hours = np.bincount(request, weights=claims["hours"][received], minlength=n_req)
        amount = np.bincount(request, weights=claims["amount"][received], minlength=n_req)
        people = np.zeros(n_req, np.int64)
        np.maximum.at(people, request, claims["people"][received].astype(np.int64))
        # The cached texts stay in their chunks: merging them would copy the whole cache.
        cached = {name: pa.chunked_array(parts, pa.string()) for name, parts in self._cache.items()}
        old = self.old_formats(t)
        header = list(self._header)
        extra = self.timeline.index(t) >= EXTRA_COLUMNS_FROM
        if extra:
            header += _EXTRA

        def block(a: int, b: int) -> pa.Array:
            rows = shown[a:b]
            prefix = self._prefix(requests, rows, old=True) if old else csvtext.take(cached["prefix"], rows)
            totals = csvtext.join(
                [
                    csvtext.euros(hours[rows], "."),
                    float_integers(people[rows]),
                    csvtext.euros(amount[rows], "."),
                ],
                ",",
                len(rows),
            )
            parts = [prefix, totals, csvtext.take(cached["suffix"], rows)]
            if extra:
                parts.append(csvtext.take(cached["extra"], rows))
            return csvtext.join(parts, ",", len(rows))

        handle = self.open(t, header, quote_header=True)
        if rng.random() < 0.1:
            handle.write_blank()
        self.write_blocks(handle, len(shown), block, rng)
        self.close(handle)

    def _format_new(self, requests: dict[str, np.ndarray]) -> None:
        """Text of the columns that never change, built once per request (ISO dates)."""
        new = np.arange(self._formatted, len(requests["status"]))
        self._formatted = len(requests["status"])
        e = self.economy.pop.establishments
        c = self.economy.pop.companies
        est = requests["establishment"][new].astype(np.int64)
        company = e.company[est]
        self._cache["prefix"].append(self._prefix(requests, new, old=False))
        self._cache["suffix"].append(
            csvtext.join(
                [
                    quoted(csvtext.integers(requests["previous"][new])),
                    csvtext.integers(requests["opinion"][new]),
                ],
                ",",
                len(new),
            )
        )
        self._cache["extra"].append(
            csvtext.join(
                [
                    quoted(csvtext.text(c.subclass[company].astype("U2"))),
                    quoted(csvtext.text(self.names[company])),
                    quoted(csvtext.text(e.commune_code[est])),
                    quoted(csvtext.text(e.commune_label[est])),
                ],
                ",",
                len(new),
            )
        )

    def _prefix(self, requests: dict[str, np.ndarray], r: np.ndarray, old: bool) -> pa.Array:
        """ID_DA .. PERIMETRE_AP of the given requests; a few end dates are left unquoted."""
        e = self.economy.pop.establishments
        est = requests["establishment"][r].astype(np.int64)
        ids = np.char.add(
            np.char.zfill((requests["year"][r] % 100).astype(np.int64).astype(str), 2),
            np.char.zfill(r.astype(str), 9),
        )
        bare = (r * 2_654_435_761) % 100 < 3  # the same requests in every export
        end = dates(requests["end"][r], old)
        return csvtext.join(
            [
                quoted(csvtext.text(ids)),
                quoted(csvtext.text(e.siret[est])),
                float_integers(requests["company_staff"][r]),
                float_integers(requests["staff"][r]),
                quoted(dates(requests["status"][r], old)),
                quoted(dates(requests["start"][r], old)),
                csvtext.where(bare, end, quoted(end)),
                csvtext.fixed(requests["authorised"][r], 2),
                csvtext.euros(np.rint(requests["authorised"][r] * requests["rate"][r] * 100), "."),
                float_integers(requests["people"][r]),
                quoted(csvtext.integers(requests["motive"][r])),
                quoted(csvtext.integers(requests["perimeter"][r])),
            ],
            ",",
            len(r),
        )
