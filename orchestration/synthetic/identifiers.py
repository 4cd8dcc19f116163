"""SIREN, SIRET, URSSAF pseudo-SIRET and account numbers, vectorised.

Real SIREN and SIRET numbers carry a Luhn check digit (the parser does not verify it, raw-sources
§2.5, but downstream users do); URSSAF pseudo-sirets do not.
"""

from __future__ import annotations

import numpy as np


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    """(n, width) digit matrix of non-negative integers, most significant digit first."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (numbers.astype(np.int64)[:, None] // powers) % 10


def luhn_check_digit(bodies: np.ndarray, width: int) -> np.ndarray:
    """Check digit completing each `width`-digit body into a Luhn-valid number of width + 1 digits."""
    digits = _digits(bodies, width)
    # From the right of the full number, the check digit has position 1 and is not doubled:
    # the body's last digit is doubled, then every other one.
    doubled = (np.arange(width)[::-1] % 2) == 0
    values = np.where(doubled, digits * 2, digits)
    values = np.where(values > 9, values - 9, values)
    return (10 - values.sum(axis=1) % 10) % 10


def luhn_valid(number: str) -> bool:
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _fixed(numbers: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(numbers.astype(np.int64).astype(str), width)


def draw_sirens(rng: np.random.Generator, first_digits: np.ndarray) -> np.ndarray:
    """Distinct Luhn-valid SIRENs, one per requested first digit (U9 strings)."""
    n = len(first_digits)
    chosen = np.full(n, -1, dtype=np.int64)
    taken: set[int] = set()
    pending = np.arange(n)
    while len(pending):
        bodies = first_digits[pending].astype(np.int64) * 10_000_000 + rng.integers(
            0, 10_000_000, len(pending)
        )
        keep = []
        for position, body in zip(pending, bodies.tolist(), strict=True):
            if body not in taken:
                taken.add(body)
                chosen[position] = body
            else:
                keep.append(position)
        pending = np.array(keep, dtype=np.int64)
    return np.char.add(_fixed(chosen, 8), luhn_check_digit(chosen, 8).astype(str))


def nics_for(sirens: np.ndarray, serials: np.ndarray) -> np.ndarray:
    """NIC = 4-digit serial + the digit that makes siren + nic a Luhn-valid SIRET."""
    bodies = sirens.astype(np.int64) * 10_000 + serials.astype(np.int64)
    check = luhn_check_digit(bodies, 13)
    return np.char.add(_fixed(serials, 4), check.astype(str))


def pseudo_nics(rng: np.random.Generator, serials: np.ndarray) -> np.ndarray:
    """URSSAF pseudo-siret NICs: first digit (10th of the siret) 5, 6, 7 or 9, then the serial
    (distinct within a company); no checksum."""
    first = rng.choice(np.array([5, 6, 7, 9]), len(serials))
    return np.char.add(first.astype(str), _fixed(np.asarray(serials) % 10_000, 4))


def account_numbers(rng: np.random.Generator, urssaf_codes: np.ndarray) -> np.ndarray:
    """18-digit URSSAF account numbers: managing URSSAF code, then 15 digits (leading zeros kept)."""
    n = len(urssaf_codes)
    high = rng.integers(0, 10**7, n)
    low = rng.integers(0, 10**8, n)
    return np.char.add(np.char.add(urssaf_codes.astype("U3"), _fixed(high, 7)), _fixed(low, 8))
