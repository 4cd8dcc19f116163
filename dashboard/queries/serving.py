"""Read-only access to the serving file: the only place of the dashboard that holds SQL.

One read-only connection per process, reopened when the file is swapped (new inode or mtime), so
a new list appears without restarting the app. Every query is parameterised.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.settings import load_settings


class ServingUnavailable(RuntimeError):
    """The serving file is missing or unreadable."""


@dataclass(frozen=True)
class ListInfo:
    liste_id: str
    libelle: str
    date_arret: object
    nb_evaluees: int
    nb_fort: int
    nb_modere: int


_lock = threading.Lock()
_state: dict[str, object] = {}


def serving_path() -> Path:
    return load_settings().serving_path


def _connection() -> duckdb.DuckDBPyConnection:
    path = serving_path()
    try:
        stat = os.stat(path)
    except FileNotFoundError as exc:
        raise ServingUnavailable(str(path)) from exc
    identity = (str(path), stat.st_ino, stat.st_mtime_ns)
    with _lock:
        if _state.get("identity") != identity:
            old = _state.get("connection")
            if old is not None:
                old.close()  # type: ignore[attr-defined]
            try:
                _state["connection"] = duckdb.connect(str(path), read_only=True)
            except duckdb.Error as exc:
                raise ServingUnavailable(str(exc)) from exc
            _state["identity"] = identity
        return _state["connection"].cursor()  # type: ignore[union-attr]


def _frame(sql: str, params: list[object] | None = None) -> pd.DataFrame:
    cursor = _connection()
    try:
        return cursor.execute(sql, params or []).df()
    finally:
        cursor.close()


def published_lists() -> list[ListInfo]:
    frame = _frame(
        "select liste_id, liste_libelle, date_arret_donnees, nb_evaluees, nb_fort, nb_modere "
        "from meta.listes where est_publiee order by liste_id desc"
    )
    return [ListInfo(*row) for row in frame.itertuples(index=False, name=None)]


def regions() -> pd.DataFrame:
    return _frame("select code_region, libelle from reference.regions order by libelle")


def alerts_of_region(liste_id: str, code_region: str) -> pd.DataFrame:
    """Companies in alert (fort, modere) of a list whose head office is in the region."""
    return _frame(
        """select niveau_alerte, raison_sociale, siren, code_departement, naf_section, libelle_naf,
                  effectif, risque_pct, raison_1
           from publication.liste_entreprises
           where liste_id = ? and code_region = ? and niveau_alerte in ('fort', 'modere')
           order by probabilite desc, siren""",
        [liste_id, code_region],
    )
