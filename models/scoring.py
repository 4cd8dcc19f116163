"""Score one data month and build the rows of its detection list (model.md §8-§9).

The per-variable detail of every company (`contrib_detail`: theme, variable, contribution, value,
reference date, confidential flag of each base variable) is kept in long format, one number per
(company, variable), and turned into JSON text a chunk of companies at a time, with Arrow string
kernels: at national scale (420,000 companies x ~40 base variables) the texts weigh ~2.6 GB, too
much to build at once or as Python strings.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


def _json_strings(values: np.ndarray | pa.Array) -> pa.Array:
    """Strings as JSON string literals (quotes and backslashes escaped; null stays null)."""
    text = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    escaped = pc.replace_substring(pc.replace_substring(text, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise('"', escaped, '"', "")


def _reason_values(column: pd.Series, dictionary: FeatureDictionary, feature: str) -> np.ndarray:
    """A feature's values as reasons read them: floats with NaN, or strings with None."""
    if feature in dictionary.categorical:
        return column.astype("object").where(column.notna(), None).to_numpy()
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


INSERT_CHUNK_ROWS = 25_000  # companies per insert: bounds the JSON text held at once (~150 MB)


@dataclass
class ScoredList:
    """The rows of one list, and their per-variable detail in long format (company-major)."""

    rows: pd.DataFrame  # one row per company: every list column but contrib_detail, plus `ligne`
    detail: pd.DataFrame  # ligne, ordre, contribution, valeur_nombre, valeur_texte; n x variables rows
    variables: pd.DataFrame  # ordre, theme, variable, confidentiel
    month: dt.date

    def contrib_detail(self, start: int = 0, stop: int | None = None) -> pa.Array:
        """The `contrib_detail` JSON text of companies [start, stop), built with vectorised string
        kernels: one JSON object per (company, variable), then each company's run of `width`
        consecutive objects joined into an array (rows are company-major, variables in `ordre`).
        The parts that depend on the variable only (theme, name, date, confidentiel flag) are
        written once per variable and taken by index, not escaped again for every company."""
        stop = len(self.rows) if stop is None else stop
        width = len(self.variables)
        detail = self.detail.iloc[start * width : stop * width]
        variables = self.variables.sort_values("ordre")
        prefix = pc.binary_join_element_wise(
            '{"theme":',
            _json_strings(variables["theme"].to_numpy()),
            ',"variable":',
            _json_strings(variables["variable"].to_numpy()),
            ',"contribution":',
            "",
        )
        suffix = pc.binary_join_element_wise(
            f',"date_reference":"{self.month.isoformat()}","confidentiel":',
            pc.if_else(pa.array(variables["confidentiel"].to_numpy(dtype=bool)), "true", "false"),
            "}",
            "",
        )
        position = pa.array(
            np.searchsorted(variables["ordre"].to_numpy(), detail["ordre"].to_numpy()).astype(np.int32)
        )
        numbers = pa.array(detail["valeur_nombre"].to_numpy(dtype=float), from_pandas=True)  # NaN -> null
        texts = pa.array(
            detail["valeur_texte"].astype("object").to_numpy(), type=pa.string(), from_pandas=True
        )
        value = pc.coalesce(pc.cast(numbers, pa.string()), _json_strings(texts), "null")
        contribution = pc.cast(pa.array(detail["contribution"].to_numpy(dtype=float)), pa.string())
        objects = pc.binary_join_element_wise(
            prefix.take(position), contribution, ',"valeur":', value, suffix.take(position), ""
        )
        offsets = pa.array(np.arange(0, len(detail) + 1, width, dtype=np.int32))
        joined = pc.binary_join(pa.ListArray.from_arrays(offsets, objects), ",")
        return pc.binary_join_element_wise("[", joined, "]", "")

    def register(
        self, con: duckdb.DuckDBPyConnection, prefix: str = "liste", start: int = 0, stop: int | None = None
    ) -> str:
        """Register the companies [start, stop) on `con`; return the SELECT of their complete rows."""
        stop = len(self.rows) if stop is None else stop
        rows = pa.Table.from_pandas(self.rows.iloc[start:stop], preserve_index=False)
        con.register(f"{prefix}_rows", rows.append_column("contrib_detail", self.contrib_detail(start, stop)))
        return f"select * exclude (ligne) replace (contrib_detail::json as contrib_detail) from {prefix}_rows order by ligne"

    def insert_into(self, con: duckdb.DuckDBPyConnection, table: str, chunk: int = INSERT_CHUNK_ROWS) -> None:
        """Append the complete rows to `table` (by column name), a chunk of companies at a time, in
        one transaction: a list is stored whole or not at all, and DuckDB writes the rows straight
        to the database blocks at commit instead of logging each chunk and checkpointing it again
        (twice as slow at national scale)."""
        con.execute("begin transaction")
        try:
            for start in range(0, len(self.rows), chunk):
                con.execute(
                    f"insert into {table} by name {self.register(con, 'liste', start, start + chunk)}"
                )
            con.unregister("liste_rows")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise

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
    alerted = np.flatnonzero(levels != "aucune")
    # Plain arrays and dicts per alerted row: pandas row access (.iloc) costs far more per call, and
    # a national list alerts tens of thousands of companies.
    names = list(bases.columns)
    contributions = bases.to_numpy()[alerted]
    log_odds = explanations.by_base.to_numpy()[alerted]
    shown = {dictionary.primary_spec(name).feature for name in names}
    values = {feature: _reason_values(rows[feature], dictionary, feature) for feature in shown}
    for j, i in enumerate(alerted):
        reasons = reasons_for_row(
            dict(zip(names, contributions[j], strict=True)),
            dict(zip(names, log_odds[j], strict=True)),
            {feature: column[i] for feature, column in values.items()},
            month,
            dictionary,
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
