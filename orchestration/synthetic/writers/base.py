"""What every writer shares: batch folders, file names, per-file randomness, malformed lines and
the manifest entry of each delivered file.

Backfill (`Timeline.first_batch` after `start`): no batch folder is written before the first
batch B; what would have been delivered earlier forms a one-off historical extract in the folder of
B, as when a platform goes live. A file opened for the extract stays open: the monthly deliveries of
a flux source that share a file name (and header) are appended to it in delivery order, so its lines
are exactly those of the monthly files; files with their own names (paydex, diane, bdf) sit side by
side, named so that they sort in delivery order. A stock source delivers only the state as of B:
its last delivery due by B (`superseded`). Extract files are closed, and entered in the manifest,
once the writers have handled month B (`close_extract`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from orchestration.sources.contract import Contract, get_contract
from orchestration.synthetic import malformed
from orchestration.synthetic.csvtext import TextFile
from orchestration.synthetic.dynamics import Economy
from orchestration.synthetic.tiers import Tier
from orchestration.synthetic.timeline import batch_key

BLOCK_ROWS = 200_000  # lines built at once by `write_blocks` (tiny and demo exports: one block)
URSSAF_LOWER_CASE_FROM = 2023 * 12  # URSSAF file names were capitalised before 2023
LATE_SHARE = 0.04  # monthly deliveries that miss their batch and arrive with the next one
_LATE = 90  # rng purpose of the lateness draw


@dataclass
class Context:
    economy: Economy
    landing_dir: Path
    seed: int
    malformed_share: float
    gzip_sources: tuple[str, ...]
    cadence: Tier = field(default_factory=lambda: Tier("default", 0, "2000-01", "2000-01"))
    files: list[dict] = field(default_factory=list)  # manifest entries


class Writer:
    source: str = ""
    terminator = "\n"
    trailing_blank = False

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.economy = ctx.economy
        self.timeline = ctx.economy.timeline
        self.contract: Contract = get_contract(self.source)
        self._source_code = zlib.crc32(self.source.encode())
        self._extract: dict[str, TextFile] = {}  # open files of the historical extract, by name
        self._state_t: int | None = None  # backfill: the stock delivery that stands for the state at B

    def rng(self, t: int, purpose: int = 0) -> np.random.Generator:
        """Randomness of one file, independent of every other file and of the writing order."""
        return np.random.default_rng([self.ctx.seed, self._source_code, t + 1, purpose])

    def file_name(self, month: int) -> str:
        name = self.contract.file_name.example
        if self.contract.producer == "URSSAF" and month < URSSAF_LOWER_CASE_FROM:
            name = name[:1].upper() + name[1:]
        return name + (".gz" if self.source in self.ctx.gzip_sources else "")

    def is_late(self, t: int) -> bool:
        """Whether the delivery due in batch t slips to the next batch (never the first, nor the last
        month of the economy: a delivery due in the last delivered batch before the horizon can slip
        to a batch that is not written yet, as with `demo/livraison_suivante`)."""
        tl = self.timeline
        return tl.t_start < t < tl.t_horizon and self.rng(t, _LATE).random() < LATE_SHARE

    def due(self, t: int) -> bool:
        """Stock writers: whether a delivery is due at t (a pure function of t, late ones excluded)."""
        return True

    def superseded(self, t: int) -> bool:
        """Backfill: a stock delivery due at t that a later one due by the first batch replaces (the
        extract holds only the state as of that batch). The writer skips its file; it still updates
        whatever later deliveries depend on, so that they are the monthly run's."""
        tl = self.timeline
        if not tl.backfill or t >= tl.t_first:
            return False
        if self._state_t is None:
            dues = [u for u in range(tl.t_start, tl.t_first + 1) if self.due(u)]
            self._state_t = max(dues, default=tl.t_start)
        return t < self._state_t

    def open(
        self,
        t: int,
        header: list[str],
        name: str | None = None,
        bom: bool = False,
        quote_header: bool = False,
    ) -> TextFile:
        """The file delivered at t: in the batch of t, or of the first batch for a backfill's extract
        (an extract file already open under that name is returned, to append to it)."""
        month = self.timeline.index(max(t, self.timeline.t_first))
        compress = self.source in self.ctx.gzip_sources
        if name is not None and compress:
            name += ".gz"
        name = name or self.file_name(month)
        shown = [f'"{c}"' for c in header] if quote_header else header
        header_line = self.contract.dialect.separator.join(shown)
        extract = self.timeline.in_extract(t)
        if extract and name in self._extract:
            handle = self._extract[name]
            if handle.header != header_line:
                raise ValueError(f"{self.source}: the extract file {name} would change its header")
            return handle
        path = self.ctx.landing_dir / batch_key(month) / name
        handle = TextFile(path, compress, self.terminator, self.contract.dialect.encoding, bom)
        handle.write_header(header_line)
        handle.shape = malformed.line_shape(self.contract, header)
        handle.batch = batch_key(month)
        if extract:
            handle.deferred = True
            self._extract[name] = handle
        return handle

    def write(self, handle: TextFile, lines: pa.Array, rng: np.random.Generator) -> None:
        lines, count = malformed.inject(rng, lines, handle.shape, self.ctx.malformed_share)
        handle.write_lines(lines)
        handle.injected += count

    def write_blocks(
        self,
        handle: TextFile,
        n: int,
        block: Callable[[int, int], pa.Array],
        rng: np.random.Generator,
        rows: int | None = None,
    ) -> None:
        """Write n lines built `rows` at a time by `block(a, b)` (lines a to b): a national export
        built whole, then broken, then encoded, would hold several copies of itself. The broken
        lines are drawn over the whole file first, so the bytes are those `write` gives all the
        lines at once."""
        rows = rows or BLOCK_ROWS
        chosen = malformed.draw(rng, n, self.ctx.malformed_share)
        with handle.one_write():
            for a in range(0, n, rows):
                b = min(n, a + rows)
                lo, hi = np.searchsorted(chosen, [a, b])
                lines = malformed.break_lines(rng, block(a, b), chosen[lo:hi] - a, handle.shape)
                handle.write_lines(lines)
        handle.injected += len(chosen)

    def close(self, handle: TextFile, finish: bool = True) -> None:
        """Record the file in the manifest; `finish=False` when a background job closes it. A file of
        the historical extract is only closed by `close_extract`."""
        if handle.deferred:
            handle.finish = finish
            return
        if finish:
            handle.close(self.trailing_blank)
        self.ctx.files.append(
            {
                "batch": handle.batch,
                "source": self.source,
                "file": handle.path.name,
                "data_lines": handle.lines,
                "malformed_lines": handle.injected,
            }
        )

    def close_extract(self) -> None:
        """Close the files of the historical extract (after month `t_first`), in opening order."""
        handles, self._extract = list(self._extract.values()), {}
        for handle in handles:
            handle.deferred = False
            self.close(handle, handle.finish)

    # Hooks -------------------------------------------------------------------------------------
    def after_step(self, t: int) -> None:
        """Called once the economy has simulated month t (every month, warm-up included)."""


class FluxWriter(Writer):
    """Monthly flux: month t's lines go to batch t; warm-up months all go to the first batch."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._handle: TextFile | None = None

    def header(self, t: int) -> list[str]:
        raise NotImplementedError

    def lines(self, t: int, rng: np.random.Generator) -> pa.Array:
        raise NotImplementedError

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if t > tl.t_end:
            return
        if self._handle is None:
            first = max(t, tl.t_start)
            self._handle = self.open(first, self.header(first))
        rng = self.rng(t)
        self.write(self._handle, self.lines(t, rng), rng)
        if t >= tl.t_start:
            self.close(self._handle)
            self._handle = None


class DelayedFluxWriter(Writer):
    """Monthly flux whose delivery can be late: month t's lines wait in memory and go out with the
    next delivered batch (warm-up months all go to the first batch, as an initial extract)."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._pending: list[tuple[int, pa.Array]] = []

    def header(self, t: int) -> list[str]:
        raise NotImplementedError

    def lines(self, t: int, rng: np.random.Generator) -> pa.Array:
        raise NotImplementedError

    def after_step(self, t: int) -> None:
        if t > self.timeline.t_end:
            return
        self._pending.append((t, self.lines(t, self.rng(t))))
        if t < self.timeline.t_start or self.is_late(t):
            return
        handle = self.open(t, self.header(t))
        for month, lines in self._pending:
            self.write(handle, lines, self.rng(month, 1))
        self.close(handle)
        self._pending = []
