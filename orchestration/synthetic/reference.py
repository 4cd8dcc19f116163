"""The installed reference seeds the economy is placed in: communes, départements, NAF rév. 2.

They are the dbt seeds built by `orchestration.reference.seeds.build_seeds` from pinned registry
packages; the generator never reads the shared development copies.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from orchestration.reference.seeds import SEEDS_DIR


def _rows(name: str, seeds_dir: Path) -> list[dict[str, str]]:
    path = seeds_dir / name
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: build the reference seeds first "
            "(python -c 'from orchestration.reference.seeds import build_seeds; build_seeds()')"
        )
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Communes:
    code: np.ndarray  # COG code (arrondissement codes for Paris, Lyon, Marseille)
    label: np.ndarray
    departement: np.ndarray
    region: np.ndarray
    postcodes: tuple[tuple[str, ...], ...]
    population: np.ndarray


@dataclass(frozen=True)
class Departements:
    code: np.ndarray
    label: np.ndarray
    region: np.ndarray
    zone: np.ndarray  # metro, drom, com


@dataclass(frozen=True)
class Naf:
    code: np.ndarray  # sub-class without dot, 5 characters (0111Z)
    section: np.ndarray
    division: np.ndarray  # two digits
    label: np.ndarray


@dataclass(frozen=True)
class Reference:
    communes: Communes
    departements: Departements
    naf: Naf


@functools.cache
def load_reference(seeds_dir: Path = SEEDS_DIR) -> Reference:
    communes = [
        row
        for row in _rows("ref_communes.csv", seeds_dir)
        # Sirene codes Paris, Lyon and Marseille by arrondissement: their parents are replaced.
        if (
            row["code_commune"] == row["code_commune_parent"]
            and row["code_commune"] not in ("75056", "69123", "13055")
        )
        or row["type_commune"] == "arrondissement-municipal"
    ]
    communes.sort(key=lambda row: row["code_commune"])
    departements = sorted(_rows("ref_departements.csv", seeds_dir), key=lambda r: r["code_departement"])
    naf = sorted(
        (row for row in _rows("ref_naf.csv", seeds_dir) if row["niveau"] == "5"),
        key=lambda row: row["code"],
    )
    return Reference(
        communes=Communes(
            code=np.array([r["code_commune"] for r in communes]),
            label=np.array([r["libelle"] for r in communes]),
            departement=np.array([r["code_departement"] for r in communes]),
            region=np.array([r["code_region"] for r in communes]),
            postcodes=tuple(tuple(r["codes_postaux"].split()) for r in communes),
            population=np.array([float(r["population"] or 0) for r in communes]),
        ),
        departements=Departements(
            code=np.array([r["code_departement"] for r in departements]),
            label=np.array([r["libelle"] for r in departements]),
            region=np.array([r["code_region"] for r in departements]),
            zone=np.array([r["zone"] for r in departements]),
        ),
        naf=Naf(
            code=np.array([r["code"] for r in naf]),
            section=np.array([r["section"] for r in naf]),
            division=np.array([r["code"][:2] for r in naf]),
            label=np.array([r["libelle"] for r in naf]),
        ),
    )


def departement_shapes(seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """SVG path of each metropolitan département (the product's map seed)."""
    return {r["code_departement"]: r["svg_path"] for r in _rows("ref_departements_formes.csv", seeds_dir)}
