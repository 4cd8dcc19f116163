"""The date and period encodings of raw-sources.md §3, in plain Python, both ways.

Decoders mirror the DuckDB macros of `sql_functions` (property tests check that both agree);
encoders are used by the synthetic economy to write values exactly as the real files do.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


# --- (A)AAMMJJ (§3.1) -------------------------------------------------------------------------


def decode_aammjj(value: str) -> dt.date | None:
    if not re.fullmatch(r"[0-9]{6,7}", value):
        return None
    digits = str(int(value) + 19_000_000)
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def encode_aammjj(day: dt.date) -> str:
    return str((day.year - 1900) * 10_000 + day.month * 100 + day.day)


def month_after_cutoff(day: dt.date) -> dt.date:
    """The month a URSSAF operation counts in: its own month up to the 20th, else the next."""
    first = day.replace(day=1)
    return first if day.day <= 20 else add_months(first, 1)


# --- AAAAXY / AAXY periods (§3.2) -----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # excluded
    canonical: bool


def decode_period(value: str) -> Period | None:
    if re.fullmatch(r"[0-9]{6}", value):
        year = int(value[:4])
    elif re.fullmatch(r"[0-9]{4}", value):
        short = int(value[:2])
        year = short + (2000 if short < 50 else 1900)
    else:
        return None
    x, y = int(value[-2]), int(value[-1])
    if (x, y) == (6, 2):
        return Period(dt.date(year, 1, 1), dt.date(year + 1, 1, 1), True)
    canonical = 1 <= x <= 4 and 0 <= y <= 3
    if canonical and y == 0:
        start = dt.date(year, 3 * (x - 1) + 1, 1)
        return Period(start, add_months(start, 3), True)
    month = 3 * (x - 1) + y
    if not 1 <= month <= 12:
        return None
    start = dt.date(year, month, 1)
    return Period(start, add_months(start, 1), canonical)


def encode_period(start: dt.date, months: int = 1, *, short: bool = False) -> str:
    """Encode a month (1), a quarter (3, starting on a quarter) or a year (12, from January)."""
    if months == 12:
        xy = "62"
    elif months == 3:
        xy = f"{(start.month - 1) // 3 + 1}0"
    else:
        xy = f"{(start.month - 1) // 3 + 1}{(start.month - 1) % 3 + 1}"
    year = f"{start.year % 100:02d}" if short else f"{start.year:04d}"
    return year + xy


def encode_eff_column(month: dt.date) -> str:
    """Headcount column name `effAAAAXY` of a month (§3.3)."""
    return "eff" + encode_period(month)


# --- DDMMMYYYY (§3.4) and DD/MM/YYYY (§3.5) ----------------------------------------------------

_EN = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_FR = ["janv", "fevr", "mars", "avr", "mai", "juin", "juil", "aout", "sept", "oct", "nov", "dec"]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def decode_ddmmmyyyy(value: str, *, allow_french: bool = False) -> dt.date | None:
    match = re.fullmatch(r"([0-9]{1,2})([^0-9]+)([0-9]{4})", value)
    if not match:
        return None
    token = _strip_accents(match.group(2)).lower().rstrip(".")
    if token in _EN:
        month = _EN.index(token) + 1
    elif allow_french and token in _FR:
        month = _FR.index(token) + 1
    else:
        return None
    try:
        return dt.date(int(match.group(3)), month, int(match.group(1)))
    except ValueError:
        return None


def encode_ddmmmyyyy(day: dt.date) -> str:
    return f"{day.day:02d}{_EN[day.month - 1].upper()}{day.year:04d}"


def decode_ddmmyyyy(value: str) -> dt.date | None:
    match = re.fullmatch(r"([0-9]{2})/([0-9]{2})/([0-9]{4})", value)
    if not match:
        return None
    try:
        return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    except ValueError:
        return None


def encode_ddmmyyyy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")
