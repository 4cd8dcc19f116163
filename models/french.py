"""French display formats: narrow no-break space for thousands, decimal comma, month names."""

from __future__ import annotations

import datetime as dt
import math

NARROW_NBSP = "\u202f"
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def format_number(value: float, decimals: int = 0) -> str:
    """`12400.5` -> `12 400` (decimals=0) or `12 400,5` (decimals=1), with a narrow no-break space."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", NARROW_NBSP).replace(".", ",")


def format_percent(ratio: float, decimals: int = 0, signed: bool = True) -> str:
    sign = "+" if signed and ratio > 0 else ""
    return f"{sign}{format_number(100 * ratio, decimals)}{NARROW_NBSP}%".replace("-", "−")


def month_label(month: dt.date) -> str:
    """`2024-01-01` -> `janvier 2024`."""
    return f"{MONTHS[month.month - 1]} {month.year}"


def list_label(month: dt.date) -> str:
    """`2024-03-01` -> `Mars 2024` (the list label of model.md §9)."""
    label = month_label(month)
    return label[0].upper() + label[1:]
