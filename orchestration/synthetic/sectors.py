"""Sector knowledge: activity shares, wages, sensitivities to shocks and legal forms.

Shares are rough national orders of magnitude for companies with employees (INSEE business
demography); they make the synthetic economy look French, they are not statistics to quote.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.synthetic.reference import Naf

# Share (per cent, unnormalised) of employer companies by NAF division.
DIVISION_WEIGHTS: dict[str, float] = {
    "01": 1.2,
    "02": 0.1,
    "03": 0.1,
    "08": 0.15,
    "10": 3.0,
    "11": 0.3,
    "13": 0.2,
    "14": 0.2,
    "15": 0.05,
    "16": 0.4,
    "17": 0.2,
    "18": 0.4,
    "20": 0.4,
    "21": 0.1,
    "22": 0.6,
    "23": 0.5,
    "24": 0.2,
    "25": 2.0,
    "26": 0.3,
    "27": 0.3,
    "28": 0.8,
    "29": 0.3,
    "30": 0.1,
    "31": 0.3,
    "32": 0.4,
    "33": 0.8,
    "35": 0.3,
    "36": 0.1,
    "37": 0.1,
    "38": 0.5,
    "39": 0.05,
    "41": 2.5,
    "42": 1.0,
    "43": 9.0,
    "45": 3.5,
    "46": 6.5,
    "47": 10.0,
    "49": 4.0,
    "50": 0.1,
    "51": 0.05,
    "52": 1.0,
    "53": 0.2,
    "55": 2.0,
    "56": 7.0,
    "58": 0.3,
    "59": 0.3,
    "60": 0.1,
    "61": 0.2,
    "62": 2.2,
    "63": 0.3,
    "64": 0.8,
    "65": 0.4,
    "66": 0.6,
    "68": 1.2,
    "69": 2.0,
    "70": 1.2,
    "71": 1.5,
    "72": 0.2,
    "73": 0.4,
    "74": 0.3,
    "75": 0.2,
    "77": 0.4,
    "78": 1.0,
    "79": 0.3,
    "80": 0.6,
    "81": 2.5,
    "82": 0.6,
    "84": 1.5,
    "85": 2.0,
    "86": 2.0,
    "87": 2.2,
    "88": 3.0,
    "90": 0.3,
    "91": 0.1,
    "92": 0.1,
    "93": 0.8,
    "94": 2.0,
    "95": 0.2,
    "96": 1.2,
}
# Sub-classes much more frequent than their division's average.
SUBCLASS_BOOST: dict[str, float] = {
    "1071C": 12.0,
    "1071D": 3.0,
    "1013B": 3.0,
    "4120A": 3.0,
    "4120B": 2.0,
    "4321A": 4.0,
    "4322A": 4.0,
    "4322B": 2.0,
    "4332A": 3.0,
    "4334Z": 3.0,
    "4391B": 2.0,
    "4399C": 3.0,
    "4511Z": 5.0,
    "4520A": 5.0,
    "4711D": 4.0,
    "4711F": 3.0,
    "4719B": 2.0,
    "4773Z": 4.0,
    "4941A": 6.0,
    "4941B": 3.0,
    "5610A": 12.0,
    "5610C": 4.0,
    "5630Z": 2.0,
    "5510Z": 4.0,
    "6201Z": 3.0,
    "6202A": 3.0,
    "6920Z": 6.0,
    "7022Z": 3.0,
    "7112B": 3.0,
    "7820Z": 3.0,
    "8121Z": 5.0,
    "8010Z": 3.0,
    "8610Z": 4.0,
    "8690D": 2.0,
    "8710A": 8.0,
    "8810A": 3.0,
    "8810C": 3.0,
    "8891A": 3.0,
    "8899B": 4.0,
    "9499Z": 12.0,
    "8520Z": 4.0,
    "8531Z": 3.0,
    "8411Z": 8.0,
    "8412Z": 2.0,
    "9312Z": 3.0,
    "9602A": 4.0,
}


@dataclass(frozen=True)
class SectionProfile:
    hazard: float  # additive log-hazard of a first opening
    wage: float  # mean monthly gross wage per employee, euros (2020)
    covid: float  # depth of the 2020 shock (0-1)
    energy: float  # exposure to the 2022-2023 energy and input-price shock (0-1)
    housing: float  # exposure to the 2023-2024 construction and real-estate downturn (0-1)
    summer: float  # seasonal headcount swing (tourism)


SECTIONS: dict[str, SectionProfile] = {
    "A": SectionProfile(-0.2, 2300, 0.05, 0.5, 0.0, 0.10),
    "B": SectionProfile(-0.3, 3300, 0.10, 0.6, 0.2, 0.00),
    "C": SectionProfile(0.0, 3100, 0.25, 0.9, 0.1, 0.00),
    "D": SectionProfile(-0.8, 4300, 0.05, 0.2, 0.0, 0.00),
    "E": SectionProfile(-0.5, 2900, 0.05, 0.3, 0.0, 0.00),
    "F": SectionProfile(0.35, 2700, 0.35, 0.4, 1.0, 0.02),
    "G": SectionProfile(0.10, 2600, 0.35, 0.4, 0.1, 0.03),
    "H": SectionProfile(0.15, 2800, 0.45, 0.7, 0.0, 0.02),
    "I": SectionProfile(0.30, 2000, 1.00, 0.7, 0.0, 0.18),
    "J": SectionProfile(-0.1, 4200, 0.15, 0.1, 0.0, 0.00),
    "K": SectionProfile(-0.7, 4600, 0.05, 0.1, 0.2, 0.00),
    "L": SectionProfile(-0.1, 3200, 0.15, 0.1, 0.9, 0.00),
    "M": SectionProfile(-0.1, 3900, 0.15, 0.1, 0.3, 0.00),
    "N": SectionProfile(0.15, 2400, 0.40, 0.2, 0.1, 0.04),
    "O": SectionProfile(-2.0, 2700, 0.00, 0.1, 0.0, 0.00),
    "P": SectionProfile(-1.0, 2600, 0.15, 0.1, 0.0, 0.00),
    "Q": SectionProfile(-0.5, 2500, 0.15, 0.3, 0.0, 0.00),
    "R": SectionProfile(0.10, 2600, 0.90, 0.3, 0.0, 0.10),
    "S": SectionProfile(0.00, 2400, 0.40, 0.2, 0.0, 0.02),
    "T": SectionProfile(0.00, 1900, 0.10, 0.0, 0.0, 0.00),
    "U": SectionProfile(-1.0, 3500, 0.00, 0.0, 0.0, 0.00),
}
SECTION_LETTERS = np.array(sorted(SECTIONS))

# Old NAF rév. 1 codes still carried by establishments closed before 2008 (raw-sources §4.1).
NAF_REV1_CODES = np.array(
    [
        "15.8C",
        "17.1P",
        "18.2D",
        "20.1A",
        "28.1C",
        "45.2A",
        "45.3A",
        "50.2Z",
        "51.4A",
        "52.1D",
        "52.4C",
        "55.3A",
        "55.4A",
        "60.2M",
        "74.1C",
        "74.7Z",
        "85.1A",
        "93.0N",
    ]
)

# Temporary-work activities whose URSSAF accounts include pseudo-sirets (raw-sources §2.5).
PSEUDO_SIRET_SUBCLASSES = {
    "7820Z": 0.7,
    "7830Z": 0.5,
    "7810Z": 0.3,
    "5911A": 0.4,
    "5911B": 0.4,
    "5911C": 0.4,
    "9001Z": 0.3,
    "7490B": 0.1,
}

# Legal categories (INSEE level III) of private employers, by creation era: (code, weight).
# Single-member companies (EURL, SASU) have no code of their own in the current nomenclature:
# they are 5499 and 5710 (the old 5498 and 5720 are absent from categories_juridiques.csv).
_PRIVATE_OLD = [
    ("5499", 49),
    ("5599", 13),
    ("5710", 12),
    ("1000", 7),
    ("5202", 2),
    ("5699", 2),
    ("5306", 0.3),
    ("5485", 1),
    ("5458", 0.5),
    ("5460", 0.3),
    ("6599", 0.5),
    ("5308", 0.1),
]
_PRIVATE_MID = [
    ("5710", 44),
    ("5499", 40),
    ("1000", 4),
    ("5599", 3),
    ("5699", 1),
    ("5202", 1),
    ("5485", 1.5),
    ("5785", 0.5),
    ("5458", 0.5),
]
_PRIVATE_NEW = [
    ("5710", 65),
    ("5499", 25),
    ("1000", 3),
    ("5785", 1.5),
    ("5485", 1),
    ("5599", 0.5),
    ("5458", 0.5),
]
_AGRICULTURE = [
    ("6598", 25),
    ("6533", 15),
    ("5499", 20),
    ("1000", 22),
    ("5710", 8),
    ("6316", 3),
    ("6599", 3),
    ("5460", 2),
]
_ASSOCIATIVE = [("9220", 88), ("9230", 5), ("9221", 4), ("9260", 3)]
_HEALTH = [
    ("9220", 42),
    ("5710", 20),
    ("5499", 15),
    ("5485", 6),
    ("8210", 3),
    ("7366", 8),
    ("4140", 1),
    ("5785", 3),
    ("1000", 2),
]
_EDUCATION = [("9220", 60), ("5710", 14), ("5499", 10), ("7383", 4), ("7389", 6), ("1000", 3), ("7490", 3)]
_PUBLIC_ADMIN = [
    ("7210", 62),
    ("7346", 10),
    ("7348", 4),
    ("7220", 3),
    ("7389", 8),
    ("7490", 7),
    ("7410", 4),
    ("7379", 2),
]
_REAL_ESTATE = [
    ("5499", 37),
    ("5710", 35),
    ("6540", 14),
    ("6599", 4),
    ("5599", 5),
    ("1000", 5),
]
# Share of public industrial and commercial bodies (EPIC) in network activities.
_EPIC_DIVISIONS = {
    "35": 0.08,
    "36": 0.25,
    "37": 0.15,
    "38": 0.06,
    "49": 0.02,
    "52": 0.03,
    "91": 0.08,
    "93": 0.02,
    "68": 0.01,
}

# Legal categories excluded from the perimeter (model.md §1, P6).
EXCLUDED_CATEGORIES = frozenset(
    {
        "4110",
        "4120",
        "4140",
        "4160",
        "7210",
        "7220",
        "7346",
        "7348",
        "7366",
        "7373",
        "7379",
        "7383",
        "7385",
        "7389",
        "7410",
        "7430",
        "7470",
        "7490",
    }
)


def _pick(rng: np.random.Generator, table: list[tuple[str, float]], n: int) -> np.ndarray:
    codes = np.array([c for c, _ in table])
    weights = np.array([w for _, w in table], dtype=float)
    return rng.choice(codes, n, p=weights / weights.sum())


def legal_categories(
    rng: np.random.Generator, divisions: np.ndarray, creation_years: np.ndarray
) -> np.ndarray:
    """A plausible INSEE legal category for each company, given its activity and age."""
    n = len(divisions)
    result = np.empty(n, dtype="U4")
    era = np.where(creation_years < 2000, 0, np.where(creation_years < 2016, 1, 2))
    tables = {0: _PRIVATE_OLD, 1: _PRIVATE_MID, 2: _PRIVATE_NEW}
    for e, table in tables.items():
        rows = era == e
        result[rows] = _pick(rng, table, int(rows.sum()))
    special = [
        (np.isin(divisions, ["01", "02", "03"]), _AGRICULTURE),
        (np.isin(divisions, ["94"]), _ASSOCIATIVE),
        (np.isin(divisions, ["86", "87", "88"]), _HEALTH),
        (np.isin(divisions, ["85"]), _EDUCATION),
        (np.isin(divisions, ["84"]), _PUBLIC_ADMIN),
        (np.isin(divisions, ["68"]), _REAL_ESTATE),
    ]
    for rows, table in special:
        result[rows] = _pick(rng, table, int(rows.sum()))
    # Associations also run sport, culture and social services.
    assoc = np.isin(divisions, ["90", "91", "93"]) & (rng.random(n) < 0.35)
    result[assoc] = _pick(rng, _ASSOCIATIVE, int(assoc.sum()))
    for division, share in _EPIC_DIVISIONS.items():
        rows = (divisions == division) & (rng.random(n) < share)
        result[rows] = np.where(rng.random(int(rows.sum())) < 0.8, "4140", "4110")
    return result


def draw_subclasses(rng: np.random.Generator, naf: Naf, n: int) -> np.ndarray:
    """NAF rév. 2 sub-classes (without dot) drawn with the division shares above."""
    division_count: dict[str, int] = {}
    for division in naf.division.tolist():
        division_count[division] = division_count.get(division, 0) + 1
    weights = np.array(
        [
            DIVISION_WEIGHTS.get(d, 0.0) / division_count[d] * SUBCLASS_BOOST.get(c, 1.0)
            for c, d in zip(naf.code.tolist(), naf.division.tolist(), strict=True)
        ]
    )
    # The boosts inflate their divisions: renormalise each division to its target share.
    for division, target in DIVISION_WEIGHTS.items():
        rows = naf.division == division
        if weights[rows].sum() > 0:
            weights[rows] *= target / weights[rows].sum()
    return naf.code[rng.choice(len(weights), n, p=weights / weights.sum())]


def with_dot(codes: np.ndarray) -> np.ndarray:
    """Sirene writes NAF rév. 2 sub-classes with a dot: 5221Z -> 52.21Z."""
    return np.array([f"{c[:2]}.{c[2:]}" for c in codes.tolist()], dtype="U6")
