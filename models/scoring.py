"""Score one data month and build the rows of its detection list (model.md §8-§9).

The per-variable detail of every company (`contrib_detail`: theme, variable, contribution, value,
reference date, confidential flag of each base variable) is kept in long format, one number per
(company, variable), and turned into JSON by DuckDB: at national scale (420,000 companies x ~40
base variables) building those JSON texts as Python strings would take several GiB.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from models.dictionary import THEMES, FeatureDictionary
from models.explain import explain, reasons_for_row
from models.french import list_label
from models.thresholds import alert_level
from models.training import TrainedModel


def _json_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    return value


INSERT_CHUNK_ROWS = 25_000  # companies per insert: bounds DuckDB's memory while it builds the JSON


@dataclass
class ScoredList:
    """The rows of one list, and their per-variable detail in long format (company-major)."""

    rows: pd.DataFrame  # one row per company: every list column but contrib_detail, plus `ligne`
    detail: pd.DataFrame  # ligne, ordre, contribution, valeur_nombre, valeur_texte; n x variables rows
    variables: pd.DataFrame  # ordre, theme, variable, confidentiel
    month: dt.date

    def register(
        self, con: duckdb.DuckDBPyConnection, prefix: str = "liste", start: int = 0, stop: int | None = None
    ) -> str:
        """Register the companies [start, stop) on `con`; return the SELECT of their complete rows."""
        stop = len(self.rows) if stop is None else stop
        width = len(self.variables)
        con.register(f"{prefix}_rows", self.rows.iloc[start:stop])
        con.register(f"{prefix}_detail", self.detail.iloc[start * width : stop * width])
        con.register(f"{prefix}_variables", self.variables)
        return f"""
            select r.* exclude (ligne), d.contrib_detail
            from {prefix}_rows r
            left join (
                select x.ligne,
                       to_json(list(json_object(
                           'theme', v.theme, 'variable', v.variable, 'contribution', x.contribution,
                           'valeur', case when x.valeur_nombre is not null then to_json(x.valeur_nombre)
                                          when x.valeur_texte is not null then to_json(x.valeur_texte) end,
                           'date_reference', '{self.month.isoformat()}', 'confidentiel', v.confidentiel
                       ) order by x.ordre)) as contrib_detail
                from {prefix}_detail x join {prefix}_variables v using (ordre)
                group by x.ligne
            ) d using (ligne)
            order by r.ligne"""

    def insert_into(self, con: duckdb.DuckDBPyConnection, table: str, chunk: int = INSERT_CHUNK_ROWS) -> None:
        """Append the complete rows to `table` (by column name), a chunk of companies at a time."""
        for start in range(0, len(self.rows), chunk):
            con.execute(f"insert into {table} by name {self.register(con, 'liste', start, start + chunk)}")
        for name in ("rows", "detail", "variables"):
            con.unregister(f"liste_{name}")

    def to_frame(self) -> pd.DataFrame:
        """The complete list rows as a DataFrame (contrib_detail as JSON text): small lists only."""
        con = duckdb.connect()
        try:
            frame = con.execute(self.register(con)).df()
        finally:
            con.close()
        frame["contrib_detail"] = frame["contrib_detail"].astype(str)
        return frame


def _detail(
    rows: pd.DataFrame, dictionary: FeatureDictionary, contributions: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    bases = dictionary.base_variables
    n, width = len(rows), len(bases)
    numbers = np.full((n, width), np.nan)
    texts = np.full((n, width), None, dtype=object)
    for j, base in enumerate(bases):
        spec = dictionary.primary_spec(base)
        column = rows[spec.feature]
        if spec.is_categorical:
            texts[:, j] = column.astype("object").where(column.notna(), None).to_numpy()
        else:
            numbers[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    detail = pd.DataFrame(
        {
            "ligne": np.repeat(np.arange(n, dtype=np.int32), width),
            "ordre": np.tile(np.arange(width, dtype=np.int16), n),
            "contribution": contributions.reshape(-1),
            "valeur_nombre": numbers.reshape(-1),
            "valeur_texte": pd.Categorical(texts.reshape(-1)),
        }
    )
    variables = pd.DataFrame(
        {
            "ordre": np.arange(len(bases), dtype=np.int16),
            "theme": [dictionary.theme_of_base(b) for b in bases],
            "variable": bases,
            "confidentiel": [dictionary.primary_spec(b).confidentiel for b in bases],
        }
    )
    return detail, variables


def score_list(
    model: TrainedModel,
    rows: pd.DataFrame,
    dictionary: FeatureDictionary,
    *,
    t_fort: float,
    t_modere: float,
    month: dt.date,
    model_version: str,
    features_version: str,
    data_versions: dict[str, object],
    revision: int = 0,
) -> ScoredList:
    """Every scored company with probability, level, theme contributions and reasons."""
    rows = rows.reset_index(drop=True)
    explanations = explain(model, rows, dictionary)
    probability = explanations.probability
    levels = alert_level(probability, t_fort, t_modere)
    themes = explanations.theme_contributions().to_numpy()
    bases = explanations.base_contributions()
    texts: list[list[str | None]] = [[None, None, None] for _ in range(len(rows))]
    reasons_json = ["[]"] * len(rows)
    for i in np.flatnonzero(levels != "aucune"):
        reasons = reasons_for_row(
            bases.iloc[i], explanations.by_base.iloc[i], rows.iloc[i], month, dictionary
        )
        texts[i] = [r.text for r in reasons] + [None] * (3 - len(reasons))
        reasons_json[i] = json.dumps(
            [
                {
                    "rang": r.rank,
                    "theme": r.theme,
                    "variable": r.variable,
                    "valeur": _json_value(r.value),
                    "date_reference": r.reference_month.isoformat(),
                    "confidentiel": r.confidentiel,
                }
                for r in reasons
            ],
            ensure_ascii=False,
        )
    n = len(rows)
    frame = pd.DataFrame(
        {
            "ligne": np.arange(n, dtype=np.int32),
            "liste_id": [month.strftime("%Y-%m")] * n,
            "liste_libelle": [list_label(month)] * n,
            "revision": np.full(n, revision, dtype=np.int64),
            "periode_donnees": [month] * n,
            "siren": rows["siren"].to_numpy(),
            "probabilite": probability.astype(float),
            "niveau_alerte": levels.astype(str),
            "seuil_fort": np.full(n, t_fort, dtype=float),
            "seuil_modere": np.full(n, t_modere, dtype=float),
            "contrib_base": explanations.base_probability.astype(float),
            **{f"contrib_{t}": themes[:, k].astype(float) for k, t in enumerate(THEMES)},
            **{f"raison_{k + 1}": pd.array([t[k] for t in texts], dtype="string") for k in range(3)},
            "raisons_detail": reasons_json,
            "version_modele": [model_version] * n,
            "version_features": [features_version] * n,
            "versions_donnees": [json.dumps(data_versions, ensure_ascii=False, default=str)] * n,
            "date_generation": [dt.datetime.now().replace(microsecond=0)] * n,
        }
    )
    detail, variables = _detail(rows, dictionary, bases.to_numpy())
    return ScoredList(frame, detail, variables, month)
