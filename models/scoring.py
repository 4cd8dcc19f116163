"""Score one data month and build the rows of its detection list (model.md §8-§9)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from models.dictionary import THEMES, FeatureDictionary
from models.explain import explain, reasons_for_row
from models.french import list_label
from models.thresholds import alert_level
from models.training import TrainedModel


def _json_value(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


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
) -> pd.DataFrame:
    """One row per scored company with probability, level, theme contributions and reasons."""
    rows = rows.reset_index(drop=True)
    explanations = explain(model, rows, dictionary)
    probability = explanations.probability
    levels = alert_level(probability, t_fort, t_modere)
    themes = explanations.theme_contributions()
    bases = explanations.base_contributions()
    generated = dt.datetime.now().replace(microsecond=0)
    records = []
    for i in range(len(rows)):
        detail = [
            {
                "theme": dictionary.theme_of_base(b),
                "variable": b,
                "contribution": float(bases.iat[i, j]),
                "valeur": _json_value(rows.at[i, dictionary.primary_spec(b).feature]),
                "date_reference": month.isoformat(),
                "confidentiel": dictionary.primary_spec(b).confidentiel,
            }
            for j, b in enumerate(bases.columns)
        ]
        reasons = []
        if levels[i] != "aucune":
            reasons = reasons_for_row(
                bases.iloc[i], explanations.by_base.iloc[i], rows.iloc[i], month, dictionary
            )
        texts = [r.text for r in reasons] + [None] * (3 - len(reasons))
        records.append(
            {
                "liste_id": month.strftime("%Y-%m"),
                "liste_libelle": list_label(month),
                "revision": revision,
                "periode_donnees": month,
                "siren": rows.at[i, "siren"],
                "probabilite": float(probability[i]),
                "niveau_alerte": str(levels[i]),
                "seuil_fort": t_fort,
                "seuil_modere": t_modere,
                "contrib_base": float(explanations.base_probability[i]),
                **{f"contrib_{t}": float(themes.iat[i, k]) for k, t in enumerate(THEMES)},
                "contrib_detail": json.dumps(detail, ensure_ascii=False),
                "raison_1": texts[0],
                "raison_2": texts[1],
                "raison_3": texts[2],
                "raisons_detail": json.dumps(
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
                ),
                "version_modele": model_version,
                "version_features": features_version,
                "versions_donnees": json.dumps(data_versions, ensure_ascii=False, default=str),
                "date_generation": generated,
            }
        )
    return pd.DataFrame.from_records(records)
