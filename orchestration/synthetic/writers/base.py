"""What every writer shares: batch folders, file names, per-file randomness, malformed lines and
the manifest entry of each delivered file."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from orchestration.sources.contract import Contract, get_contract
from orchestration.synthetic import malformed
from orchestration.synthetic.csvtext import TextFile
from orchestration.synthetic.dynamics import Economy
from orchestration.synthetic.timeline import batch_key

URSSAF_LOWER_CASE_FROM = 2023 * 12  # URSSAF file names were capitalised before 2023


@dataclass
class Context:
    economy: Economy
    landing_dir: Path
    seed: int
    malformed_share: float
    gzip_sources: tuple[str, ...]
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

    def rng(self, t: int, purpose: int = 0) -> np.random.Generator:
        """Randomness of one file, independent of every other file and of the writing order."""
        return np.random.default_rng([self.ctx.seed, self._source_code, t + 1, purpose])

    def file_name(self, month: int) -> str:
        name = self.contract.file_name.example
        if self.contract.producer == "URSSAF" and month < URSSAF_LOWER_CASE_FROM:
            name = name[:1].upper() + name[1:]
        return name + (".gz" if self.source in self.ctx.gzip_sources else "")

    def open(self, t: int, header: list[str]) -> TextFile:
        month = self.timeline.index(t)
        path = self.ctx.landing_dir / batch_key(month) / self.file_name(month)
        handle = TextFile(path, self.source in self.ctx.gzip_sources, self.terminator)
        handle.write_header(self.contract.dialect.separator.join(header))
        handle.shape = malformed.line_shape(self.contract, header)
        handle.batch = batch_key(month)
        return handle

    def write(self, handle: TextFile, lines: pa.Array, rng: np.random.Generator) -> None:
        lines, count = malformed.inject(rng, lines, handle.shape, self.ctx.malformed_share)
        handle.write_lines(lines)
        handle.injected += count

    def close(self, handle: TextFile, finish: bool = True) -> None:
        """Record the file in the manifest; `finish=False` when a background job closes it."""
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
