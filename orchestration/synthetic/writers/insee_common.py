"""Helpers shared by the two INSEE stock writers: headcount bands, yearly band refresh, processing
timestamps, and the static/dynamic split that lets a monthly stock be rebuilt cheaply."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.synthetic import csvtext, malformed
from orchestration.synthetic.csvtext import TextFile
from orchestration.synthetic.dynamics import Economy
from orchestration.synthetic.timeline import Timeline, month_start_days
from orchestration.synthetic.writers.base import Writer

# raw-sources §11.4: lower bound of each headcount band and its code.
_BAND_FLOORS = np.array([0, 1, 3, 6, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000])
_BAND_CODES = np.array(
    ["00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53"]
)
_SLICE_ROWS = 65_536  # rows of a stock rendered and compressed at once (a multiple of the block)
REFRESH_MONTH = 9  # INSEE refreshes the bands once a year (October), with the previous year's data


BAND_LABELS = [*_BAND_CODES.tolist(), "NN"]
NO_BAND = len(BAND_LABELS) - 1


def band_index(headcount: np.ndarray) -> np.ndarray:
    """Index into BAND_LABELS of each headcount (00 .. 53)."""
    return np.searchsorted(_BAND_FLOORS, headcount, side="right") - 1


def band_reference(timeline: Timeline, t: int) -> tuple[int, np.datetime64, int]:
    """For the stock of batch t: the band year, the day of the last refresh and the month (t) of
    the December whose headcount defines the band (clipped to the first simulated month)."""
    month = timeline.index(t)
    year = month // 12 if month % 12 > REFRESH_MONTH else month // 12 - 1
    refresh = month_start_days(np.array([year * 12 + REFRESH_MONTH]))[0] + np.timedelta64(6, "D")
    december = (year - 1) * 12 + 11 - timeline.sim_start
    return year - 1, refresh, max(december, 0)


def sirene_rows(economy: Economy) -> np.ndarray:
    """Establishments INSEE knows (pseudo-sirets excluded), in siret order."""
    e = economy.pop.establishments
    rows = np.nonzero(~e.pseudo)[0]
    return rows[np.argsort(e.siret[rows], kind="stable")]


def past_periods(
    economy: Economy, rows: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Number of Sirene periods before the simulation and the start day of the current one, for the
    given establishments (one `rng.random` draw: sirene and sirene_histo share the same values)."""
    e = economy.pop.establishments
    t0 = economy.timeline.first_days[0]
    created_in_sim = e.creation_day[rows] >= t0
    periods = np.where(created_in_sim, 1, e.periods[rows])
    span = np.maximum((t0 - e.creation_day[rows]).astype(np.int64), 1)
    offset = (rng.random(len(rows)) * span).astype(np.int64).astype("timedelta64[D]")
    change_day = np.where(periods > 1, e.creation_day[rows] + offset, e.creation_day[rows])
    return periods, change_day


def employer_bands(economy: Economy, rows: np.ndarray, t: int) -> tuple[int, np.ndarray]:
    """The band year and band index of the Sirene stock of batch t (NO_BAND when not open in the
    reference December)."""
    timeline = economy.timeline
    year, _, december = band_reference(timeline, t)
    dec_first, dec_next = timeline.first_days[december], timeline.first_days[december + 1]
    opened, closed = economy.est_open_day[rows], economy.est_close_day[rows]
    at_december = ~np.isnat(opened) & (opened < dec_next) & (np.isnat(closed) | (closed >= dec_first))
    return year, np.where(at_december, band_index(economy.est_headcount[rows, december]), NO_BAND)


def timestamps(days: np.ndarray, seconds: np.ndarray) -> pa.Array:
    """YYYY-MM-DDTHH:MM:SS (INSEE local time); empty for NaT."""
    stamp = days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    text = pc.replace_substring(pc.cast(pa.array(stamp), pa.string()), " ", "T")  # cast: fast ISO form
    return pc.fill_null(text, "")


class StockLayout:
    """Pre-joined runs of static columns; only the dynamic ones are rebuilt for each delivery."""

    def __init__(
        self, header: list[str], static: dict[str, pa.Array], dynamic: set[str], n: int, separator: str
    ) -> None:
        self.header = header
        self.separator = separator
        self.parts: list[str | pa.Array] = []
        run: list[pa.Array | str] = []
        for name in header:
            if name in dynamic:
                if run:
                    self.parts.append(csvtext.join(run, separator, n))
                    run = []
                self.parts.append(name)
            else:
                run.append(static.get(name, ""))
        if run:
            self.parts.append(csvtext.join(run, separator, n))

    def lines(self, rows: np.ndarray, dynamic: dict[str, pa.Array], trailing: int = 0) -> pa.Array:
        """Lines of the given rows; `trailing` empty columns are appended (newer INSEE layouts)."""
        index = pa.array(np.asarray(rows, dtype=np.int64))
        columns: list[pa.Array | str] = [
            dynamic[p] if isinstance(p, str) else p.take(index) for p in self.parts
        ]
        columns += [""] * trailing
        return csvtext.join(columns, self.separator, len(rows))


class InseeStockWriter(Writer):
    """A monthly INSEE stock: one line per entity of a fixed, sorted universe.

    Compressed deliveries are cut into blocks of consecutive entities, each stored as its own gzip
    member; a block whose lines did not change since the previous delivery reuses its compressed
    bytes, which keeps monthly national stocks affordable.
    """

    terminator = "\r\n"
    block_rows = 16

    def setup(
        self, base_header: list[str], static: dict[str, pa.Array], dynamic: tuple[str, ...], n: int
    ) -> None:
        self.layout = StockLayout(base_header, static, set(dynamic), n, ",")
        self.n_rows = n
        self._previous: dict[str, np.ndarray] | None = None
        self._previous_bad = np.zeros(0, dtype=np.int64)
        self._previous_width = 0
        self._blocks: dict[int, bytes] = {}
        self._job: Future | None = None

    def deliver(
        self,
        t: int,
        header: list[str],
        visible: np.ndarray,
        state: dict[str, np.ndarray],
        render: Callable[[np.ndarray], dict[str, pa.Array]],
    ) -> None:
        """Write the stock of batch t. `state` holds the per-entity values the dynamic columns come
        from (to detect changed lines); `render(rows)` builds those columns for some rows."""
        rng = self.rng(t)
        state = {**state, "visible": visible}
        shown = np.nonzero(visible)[0]
        compressed = self.source in self.ctx.gzip_sources
        trailing = len(header) - len(self.layout.header)
        if compressed:
            if self._job is not None:
                self._job.result()  # the block cache of the previous delivery is complete
            changed = np.zeros(self.n_rows, dtype=bool)
            if self._previous is None or trailing != self._previous_width:
                changed[:] = True
            else:
                for name, values in state.items():
                    changed |= values != self._previous[name]
            changed[self._previous_bad] = True
            dirty = np.zeros(self.n_rows // self.block_rows + 1, dtype=bool)
            dirty[np.nonzero(changed)[0] // self.block_rows] = True
            # Broken lines are drawn among blocks rewritten anyway: still spread over the file, and
            # they do not force extra blocks to be recompressed.
            rows = shown[dirty[shown // self.block_rows]]
            candidates = rows
        else:
            rows = candidates = shown
        share = self.ctx.malformed_share
        count = int(rng.binomial(len(shown), share)) if share > 0 and len(shown) else 0
        count = min(count, len(candidates))
        bad = np.sort(rng.choice(candidates, count, replace=False)) if count else np.zeros(0, dtype=np.int64)
        shape = malformed.line_shape(self.contract, header)
        position = np.searchsorted(rows, bad)

        def lines(a: int, b: int) -> pa.Array:
            """Lines of rows[a:b], broken where drawn (in file order: the rng's sequence is fixed)."""
            part = self.layout.lines(rows[a:b], render(rows[a:b]), trailing)
            lo, hi = np.searchsorted(position, [a, b])
            return malformed.break_lines(rng, part, position[lo:hi] - a, shape)

        handle = self.open(t, header)
        handle.injected = count
        if not compressed:
            handle.write_lines(lines(0, len(rows)))
            self.close(handle)
            return
        handle.lines = len(shown)
        self._previous = {name: values.copy() for name, values in state.items()}
        self._previous_bad = bad
        self._previous_width = trailing
        self.close(handle, finish=False)  # manifest entry now, in delivery order
        for b in np.nonzero(dirty)[0].tolist():
            self._blocks.pop(b, None)
        # The rewritten rows a slice at a time (cut between blocks), each compressed in the background:
        # a national stock rewritten whole would otherwise hold its lines and their bytes at once.
        block = rows // self.block_rows
        starts = np.flatnonzero(np.r_[True, np.diff(block) != 0]) if len(rows) else np.zeros(0, np.int64)
        cuts = [*starts[:: max(1, _SLICE_ROWS // self.block_rows)].tolist(), len(rows)]
        for a, b in itertools.pairwise(cuts):
            self._compress_slice(block[a:b], lines(a, b))
        self._job = csvtext.in_background(lambda: self._write_blocks(handle))

    def _compress_slice(self, block: np.ndarray, lines: pa.Array) -> None:
        """Store the gzip member of each block of these lines (consecutive rows), in the background."""
        starts = np.flatnonzero(np.r_[True, np.diff(block) != 0])
        ends = np.r_[starts[1:], len(block)]

        def job() -> None:
            data, offsets = csvtext.payload(lines, self.terminator)
            members = csvtext.gzip_members(
                [data[offsets[a] : offsets[b]] for a, b in zip(starts, ends, strict=True)]
            )
            for b, member in zip(block[starts].tolist(), members, strict=True):
                self._blocks[b] = member

        csvtext.in_background(job)

    def _write_blocks(self, handle: TextFile) -> None:
        for b in sorted(self._blocks):  # block by block: no copy of the whole file in memory
            handle.write_raw(self._blocks[b])
        handle.close_raw()
