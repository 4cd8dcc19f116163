"""One release (model.md §5.1): selection model with early stopping and thresholds on V, then the
release model refitted on every label-complete month with the selection model's iteration count."""

from __future__ import annotations

import datetime as dt
import platform
from dataclasses import dataclass
from typing import Any

import catboost
import numpy as np
import pandas as pd

from models.dictionary import THEME_LABELS, FeatureDictionary
from models.evaluation import evaluate
from models.splits import Windows, windows_for
from models.thresholds import Threshold, choose_thresholds
from models.training import TrainedModel, fit, predict

LABELLED = ("positif", "negatif")


class ReleaseError(RuntimeError):
    pass


@dataclass
class Release:
    windows: Windows
    selection: TrainedModel
    model: TrainedModel
    fort: Threshold
    modere: Threshold
    validation_metrics: dict[str, Any]
    window_counts: dict[str, dict[str, Any]]


def labelled_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """In-scope rows with a known label (never post_ouverture, never beyond L)."""
    mask = panel["dans_perimetre"].astype(bool) & panel["statut_cible"].isin(LABELLED)
    return panel[mask]


def _counts(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "lignes": len(frame),
        "entreprises": int(frame["siren"].nunique()),
        "positifs": int((frame["cible"] == 1).sum()),
        "prevalence": float((frame["cible"] == 1).mean()) if len(frame) else 0.0,
        "premier_mois": str(frame["periode"].min()) if len(frame) else None,
        "dernier_mois": str(frame["periode"].max()) if len(frame) else None,
    }


def train_release(
    panel: pd.DataFrame,
    dictionary: FeatureDictionary,
    decision_month: dt.date,
    panel_start: dt.date,
    *,
    margin_months: int = 1,
    params: dict[str, Any] | None = None,
) -> Release:
    windows = windows_for(decision_month, panel_start, margin_months)
    rows = labelled_rows(panel)
    months = pd.to_datetime(rows["periode"]).dt.date
    if (months > windows.label_limit).any():
        raise ReleaseError("a labelled row lies beyond the observation limit L")
    train_sel = rows[(months >= panel_start) & (months <= windows.selection_train_end)]
    valid = rows[(months >= windows.validation_start) & (months <= windows.validation_end)]
    train_rel = rows[(months >= panel_start) & (months <= windows.release_train_end)]
    for name, frame in (("selection training", train_sel), ("validation", valid)):
        if frame.empty or (frame["cible"] == 1).sum() == 0:
            raise ReleaseError(f"the {name} window holds no positive row: the history is too short")
    selection = fit(train_sel, dictionary, validation=valid, params=params)
    p_valid = predict(selection, valid, dictionary)
    y_valid = valid["cible"].astype(int).to_numpy()
    fort, modere = choose_thresholds(y_valid, p_valid)
    model = fit(train_rel, dictionary, iterations=selection.best_iteration + 1, params=params)
    return Release(
        windows=windows,
        selection=selection,
        model=model,
        fort=fort,
        modere=modere,
        validation_metrics=evaluate(y_valid, p_valid, fort.value, modere.value),
        window_counts={
            "entrainement_selection": _counts(train_sel),
            "validation": _counts(valid),
            "entrainement_release": _counts(train_rel),
        },
    )


def model_card(
    release: Release, dictionary: FeatureDictionary, data_versions: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "CatBoostClassifier",
        "cree_le": dt.datetime.now().replace(microsecond=0).isoformat(),
        "bibliotheques": {
            "catboost": catboost.__version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
        },
        "dictionnaire_sha256": dictionary.digest,
        "entrees": dictionary.features,
        "entrees_categorielles": dictionary.categorical,
        "themes": THEME_LABELS,
        "versions_donnees": data_versions,
        "fenetres": release.windows.as_dict(),
        "effectifs_fenetres": release.window_counts,
        "parametres": {k: v for k, v in release.model.params.items() if k != "verbose"},
        "meilleure_iteration": release.selection.best_iteration,
        "seuils": {
            "fort": release.fort.__dict__,
            "modere": release.modere.__dict__,
        },
        "metriques_validation": release.validation_metrics,
        "usage": "Pour prioriser les contacts, pas une décision sur une entreprise.",
    }


def model_card_markdown(card: dict[str, Any]) -> str:
    v = card["metriques_validation"]
    fort, modere = card["seuils"]["fort"], card["seuils"]["modere"]
    w = card["fenetres"]
    return "\n".join(
        [
            "# Model card — Signaux Faibles, version {version}",
            "",
            "Use: to prioritise contacts with companies, not a decision about a company.",
            "",
            f"- Decision month D: {w['decision_month']}; label limit L: {w['label_limit']}",
            f"- Validation window V: {w['validation_start']} .. {w['validation_end']}",
            f"- Selection model trained on months <= {w['selection_train_end']};"
            f" release model on months <= {w['release_train_end']}",
            f"- Best iteration: {card['meilleure_iteration']}",
            "",
            "| Metric (validation, selection model) | Value |",
            "|---|---|",
            f"| AUC-ROC | {v['auc_roc']:.3f} |",
            f"| Average precision | {v['average_precision']:.3f} |",
            f"| Prevalence | {v['prevalence']:.3%} |",
            f"| Brier skill | {v['brier_skill']:.3f} |",
            f"| Risque fort: threshold / precision / recall | {fort['value']:.3f} / {fort['precision']:.3f}"
            f" / {fort['recall']:.3f} |",
            f"| Risque modéré: threshold / precision / recall | {modere['value']:.3f} /"
            f" {modere['precision']:.3f} / {modere['recall']:.3f} |",
            "",
            f"Inputs ({len(card['entrees'])}): " + ", ".join(card["entrees"]),
            "",
        ]
    )
