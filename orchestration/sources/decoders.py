"""Column decoders: from a raw text field to a typed SQL expression plus its validity test.

A decoder receives `raw`, the SQL expression of the field (trimmed, empty string as NULL), and
returns the typed value, the condition under which a non-empty value is invalid, the reason code
used when the column is required, and the warnings the value may raise (raw-sources §2.6-§2.7).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestration.sources.contract import Column

# Thousands separators removed where a column says so: space, U+00A0, U+202F.
_THOUSANDS = "regexp_replace({v}, '[ \u00a0\u202f]', '', 'g')"


@dataclass(frozen=True)
class Decoded:
    value: str
    invalid: str | None  # SQL condition, true when a present value cannot be decoded
    reason: str  # rejection code when the column is required
    describe: str  # what a valid value looks like, for messages
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (warning code, SQL condition)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number_text(raw: str, options: dict[str, Any]) -> str:
    value = raw
    if options.get("thousands"):
        value = _THOUSANDS.format(v=value)
    if options.get("commaDecimal"):
        value = f"replace({value}, ',', '.')"
    return value


def _text(raw: str, options: dict[str, Any]) -> Decoded:
    value = f"replace({raw}, ' ', '')" if options.get("stripSpaces") else raw
    return Decoded(value, None, "missing_required_value", "text")


def _code(raw: str, options: dict[str, Any]) -> Decoded:
    blank_as = options.get("blankAs")
    value = f"coalesce({raw}, {_quote(blank_as)})" if blank_as is not None else raw
    allowed = options.get("allowed")
    if allowed:  # a closed list: anything else is invalid (e.g. invalid_state)
        values = ", ".join(_quote(str(a)) for a in allowed)
        return Decoded(
            value,
            f"{value} not in ({values})",
            options.get("reason", "invalid_number"),
            "one of " + "/".join(map(str, allowed)),
        )
    return Decoded(value, None, "missing_required_value", "code")


def _identifier(length: int) -> Callable[[str, dict[str, Any]], Decoded]:
    def decode(raw: str, options: dict[str, Any]) -> Decoded:
        value = f"replace({raw}, ' ', '')"
        return Decoded(
            value,
            f"not regexp_full_match({value}, '[0-9]{{{length}}}')",
            "invalid_identifier",
            f"{length} digits",
        )

    return decode


def _integer(raw: str, options: dict[str, Any]) -> Decoded:
    text = _number_text(raw, options)
    # strict: only a whole number (559.0 accepted); otherwise a fraction is truncated with a warning
    pattern = "[+-]?[0-9]+([.]0+)?" if options.get("strict") else "[+-]?[0-9]+([.][0-9]+)?"
    valid = f"regexp_full_match({text}, '{pattern}')"
    whole = f"try_cast(regexp_extract({text}, '^[+-]?[0-9]+') as integer)"
    invalid = f"not coalesce({valid} and {whole} is not null, false)"
    if options.get("nonNegative"):
        invalid = f"({invalid}) or {whole} < 0"
    value = f"case when {valid} then {whole} end"
    truncated = f"{valid} and regexp_full_match({text}, '.*[.][0-9]*[1-9][0-9]*')"
    return Decoded(value, invalid, "invalid_number", "an integer", [("integer_truncated", truncated)])


def _decimal(scale_factor: str | None) -> Callable[[str, dict[str, Any]], Decoded]:
    def decode(raw: str, options: dict[str, Any]) -> Decoded:
        text = _number_text(raw, options)
        valid = f"regexp_full_match({text}, '[+-]?[0-9]+([.][0-9]+)?')"
        number = f"try_cast({text} as decimal(38,6))"
        if scale_factor:
            number = f"({number} * {scale_factor})"
        value = f"case when {valid} then try_cast({number} as decimal(18,2)) end"
        return Decoded(
            value, f"not coalesce({valid}, false) or {value} is null", "invalid_number", "a decimal number"
        )

    return decode


def _cents(raw: str, options: dict[str, Any]) -> Decoded:
    valid = f"regexp_full_match({raw}, '[+-]?[0-9]{{1,18}}')"
    value = f"case when {valid} then cast(cast({raw} as decimal(18,0)) * 0.01 as decimal(18,2)) end"
    return Decoded(value, f"not {valid}", "invalid_number", "an integer amount in cents")


def _double(raw: str, options: dict[str, Any]) -> Decoded:
    text = _number_text(raw, options)
    valid = f"regexp_full_match({text}, '[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?')"
    value = f"case when {valid} then try_cast({text} as double) end"
    invalid = f"not coalesce({valid}, false)"
    if "min" in options or "max" in options:
        lo, hi = options.get("min", "-1e308"), options.get("max", "1e308")
        value = f"case when {valid} and try_cast({text} as double) between {lo} and {hi} then try_cast({text} as double) end"
        invalid = f"{value} is null"
    return Decoded(value, invalid, "invalid_number", "a number")


def _boolean(raw: str, options: dict[str, Any]) -> Decoded:
    true_tokens = options.get("trueTokens", ["true", "1", "o"])
    false_tokens = options.get("falseTokens", ["false", "0", "n"])
    value = (
        f"case when lower({raw}) in ({', '.join(_quote(t) for t in true_tokens)}) then true "
        f"when lower({raw}) in ({', '.join(_quote(t) for t in false_tokens)}) then false end"
    )
    return Decoded(value, f"{value} is null", "invalid_number", "/".join(true_tokens + false_tokens))


def _macro(macro: str, reason: str, describe: str) -> Callable[[str, dict[str, Any]], Decoded]:
    def decode(raw: str, options: dict[str, Any]) -> Decoded:
        value = f"{macro}({raw})"
        return Decoded(value, f"{value} is null", reason, describe)

    return decode


def _date_ddmmyyyy(raw: str, options: dict[str, Any]) -> Decoded:
    value = f"sf_date_ddmmyyyy({raw})"
    if options.get("isoFallback"):
        value = f"coalesce({value}, sf_date_iso({raw}))"
    return Decoded(value, f"{value} is null", "invalid_date", "a DD/MM/YYYY date")


def _date_ddmmmyyyy(raw: str, options: dict[str, Any]) -> Decoded:
    french = "true" if options.get("french") else "false"
    value = f"sf_date_ddmmmyyyy({raw}, {french})"
    return Decoded(value, f"{value} is null", "invalid_date", "a DDMMMYYYY date")


def _date_dgefp(raw: str, options: dict[str, Any]) -> Decoded:
    value = f"coalesce(sf_date_iso({raw}), sf_date_ddmmyyyy({raw}), sf_date_ddmmyy({raw}))"
    return Decoded(value, f"{value} is null", "invalid_date", "a YYYY-MM-DD or DD/MM/YYYY date")


def _date_yyyymmdd_or_aammjj(raw: str, options: dict[str, Any]) -> Decoded:
    value = f"coalesce(sf_date_yyyymmdd({raw}), sf_date_aammjj({raw}))"
    return Decoded(value, f"{value} is null", "invalid_date", "a YYYYMMDD or (A)AAMMJJ date")


def _period_start(raw: str, options: dict[str, Any]) -> Decoded:
    value = f"sf_period_start({raw})"
    non_canonical = f"{value} is not null and not sf_period_is_canonical({raw})"
    return Decoded(
        value,
        f"{value} is null",
        "invalid_period",
        "an AAAAXY or AAXY period",
        [("non_canonical_period", non_canonical)],
    )


def _period_end(raw: str, options: dict[str, Any]) -> Decoded:
    value = f"sf_period_end({raw})"
    return Decoded(value, f"{value} is null", "invalid_period", "an AAAAXY or AAXY period")


def _month(raw: str, options: dict[str, Any]) -> Decoded:
    """A month given as an ISO date (any day, truncated with a warning) or as MM/YYYY."""
    iso = f"sf_date_iso({raw})"
    mm_yyyy = (
        f"case when regexp_full_match({raw}, '[0-9]{{2}}/[0-9]{{4}}') "
        f"then try_cast(right({raw}, 4) || '-' || left({raw}, 2) || '-01' as date) end"
    )
    value = f"coalesce(cast(date_trunc('month', {iso}) as date), {mm_yyyy})"
    return Decoded(
        value,
        f"{value} is null",
        "invalid_date",
        "a YYYY-MM-DD date or MM/YYYY",
        [("day_in_month_field", f"{iso} is not null and day({iso}) <> 1")],
    )


DECODERS: dict[str, Callable[[str, dict[str, Any]], Decoded]] = {
    "text": _text,
    "code": _code,
    "siret": _identifier(14),
    "siren": _identifier(9),
    "nic": _identifier(5),
    "integer": _integer,
    "decimal": _decimal(None),
    "keur": _decimal("1000"),
    "cents": _cents,
    "double": _double,
    "boolean": _boolean,
    "date_iso": _macro("sf_date_iso", "invalid_date", "a YYYY-MM-DD date"),
    "timestamp_iso": _macro("sf_timestamp_iso", "invalid_date", "a YYYY-MM-DDTHH:MM:SS timestamp"),
    "date_aammjj": _macro("sf_date_aammjj", "invalid_date", "an (A)AAMMJJ date"),
    "date_yyyymmdd_or_aammjj": _date_yyyymmdd_or_aammjj,
    "date_ddmmyyyy": _date_ddmmyyyy,
    "date_ddmmmyyyy": _date_ddmmmyyyy,
    "date_dgefp": _date_dgefp,
    "period_start": _period_start,
    "period_end": _period_end,
    "month": _month,
}


def decode_column(column: Column, raw: str) -> Decoded:
    if column.decoder not in DECODERS:
        raise KeyError(f"column {column.name}: unknown decoder {column.decoder!r}")
    decoded = DECODERS[column.decoder](raw, column.options)
    if column.codes:
        known = ", ".join(_quote(code) for code in column.codes)
        unknown = f"{decoded.value} is not null and cast({decoded.value} as varchar) not in ({known})"
        decoded.warnings.append(("unknown_code", unknown))
    return decoded
