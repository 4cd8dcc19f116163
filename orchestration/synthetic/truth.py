"""The ground truth, written next to (never inside) the landing folder: the oracle, the companies
and establishments with their true attributes, and the manifest of the delivery."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.synthetic.dynamics import Economy
from orchestration.synthetic.sectors import SECTION_LETTERS, with_dot
from orchestration.synthetic.timeline import HORIZON

ORACLE_SCHEMA = pa.schema(
    [
        ("siren", pa.string()),
        ("periode", pa.date32()),
        ("probabilite_ouverture_18m", pa.float64()),
        ("ouverture_realisee_18m", pa.bool_()),
    ]
)


def _months_of(economy: Economy, days: np.ndarray) -> np.ndarray:
    """Simulated month of each day; a large number when NaT (never)."""
    never = np.isnat(days)
    months = economy.timeline.t_of_days(np.where(never, economy.timeline.first_days[0], days))
    return np.where(never, 10**6, months)


def oracle_rows(economy: Economy, t: int) -> np.ndarray:
    """Companies at risk of a first opening at the end of month t (alive, never opened)."""
    first = _months_of(economy, economy.first_opening_day())
    end = _months_of(economy, economy.end_day)
    return np.nonzero((economy.state[:, t] >= 0) & (end > t) & (first > t))[0]


def write_oracle(path: Path, economy: Economy, window: np.ndarray) -> dict[str, int]:
    tl = economy.timeline
    first = _months_of(economy, economy.first_opening_day())
    rows_total = positives = 0
    with pq.ParquetWriter(path, ORACLE_SCHEMA, compression="zstd") as writer:
        for t in range(tl.t_start, tl.t_end + 1):
            rows = oracle_rows(economy, t)
            rows = rows[np.argsort(economy.pop.companies.siren[rows], kind="stable")]
            probability = window[economy.group[rows], t, economy.state[rows, t]]
            realised = (first[rows] > t) & (first[rows] <= t + HORIZON)
            table = pa.table(
                {
                    "siren": pa.array(economy.pop.companies.siren[rows], type=pa.string()),
                    "periode": pa.array(np.full(len(rows), tl.first_days[t]), type=pa.date32()),
                    "probabilite_ouverture_18m": pa.array(probability.astype(np.float64)),
                    "ouverture_realisee_18m": pa.array(realised),
                },
                schema=ORACLE_SCHEMA,
            )
            writer.write_table(table)
            rows_total += len(rows)
            positives += int(realised.sum())
    return {"rows": rows_total, "positive_rows": positives}


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype("datetime64[D]"), type=pa.date32())


def write_companies(path: Path, economy: Economy) -> None:
    c = economy.pop.companies
    e = economy.pop.establishments
    tl = economy.timeline
    order = np.argsort(c.siren, kind="stable")
    ten = economy.headcount >= 10
    first_ten = np.where(ten.any(axis=1), ten.argmax(axis=1), -1)
    first_ten_day = np.where(first_ten >= 0, tl.first_days[np.maximum(first_ten, 0)], np.datetime64("NaT"))
    alive_months = economy.state >= 0
    first_alive = np.where(alive_months.any(axis=1), alive_months.argmax(axis=1), 0)
    person = np.char.add(np.char.add(c.person["prenom1"], " "), c.person["nom"])
    visible = ~e.pseudo & ~np.isnat(economy.est_open_day)
    first_opening = economy.first_opening_day()
    action = np.where(np.isnat(c.past_opening_day), economy.opening_action, c.past_action)
    table = pa.table(
        {
            "siren": c.siren,
            "raison_sociale": np.where(c.denomination != "", c.denomination, person),
            "categorie_juridique": c.legal,
            "categorie_exclue": c.excluded,
            "activite_principale": with_dot(c.subclass),
            "section_naf": SECTION_LETTERS[c.section],
            "departement_siege": c.departement,
            "region_siege": economy.pop.regions[c.region],
            "zone_siege": c.zone,
            "date_creation": _dates(c.creation_day),
            "creee_pendant_simulation": c.birth_t >= 0,
            "date_cessation": _dates(economy.end_day),
            "date_premiere_ouverture": _dates(first_opening),
            "action_premiere_ouverture": pa.array(
                np.where(np.isnat(first_opening), None, action).tolist(), type=pa.string()
            ),
            "ouverture_avant_simulation": ~np.isnat(c.past_opening_day),
            "classe_fragilite": c.fclass.astype(np.int8),
            "effectif_initial": economy.headcount[np.arange(len(c)), first_alive],
            "mois_premier_effectif_10": _dates(first_ten_day),
            "nb_etablissements": np.bincount(e.company[visible], minlength=len(c)),
        }
    ).take(pa.array(order))
    pq.write_table(table, path, compression="zstd")


def write_establishments(path: Path, economy: Economy) -> None:
    e = economy.pop.establishments
    order = np.argsort(e.siret, kind="stable")
    table = pa.table(
        {
            "siret": e.siret,
            "siren": economy.pop.companies.siren[e.company],
            "est_siege": e.head,
            "est_pseudo_siret": e.pseudo,
            "code_commune": e.commune_code,
            "departement": e.departement,
            "date_creation": _dates(economy.est_open_day),
            "date_fermeture": _dates(economy.est_close_day),
        }
    ).take(pa.array(order))
    pq.write_table(table, path, compression="zstd")


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
