"""Where establishments are: communes drawn by population, addresses and WGS84 coordinates.

There are no coordinates per commune in the reference seeds. Points are drawn inside the
département's outline (the product's SVG map seed), projected to longitude/latitude with a fit
made once against the IGN Admin Express centroids (errors below 0.02 degree); overseas
départements use a jitter around a fixed centroid; overseas collectivities stay ungeocoded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from orchestration.synthetic.reference import Reference, departement_shapes

# SVG map units -> degrees: lon = a*x + b; lat = c*y^2 + d*y + e (least squares on 96 centroids).
_LON = (0.02408405951293446, -5.183464067019566)
_LAT = (-2.548008403598138e-06, -0.015163097919665608, 51.09256918376886)
# Overseas départements (DROM): approximate centroids of the inhabited areas.
_DROM_CENTRES = {
    "971": (-61.55, 16.20),
    "972": (-61.02, 14.65),
    "973": (-52.60, 4.85),
    "974": (55.50, -21.13),
    "976": (45.15, -12.82),
}
_POOL = 1024  # inside points drawn per département

# Street types (raw-sources §11.3) with rough frequencies; recent files also hold full words.
STREET_TYPES = np.array(
    ["RUE", "AV", "BD", "PL", "CHE", "RTE", "ALL", "IMP", "QUAI", "ZA", "LD", "CRS", "AVENUE", "CHEMIN"]
)
STREET_TYPE_WEIGHTS = np.array([46, 16, 6, 4, 6, 7, 3, 3, 1, 3, 2, 1, 1, 1], dtype=float)
STREET_NAMES = np.array(
    [
        "DE LA REPUBLIQUE",
        "JEAN JAURES",
        "DU GENERAL DE GAULLE",
        "VICTOR HUGO",
        "PASTEUR",
        "DE LA GARE",
        "DES ECOLES",
        "DU MOULIN",
        "DE L'EGLISE",
        "GAMBETTA",
        "DE PARIS",
        "DU 8 MAI 1945",
        "JULES FERRY",
        "DES LILAS",
        "DU STADE",
        "DE LA LIBERATION",
        "NATIONALE",
        "DU COMMERCE",
        "DES ARTISANS",
        "DE L'INDUSTRIE",
        "DU PORT",
        "DES TILLEULS",
        "FOCH",
        "CLEMENCEAU",
        "DU MARECHAL LECLERC",
        "DES PRES",
        "DE LA MAIRIE",
        "DU CHATEAU",
        "SAINT-MARTIN",
        "DES VIGNES",
        "DE LA FONTAINE",
        "ARISTIDE BRIAND",
        "EMILE ZOLA",
        "DES FRERES LUMIERE",
        "DE BRETAGNE",
        "DES ACACIAS",
        "DU CHAMP DE FOIRE",
        "LOUIS PASTEUR",
        "PIERRE ET MARIE CURIE",
        "DE LA PAIX",
        "DES PLATANES",
    ]
)
COMPLEMENTS = np.array(
    [
        "ZONE ARTISANALE",
        "ZI DES BRUYERES",
        "BATIMENT B",
        "PARC D'ACTIVITES",
        "CENTRE COMMERCIAL",
        "ZAC DU CHENE",
        "RESIDENCE LES PINS",
    ]
)


def ascii_upper(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return plain.upper()


def sirene_commune_label(label: str) -> str:
    """INSEE writes commune names in capitals without accents; arrondissements as PARIS 8."""
    match = re.fullmatch(r"(Paris|Lyon|Marseille) ([0-9]+)(er|e) Arrondissement", label)
    if match:
        city, number = match.group(1).upper(), int(match.group(2))
        return f"{city} {number}" if city == "PARIS" else f"{city} {number}{'ER' if number == 1 else 'EME'}"
    return ascii_upper(label)


def _svg_polygons(path: str) -> list[np.ndarray]:
    polygons: list[np.ndarray] = []
    current: list[np.ndarray] = []
    position = np.zeros(2)
    start = np.zeros(2)
    for token in re.findall(r"[mz]|-?[0-9.]+(?:e-?[0-9]+)?,-?[0-9.]+(?:e-?[0-9]+)?", path):
        if token == "m":
            continue
        if token == "z":
            if current:
                polygons.append(np.array(current))
            current, position = [], start.copy()
            continue
        position = position + np.array([float(v) for v in token.split(",")])
        if not current:
            start = position.copy()
        current.append(position.copy())
    if current:
        polygons.append(np.array(current))
    return polygons


def _inside(points: np.ndarray, polygons: list[np.ndarray]) -> np.ndarray:
    """Even-odd rule over every ring of the département."""
    inside = np.zeros(len(points), dtype=bool)
    px, py = points[:, 0:1], points[:, 1:2]
    for ring in polygons:
        x0, y0 = ring[:, 0], ring[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        crosses = (y0 > py) != (y1 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= (crosses & (px < x_cross)).sum(axis=1) % 2 == 1
    return inside


def _to_degrees(points: np.ndarray) -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    return np.column_stack([_LON[0] * x + _LON[1], _LAT[0] * y * y + _LAT[1] * y + _LAT[2]])


def commune_probabilities(ref: Reference) -> np.ndarray:
    """Probability that a head office or an establishment is in each commune (sums to 1)."""
    population = ref.communes.population
    zone = dict(zip(ref.departements.code.tolist(), ref.departements.zone.tolist(), strict=True))
    overseas = np.array([zone.get(d) == "com" for d in ref.communes.departement])
    has_postcode = np.array([bool(p) for p in ref.communes.postcodes])
    # Activity concentrates in cities a little more than population does.
    weights = np.where(has_postcode, population, 0.0) ** 1.15 * np.where(overseas, 0.5, 1.0)
    return weights / weights.sum()


@dataclass(frozen=True)
class Geography:
    ref: Reference
    commune_weights: np.ndarray  # sampling probability of each commune
    pools: dict[str, np.ndarray]  # département -> (POOL, 2) lon/lat points inside it

    @classmethod
    def build(cls, ref: Reference, rng: np.random.Generator) -> Geography:
        weights = commune_probabilities(ref)
        pools: dict[str, np.ndarray] = {}
        for code, path in sorted(departement_shapes().items()):
            polygons = _svg_polygons(path)
            points = np.concatenate(polygons)
            lo, hi = points.min(axis=0), points.max(axis=0)
            found: list[np.ndarray] = []
            count = 0
            while count < _POOL:
                candidates = lo + rng.random((4 * _POOL, 2)) * (hi - lo)
                keep = candidates[_inside(candidates, polygons)]
                found.append(keep)
                count += len(keep)
            pools[code] = _to_degrees(np.concatenate(found)[:_POOL])
        for code, (lon, lat) in _DROM_CENTRES.items():
            pools[code] = np.column_stack(
                [lon + rng.normal(0, 0.08, _POOL), lat + rng.normal(0, 0.06, _POOL)]
            )
        return cls(ref, weights, pools)

    def draw_communes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self.commune_weights), n, p=self.commune_weights)

    def draw_communes_in(self, rng: np.random.Generator, departements: np.ndarray) -> np.ndarray:
        """A commune of the given département for each entry, by the same weights."""
        result = np.empty(len(departements), dtype=np.int64)
        commune_dep = self.ref.communes.departement
        for code in np.unique(departements):
            rows = np.nonzero(departements == code)[0]
            candidates = np.nonzero(commune_dep == code)[0]
            weights = self.commune_weights[candidates]
            if weights.sum() <= 0:
                result[rows] = self.draw_communes(rng, len(rows))
                continue
            result[rows] = rng.choice(candidates, len(rows), p=weights / weights.sum())
        return result

    def coordinates(self, rng: np.random.Generator, departements: np.ndarray) -> np.ndarray:
        """(n, 2) lon/lat inside each département, NaN where there is no shape (collectivities)."""
        result = np.full((len(departements), 2), np.nan)
        for code in np.unique(departements):
            pool = self.pools.get(str(code))
            if pool is None:
                continue
            rows = np.nonzero(departements == code)[0]
            picked = pool[rng.integers(0, len(pool), len(rows))]
            result[rows] = picked + rng.normal(0, 0.004, picked.shape)
        return result
