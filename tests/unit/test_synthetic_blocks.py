"""Exports written a block of lines at a time must have the bytes of the same lines written at once:
the block size is a memory setting, never a change to the delivered files (same seed, same bytes)."""

from __future__ import annotations

import gzip
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pytest

from orchestration.sources.contract import get_contract
from orchestration.synthetic import csvtext, malformed
from orchestration.synthetic.csvtext import TextFile
from orchestration.synthetic.writers.base import Writer

HEADER = ["ID_DA", "ETAB_SIRET", "HEURES", "MONTANT", "EFFECTIF", "MOIS"]


def _lines(n: int) -> pa.Array:
    rng = np.random.default_rng(3)
    return pa.array(
        [
            f'"{i:011d}","{rng.integers(10**13, 10**14)}",{rng.integers(0, 9999)}.50,'
            f'{rng.integers(0, 99999)}.00,{rng.integers(1, 99)}.0,"2021-{1 + i % 12:02d}-01"'
            for i in range(n)
        ],
        pa.string(),
    )


def _file(path: Path, compress: bool, encoding: str) -> TextFile:
    handle = TextFile(path, compress, "\r\n", encoding)
    handle.write_header(",".join(f'"{c}"' for c in HEADER))
    handle.shape = malformed.line_shape(get_contract("apconso"), HEADER)
    return handle


@pytest.mark.parametrize(("compress", "encoding"), [(True, "utf-8"), (False, "utf-8"), (True, "utf-16le")])
def test_block_writes_give_the_bytes_of_one_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compress: bool, encoding: str
) -> None:
    monkeypatch.setattr(csvtext, "CHUNK", 4096)  # several gzip members, cut inside the blocks
    writer = SimpleNamespace(ctx=SimpleNamespace(malformed_share=0.05))
    lines = _lines(3_001)

    whole = _file(tmp_path / "whole.csv", compress, encoding)
    Writer.write(writer, whole, lines, np.random.default_rng(7))
    whole.close()
    blocks = _file(tmp_path / "blocks.csv", compress, encoding)
    Writer.write_blocks(
        writer, blocks, len(lines), lambda a, b: lines.slice(a, b - a), np.random.default_rng(7), rows=97
    )
    blocks.close()
    csvtext.drain()

    assert blocks.injected == whole.injected > 100
    assert blocks.lines == whole.lines == len(lines)
    written = (tmp_path / "blocks.csv").read_bytes()
    assert written == (tmp_path / "whole.csv").read_bytes()
    text = gzip.decompress(written) if compress else written
    assert len(text.decode(encoding).splitlines()) == 1 + len(lines)
    if compress:  # the 4096-byte pieces were each compressed as their own member
        assert written.count(b"\x1f\x8b\x08") > len(text) // 4096


def test_take_from_chunks_keeps_the_requested_order() -> None:
    chunks = [
        pa.array([f"c{c}-{i}" for i in range(size)], pa.string()) for c, size in enumerate([5, 0, 3, 7, 1])
    ]
    column = pa.chunked_array(chunks, pa.string())
    whole = column.combine_chunks()
    rows = np.array([15, 0, 8, 8, 4, 5, 11, 7, 0, 9, 12])
    assert csvtext.take(column, rows).equals(whole.take(pa.array(rows)))
    assert len(csvtext.take(column, np.zeros(0, np.int64))) == 0
    assert csvtext.take(pa.chunked_array([], pa.string()), np.zeros(0, np.int64)).to_pylist() == []


def test_memory_trace_charges_a_rise_to_the_step_running(tmp_path: Path) -> None:
    import json
    import time

    from orchestration.synthetic.memory import MemoryTrace

    path = tmp_path / "trace.json"
    with MemoryTrace(path, interval=0.01) as trace:
        trace.step("quiet", 1)
        time.sleep(0.1)
        trace.step("heavy", 2, lane=1)
        block = np.ones(300 << 17)  # 300 MiB, touched
        time.sleep(0.2)
        del block
        trace.step("", 2, lane=1)
    peaks = json.loads(path.read_text(encoding="utf-8"))
    assert peaks["quiet+heavy"]["rise_mib"] >= 250 and peaks["quiet+heavy"]["rise_month"] == 2
    assert peaks["quiet"]["rise_mib"] < 50
    assert next(iter(peaks)) == "quiet+heavy"  # highest first
    with MemoryTrace(None) as idle:  # disabled: no thread, no file
        idle.step("anything")
    assert not idle.peaks
