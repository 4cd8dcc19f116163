"""Alert thresholds chosen on the validation window (model.md §6).

Candidates are every distinct predicted probability (the exact precision-recall curve); a row is
alerted at t when p >= t. t_fort maximises F0.5, t_modere maximises F2; ties go to the higher t;
only thresholds alerting at least 0.1 % of the rows are eligible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_ALERT_SHARE = 0.001


class ThresholdError(ValueError):
    pass


@dataclass(frozen=True)
class Threshold:
    value: float
    beta: float
    f_beta: float
    precision: float
    recall: float
    alert_share: float


def f_beta(precision: np.ndarray, recall: np.ndarray, beta: float) -> np.ndarray:
    b2 = beta * beta
    denominator = b2 * precision + recall
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, (1 + b2) * precision * recall / denominator, 0.0)


def precision_recall_at_thresholds(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, ...]:
    """For every distinct score t (descending): precision, recall and alert share of p >= t."""
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order].astype(float)
    true_pos = np.cumsum(y_sorted)
    alerted = np.arange(1, len(p) + 1, dtype=float)
    last_of_value = np.r_[p_sorted[1:] != p_sorted[:-1], True]  # p >= t includes every tie
    thresholds = p_sorted[last_of_value]
    tp, n = true_pos[last_of_value], alerted[last_of_value]
    positives = y_sorted.sum()
    precision = tp / n
    recall = tp / positives if positives > 0 else np.zeros_like(tp)
    return thresholds, precision, recall, n / len(p)


def best_threshold(y: np.ndarray, p: np.ndarray, beta: float) -> Threshold:
    if len(y) == 0 or y.sum() == 0:
        raise ThresholdError("thresholds need validation rows with at least one positive")
    thresholds, precision, recall, share = precision_recall_at_thresholds(y, p)
    scores = f_beta(precision, recall, beta)
    eligible = share >= MIN_ALERT_SHARE
    if not eligible.any():
        raise ThresholdError("no threshold alerts at least 0.1 % of the validation rows")
    scores = np.where(eligible, scores, -1.0)
    best = scores.max()
    # thresholds are in decreasing order: the first maximum is the highest threshold (ties -> higher t)
    index = int(np.flatnonzero(scores == best)[0])
    return Threshold(
        float(thresholds[index]),
        beta,
        float(best),
        float(precision[index]),
        float(recall[index]),
        float(share[index]),
    )


def choose_thresholds(y: np.ndarray, p: np.ndarray) -> tuple[Threshold, Threshold]:
    fort = best_threshold(y, p, 0.5)
    modere = best_threshold(y, p, 2.0)
    if not modere.value < fort.value:
        raise ThresholdError(
            f"t_modere ({modere.value:.4f}) must be below t_fort ({fort.value:.4f}): release refused"
        )
    return fort, modere


def alert_level(p: np.ndarray, t_fort: float, t_modere: float) -> np.ndarray:
    return np.where(p >= t_fort, "fort", np.where(p >= t_modere, "modere", "aucune"))
