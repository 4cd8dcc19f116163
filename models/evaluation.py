"""Evaluation metrics of model.md §5.3 (ranking, the two alert levels, calibration, volumes)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from models.thresholds import f_beta


def level_metrics(y: np.ndarray, p: np.ndarray, threshold: float, beta: float) -> dict[str, float]:
    alerted = p >= threshold
    tp = float((alerted & (y == 1)).sum())
    fp = float((alerted & (y == 0)).sum())
    fn = float((~alerted & (y == 1)).sum())
    tn = float((~alerted & (y == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    return {
        "seuil": float(threshold),
        "precision": precision,
        "rappel": recall,
        f"f{beta:g}": float(f_beta(np.array([precision]), np.array([recall]), beta)[0]),
        "exactitude_equilibree": (recall + specificity) / 2,
        "nb_alertes": int(alerted.sum()),
        "part_alertes": float(alerted.mean()) if len(p) else 0.0,
    }


def evaluate(y: np.ndarray, p: np.ndarray, t_fort: float, t_modere: float) -> dict[str, Any]:
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    prevalence = float(y.mean()) if len(y) else 0.0
    both = len(np.unique(y)) == 2
    brier = float(brier_score_loss(y, p)) if len(y) else float("nan")
    brier_ref = prevalence * (1 - prevalence)
    ap = float(average_precision_score(y, p)) if both else float("nan")
    return {
        "nb_lignes": len(y),
        "nb_positifs": int(y.sum()),
        "prevalence": prevalence,
        "auc_roc": float(roc_auc_score(y, p)) if both else float("nan"),
        "average_precision": ap,
        "lift_average_precision": ap / prevalence if prevalence else float("nan"),
        "brier": brier,
        "brier_skill": 1 - brier / brier_ref if brier_ref else float("nan"),
        "risque_fort": level_metrics(y, p, t_fort, 0.5),
        "risque_modere": level_metrics(y, p, t_modere, 2.0),
    }
