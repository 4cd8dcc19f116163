"""Fast text building for delivered files: vectorised string columns joined into lines with pyarrow,
written (optionally gzip-compressed with a zero mtime, so outputs are byte-reproducible)."""

from __future__ import annotations

import codecs
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from isal import isal_zlib

Column = pa.Array | str


def text(values: np.ndarray | list[str]) -> pa.Array:
    """Strings as one Arrow array: pyarrow splits large numpy conversions into chunks, which the
    writers' joins and concatenations refuse."""
    array = pa.array(values, type=pa.string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def choose(codes: np.ndarray, labels: list[str] | np.ndarray) -> pa.Array:
    """labels[codes] as a string array, built by pyarrow (fast for small label sets)."""
    return pa.array(list(labels), type=pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def take(column: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> pa.Array:
    rows = np.asarray(rows, dtype=np.int64)
    if isinstance(column, pa.Array):
        return column.take(pa.array(rows))
    if not len(rows):
        return pa.array([], column.type)
    # pyarrow's take on a chunked array merges every chunk first (a copy of the whole column for a
    # few rows): take from each chunk, then restore the requested order.
    bounds = np.cumsum([0, *(len(chunk) for chunk in column.chunks)])
    chunk = np.searchsorted(bounds, rows, side="right") - 1
    by_chunk = np.argsort(chunk, kind="stable")
    present = np.unique(chunk)
    starts = np.searchsorted(chunk[by_chunk], present)
    ends = np.r_[starts[1:], len(rows)]
    pieces = [
        column.chunk(int(c)).take(pa.array(rows[by_chunk[a:b]] - bounds[c]))
        for c, a, b in zip(present.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ]
    grouped = pa.concat_arrays(pieces)
    restore = np.empty(len(rows), dtype=np.int64)
    restore[by_chunk] = np.arange(len(rows))
    return grouped.take(pa.array(restore))


def integers(values: np.ndarray, width: int = 0) -> pa.Array:
    out = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(out, width=width, padding="0") if width else out


def iso_days(days: np.ndarray) -> pa.Array:
    """YYYY-MM-DD, empty for NaT."""
    out = pc.cast(pa.array(days.astype("datetime64[D]")), pa.string())
    return pc.fill_null(out, "")


def encoded_days(days: np.ndarray, encoder: Callable[[Any], str]) -> pa.Array:
    """Apply a per-day encoder (from orchestration.sources.encodings) once per distinct day."""
    days = days.astype("datetime64[D]")
    unique, inverse = np.unique(days, return_inverse=True)
    table = np.array([encoder(d.item()) if not np.isnat(d) else "" for d in unique], dtype=object)
    return text(table[inverse] if len(days) else np.array([], dtype=object))


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def mapped(codes: np.ndarray, table: dict[Any, str] | Callable[[Any], str]) -> pa.Array:
    """Encode values through a lookup (dict or function) applied once per distinct value."""
    unique, inverse = np.unique(codes, return_inverse=True)
    lookup = table.get if isinstance(table, dict) else table
    encoded = np.array([lookup(_py(u)) for u in unique], dtype=object)
    return text(encoded[inverse] if len(codes) else np.array([], dtype=object))


def euros(cents: np.ndarray, decimal: str) -> pa.Array:
    """Cents as euros with two decimals and the given decimal mark (`,` or `.`).

    The cents are the unscaled values of a decimal(18, 2) array, which pyarrow prints exactly.
    """
    cents = np.asarray(cents, dtype=np.int64)
    wide = np.empty((len(cents), 2), dtype=np.int64)  # 128-bit two's complement, little-endian
    wide[:, 0] = cents
    wide[:, 1] = np.where(cents < 0, -1, 0)
    values = pa.Array.from_buffers(pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(wide)])
    text = pc.cast(values, pa.string())
    return pc.replace_substring(text, ".", decimal) if decimal != "." else text


def fixed(values: np.ndarray, decimals: int) -> pa.Array:
    """Fixed-point decimals (`-1.500000`), empty for NaN."""
    values = np.asarray(values, dtype=np.float64)
    scaled = np.rint(np.nan_to_num(values) * 10**decimals).astype(np.int64)
    sign = choose((scaled < 0).astype(np.int64), ["", "-"])
    text = pc.binary_join_element_wise(
        sign,
        integers(np.abs(scaled) // 10**decimals),
        ".",
        integers(np.abs(scaled) % 10**decimals, decimals),
        "",
    )
    return where(np.isnan(values), "", text)


def where(mask: np.ndarray, yes: Column, no: Column) -> pa.Array:
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), yes, no)


def spaced(*columns: pa.Array, separator: str = " ") -> pa.Array:
    """Join columns, skipping empty ones (no doubled separators)."""
    nullable = [pc.if_else(pc.equal(c, ""), pa.scalar(None, pa.string()), c) for c in columns]
    return pc.fill_null(pc.binary_join_element_wise(*nullable, separator, null_handling="skip"), "")


def quote_rfc4180(column: pa.Array) -> pa.Array:
    """Quote fields holding a comma or a double quote; inner quotes are doubled."""
    needs = pc.or_(pc.match_substring(column, ","), pc.match_substring(column, '"'))
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


def join(columns: list[Column], separator: str, n: int) -> pa.Array:
    """Lines (without terminator) from string columns; a plain `str` is repeated on every line."""
    if all(isinstance(c, str) for c in columns):
        return pa.array(np.full(n, separator.join(columns), dtype=object), type=pa.string())
    arrays = [pa.scalar(c, pa.string()) if isinstance(c, str) else c for c in columns]
    return pc.binary_join_element_wise(*arrays, separator)


CHUNK = 4 << 20
# ISA-L releases the GIL: independent gzip members are compressed on both cores, and the finishing
# of compressed files (compress, write, close) runs in the background while the economy moves on.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="synthetic-gzip")
_FINISHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthetic-finish")
_PENDING: deque[Future] = deque()
MAX_PENDING = 3  # bounds the memory held by pending payloads


_PENDING_LOCK = threading.Lock()  # the writers' lanes submit from two threads


def in_background(job: Callable[[], None]) -> Future:
    """Run `job` after every job submitted before it (file order is preserved)."""
    while True:
        with _PENDING_LOCK:
            if len(_PENDING) < MAX_PENDING:
                future = _FINISHER.submit(job)
                _PENDING.append(future)
                return future
            oldest = _PENDING.popleft()
        oldest.result()  # outside the lock: the other lane may queue meanwhile


def drain() -> None:
    """Wait for every background job (and re-raise the first failure)."""
    while True:
        with _PENDING_LOCK:
            if not _PENDING:
                return
            oldest = _PENDING.popleft()
        oldest.result()


def gzip_member(data: bytes | memoryview) -> bytes:
    """One complete gzip member (header with mtime 0, so identical input gives identical bytes).

    A file made of several members is a valid gzip file (RFC 1952), read whole by gzip readers.
    ISA-L's level 0 is its fastest compression (not zlib's "stored"), five times as fast as zlib's
    level 1; its levels 1 to 3 start from uninitialised hash tables, so the same input can give
    other bytes from one run to the next (seen here: one member in 5,000).
    """
    compressor = isal_zlib.compressobj(0, isal_zlib.DEFLATED, 31)
    return compressor.compress(data) + compressor.flush()


def _compress_all(pieces: list[bytes | memoryview]) -> list[bytes]:
    return [gzip_member(piece) for piece in pieces]


def gzip_members(pieces: list[bytes | memoryview]) -> list[bytes]:
    """Members for each piece, in order, compressed by a few tasks on both cores."""
    if len(pieces) < 2:
        return _compress_all(pieces)
    tasks = min(len(pieces), 8)
    bounds = np.linspace(0, len(pieces), tasks + 1).astype(int)
    groups = [pieces[a:b] for a, b in itertools.pairwise(bounds.tolist())]
    return [member for group in _POOL.map(_compress_all, groups) for member in group]


def payload(lines: pa.Array, terminator: str) -> tuple[memoryview, np.ndarray]:
    """The bytes of every line followed by its terminator, and the byte offset of each line."""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if not len(lines):
        return memoryview(b""), np.zeros(1, dtype=np.int64)
    ended = pc.binary_join_element_wise(lines, terminator, "")
    offsets = np.frombuffer(ended.buffers()[1], dtype=np.int32, count=len(ended) + 1, offset=ended.offset * 4)
    start = int(offsets[0])
    return memoryview(ended.buffers()[2])[start : int(offsets[-1])], offsets.astype(np.int64) - start


class TextFile:
    """A delivered file written in pieces: header, then batches of lines, then an optional blank line.

    Compressed files are written as a sequence of gzip members of about 4 MB, compressed in parallel.
    """

    def __init__(
        self, path: Path, compress: bool, terminator: str, encoding: str = "utf-8", bom: bool = False
    ) -> None:
        self.path = path
        self.terminator = terminator
        self.compress = compress
        self.encoding = encoding.lower().replace("_", "-")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = path.open("wb")
        self._bom = bom or self.encoding == "utf-16le"  # UTF-16LE files always start with FF FE
        self.lines = 0
        self.injected = 0  # malformed lines written
        self.batch = ""
        self.shape: Any = None  # line shape used to break lines (malformed.LineShape)
        self.header = ""  # the header line, without terminator
        # Part of a backfill's historical extract: kept open (several monthly deliveries are appended)
        # until the extract's batch is complete; `finish` is the closing mode to apply then.
        self.deferred = False
        self.finish = True
        self._carry: bytearray | None = None  # compressed bytes not yet cut into a member (one_write)

    @contextmanager
    def one_write(self) -> Iterator[TextFile]:
        """Writes inside the block are cut into gzip members as one write would be: a file built in
        blocks of lines has the bytes of the same lines written at once, whatever the block size."""
        self._carry = bytearray()
        try:
            yield self
        finally:
            carry, self._carry = self._carry, None
            if carry:
                self._compress(bytes(carry))

    def _write(self, data: bytes | memoryview) -> None:
        if self.encoding != "utf-8":  # lines are built in UTF-8 (pyarrow), then transcoded
            data = bytes(data).decode("utf-8").encode(self.encoding)
        if self._bom:
            data = (codecs.BOM_UTF16_LE if self.encoding == "utf-16le" else codecs.BOM_UTF8) + bytes(data)
            self._bom = False
        if not self.compress:
            self._raw.write(data)
            return
        if self._carry is not None:
            self._carry += data
            whole = len(self._carry) // CHUNK * CHUNK
            if whole:
                data = bytes(self._carry[:whole])
                del self._carry[:whole]
                self._compress(data)
            return
        self._compress(data)

    def _compress(self, data: bytes | memoryview) -> None:
        """Members of about 4 MB, compressed and appended to the file in the background."""
        pieces = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]

        def job() -> None:
            for member in gzip_members(pieces):
                self._raw.write(member)

        in_background(job)

    def write_header(self, header: str) -> None:
        self.header = header
        self._write((header + self.terminator).encode("utf-8"))

    def write_blank(self) -> None:
        """A blank line (not a data line: parsers skip it)."""
        self._write(self.terminator.encode("utf-8"))

    def write_lines(self, lines: pa.Array) -> None:
        data, _ = payload(lines, self.terminator)
        self._write(data)
        self.lines += len(lines)

    def write_raw(self, data: bytes) -> None:
        """Bytes already in the file's final form (pre-compressed gzip members, for instance)."""
        self._raw.write(data)

    def close_raw(self) -> None:
        self._raw.close()

    def close(self, trailing_blank: bool = False) -> None:
        if trailing_blank:
            self._write(self.terminator.encode("utf-8"))
        if self.compress:
            in_background(self._raw.close)
        else:
            self._raw.close()
