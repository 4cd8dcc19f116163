"""Realistic broken lines, each guaranteed to be rejected by the contract-driven parser.

The kinds of damage are derived from the contract: a line is truncated (wrong field count, or a
stray fragment such as `654",`), or one of its *required* columns gets a value its decoder refuses
(a provisional siret with letters, an impossible date, a non-numeric amount, an invalid period, an
empty required text). Lines that are not chosen are never touched, so every other line loads.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.sources.contract import Contract

_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
# Decoders whose invalid values reject a required column (a blank `code` may be defaulted: skipped).
_CORRUPTIBLE = {
    "siret",
    "siren",
    "nic",
    "date_aammjj",
    "date_ddmmmyyyy",
    "date_ddmmyyyy",
    "date_dgefp",
    "date_iso",
    "month",
    "cents",
    "decimal",
    "double",
    "integer",
    "period_start",
    "boolean",
    "text",
}


@dataclass(frozen=True)
class LineShape:
    separator: str
    quoted: bool  # RFC 4180 (INSEE) or never quoted (URSSAF)
    n_fields: int
    targets: tuple[tuple[int, str], ...]  # (field index, decoder) of corruptible required columns
    quote_all: bool = False  # every field quoted (diane)


def line_shape(contract: Contract, header: list[str]) -> LineShape:
    position = {name.lower(): i for i, name in enumerate(header)}
    targets: list[tuple[int, str]] = []
    for column in contract.columns:
        if not column.required or not column.source or column.decoder not in _CORRUPTIBLE:
            continue
        if column.options.get("blankAs") is not None:
            continue
        index = position.get(str(column.source).lower())
        # French month tokens are valid for some DDMMMYYYY columns (bdf): break those differently.
        decoder = column.decoder + ("_fr" if column.options.get("french") else "")
        if index is not None and (index, decoder) not in targets:
            targets.append((index, decoder))
    return LineShape(
        contract.dialect.separator,
        contract.dialect.quoting != "none",
        len(header),
        tuple(targets),
        contract.dialect.quoting == "all",
    )


def _split(line: str, shape: LineShape) -> list[str]:
    if shape.quoted:
        return next(csv.reader([line], delimiter=shape.separator, quotechar='"'))
    return line.split(shape.separator)


def _join(fields: list[str], shape: LineShape) -> str:
    if not shape.quoted:
        return shape.separator.join(fields)
    if shape.quote_all:
        return shape.separator.join('"' + f.replace('"', '""') + '"' for f in fields)
    return shape.separator.join(
        '"' + f.replace('"', '""') + '"' if shape.separator in f or '"' in f else f for f in fields
    )


def _bad_value(rng: np.random.Generator, decoder: str, value: str) -> str:
    year = int(rng.integers(2010, 2026))
    if decoder in ("siret", "siren", "nic"):
        if not value or rng.random() < 0.15:
            return ""
        chars = list(value)
        chars[int(rng.integers(0, len(chars)))] = _LETTERS[int(rng.integers(0, len(_LETTERS)))]
        return "".join(chars)
    if decoder == "date_aammjj":
        return str((year - 1900) * 10_000 + int(rng.choice([230, 231, 431, 631, 1305, 1, 0])))
    if decoder == "date_ddmmmyyyy":
        return str(rng.choice(["30FEB", "31APR", "31JUN", "31SEP", "12MAI", "05AVR", "00JAN"])) + str(year)
    if decoder == "date_ddmmmyyyy_fr":
        return str(rng.choice(["30FEB", "31APR", "31JUN", "31SEP", "31avr", "00JAN"])) + str(year)
    if decoder in ("date_iso", "date_dgefp", "month"):
        return f"{year}-02-30"
    if decoder == "date_ddmmyyyy":  # month and day swapped, as in real Altares files (01/15/2019)
        return f"{int(rng.integers(1, 13)):02d}/{int(rng.integers(13, 29)):02d}/{year}"
    if decoder == "cents":
        return str(rng.choice(["1 234", "12,50", "N/A", "1.5e3", "12-40"]))
    if decoder in ("decimal", "double", "integer"):
        return str(rng.choice(["N/A", "1.234,56", "12,34,5", "1O2", "--5", "#VALEUR!"]))
    if decoder == "period_start":
        return (f"{year:04d}" if len(value) != 4 else f"{year % 100:02d}") + str(
            rng.choice(["75", "88", "79", "95"])
        )
    if decoder == "boolean":
        return str(rng.choice(["X", "2", "oui?"]))
    return ""  # required text left empty


def corrupt(rng: np.random.Generator, line: str, shape: LineShape) -> str:
    fields = _split(line, shape)
    if shape.targets and rng.random() < 0.65:
        index, decoder = shape.targets[int(rng.integers(0, len(shape.targets)))]
        fields[index] = _bad_value(rng, decoder, fields[index])
        return _join(fields, shape)
    if not shape.quoted and rng.random() < 0.2:
        # A stray fragment of a broken line, as seen in real URSSAF deliveries.
        piece = fields[int(rng.integers(0, len(fields)))][-3:] or "654"
        return piece + '",'
    keep = int(rng.integers(1, shape.n_fields))
    broken = _join(fields[:keep], shape)
    if not shape.quoted and keep + 1 < shape.n_fields and fields[keep]:
        broken += shape.separator + fields[keep][: max(1, len(fields[keep]) // 2)]
    return broken if broken.strip() else "0"


def draw(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    """Positions (sorted) of the lines to break among n: a binomial(n, share) sample."""
    count = int(rng.binomial(n, share)) if share > 0 and n else 0
    if not count:
        return np.zeros(0, dtype=np.int64)
    return np.sort(rng.choice(n, count, replace=False))


def break_lines(rng: np.random.Generator, lines: pa.Array, chosen: np.ndarray, shape: LineShape) -> pa.Array:
    """Replace the lines at the sorted positions `chosen` by broken ones, in order (so a file
    written in blocks, broken block after block, gets the bytes of the file broken at once)."""
    if not len(chosen):
        return lines
    broken = [corrupt(rng, line, shape) for line in lines.take(pa.array(chosen)).to_pylist()]
    mask = np.zeros(len(lines), dtype=bool)
    mask[chosen] = True
    return pc.replace_with_mask(lines, pa.array(mask), pa.array(broken, type=pa.string()))


def inject(rng: np.random.Generator, lines: pa.Array, shape: LineShape, share: float) -> tuple[pa.Array, int]:
    """Replace a binomial(n, share) sample of lines by broken ones; returns the lines and the count."""
    chosen = draw(rng, len(lines), share)
    return break_lines(rng, lines, chosen, shape), len(chosen)
