"""What the two DGEFP full exports share: their calendar, quoting habits and date formats.

The ministry sends full exports monthly during the 2020-2021 crisis and quarterly otherwise (the
national tier spaces them out, `Tier.dgefp_every`, to bound its size); an
export that misses its batch is simply absent (the previous stock stays current). Exports of
2020 write dates as DD/MM/YYYY (and months as MM/YYYY), later ones in ISO. Text and dates are
quoted, numbers are not, integers are often written as floats (`559.0`), and a few dates are
left bare (raw-sources §2.3, §6).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.sources.encodings import encode_ddmmyyyy
from orchestration.synthetic import csvtext
from orchestration.synthetic.partial_activity import PartialActivity
from orchestration.synthetic.timeline import month_index
from orchestration.synthetic.writers.base import Context, Writer

_MONTHLY = (month_index("2020-03"), month_index("2021-12"))
_OLD_FORMATS = (month_index("2020-01"), month_index("2020-12"))
EXTRA_COLUMNS_FROM = month_index("2021-01")  # full exports carry more (ignored) columns


class DgefpWriter(Writer):
    """A DGEFP full export (stock), written on the export calendar."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.activity = PartialActivity.of(self.economy, ctx.seed)

    def export_due(self, t: int) -> bool:
        tl = self.timeline
        if not tl.t_start <= t <= tl.t_end:
            return False
        month = tl.index(t)
        if t in (tl.t_start, tl.t_horizon):
            return True
        every = self.ctx.cadence.dgefp_every
        crisis = _MONTHLY[0] <= month <= _MONTHLY[1]
        scheduled = month % every == 0 if crisis else month % (3 * every) == 0
        return scheduled and not self.is_late(t)

    def due(self, t: int) -> bool:
        return self.export_due(t)

    def old_formats(self, t: int) -> bool:
        return _OLD_FORMATS[0] <= self.timeline.index(t) <= _OLD_FORMATS[1]

    def start_export(self, t: int, rng: np.random.Generator) -> None:
        """Line endings change from one export to another (CRLF or LF)."""
        self.terminator = "\r\n" if rng.random() < 0.6 else "\n"


def quoted(column: pa.Array) -> pa.Array:
    return pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")


def float_integers(values: np.ndarray) -> pa.Array:
    """Integers written as floats (`559.0`), as DGEFP exports do."""
    return pc.binary_join_element_wise(csvtext.integers(values), ".0", "")


def dates(days: np.ndarray, old_format: bool) -> pa.Array:
    return csvtext.encoded_days(days, encode_ddmmyyyy) if old_format else csvtext.iso_days(days)
