"""Evaluation metrics of model.md §5.3 (ranking, the two alert levels, calibration, volumes) and
the evaluation report of a test window: breakdowns, bootstrap intervals over companies, the
comparison with the synthetic oracle, and the precision-recall and calibration plots (PNG)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    roc_auc_score,
)

from models.thresholds import f_beta


def json_safe(value: Any) -> Any:
    """Strict JSON: NaN -> None (a metric undefined on the rows, e.g. AUC without a positive),
    numpy scalars -> Python."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


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


# --- the evaluation report (test window) -------------------------------------------------------

HEADCOUNT_BANDS = ((10, 19, "10-19"), (20, 49, "20-49"), (50, 249, "50-249"), (250, None, "250+"))
MIN_GROUP_ROWS = 1  # breakdowns keep every group; the row and positive counts say how much to trust it


def headcount_band(headcount: pd.Series) -> pd.Series:
    """The §5.3 headcount bands; below 10 or unknown -> `inconnu`."""
    values = pd.to_numeric(headcount, errors="coerce")
    band = pd.Series("inconnu", index=headcount.index, dtype=object)
    for low, high, label in HEADCOUNT_BANDS:
        mask = values >= low if high is None else (values >= low) & (values <= high)
        band[mask] = label
    return band


def ranking_metrics(y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None) -> dict[str, float]:
    y = np.asarray(y).astype(int)
    both = len(np.unique(y)) == 2
    return {
        "auc_roc": float(roc_auc_score(y, p, sample_weight=weight)) if both else float("nan"),
        "average_precision": float(average_precision_score(y, p, sample_weight=weight))
        if both
        else float("nan"),
    }


def calibration(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Reliability curve on quantile bins, calibration intercept and slope (logistic fit of y on logit p)."""
    y = np.asarray(y).astype(int)
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    order = np.argsort(p, kind="mergesort")
    curve = []
    for chunk in np.array_split(order, min(bins, len(p))):
        if len(chunk):
            curve.append(
                {
                    "p_moyenne": float(p[chunk].mean()),
                    "taux_observe": float(y[chunk].mean()),
                    "nb_lignes": len(chunk),
                }
            )
    result: dict[str, Any] = {"courbe": curve, "intercept": float("nan"), "pente": float("nan")}
    if len(np.unique(y)) == 2:
        logit = np.log(p / (1 - p)).reshape(-1, 1)
        fit = LogisticRegression(C=np.inf, solver="lbfgs", max_iter=1000).fit(logit, y)
        result["intercept"] = float(fit.intercept_[0])
        result["pente"] = float(fit.coef_[0, 0])
    return result


def bootstrap_intervals(
    y: np.ndarray,
    p: np.ndarray,
    sirens: pd.Series,
    t_fort: float,
    t_modere: float,
    *,
    resamples: int = 200,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """95 % intervals (and medians) from resamples of companies, not of rows (model.md §5.3)."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    codes, uniques = pd.factorize(sirens.astype(str), sort=False)
    rng = np.random.default_rng(seed)
    alerted_fort, alerted_modere = p >= t_fort, p >= t_modere
    samples: dict[str, list[float]] = {
        k: []
        for k in (
            "auc_roc",
            "average_precision",
            "brier",
            "precision_fort",
            "rappel_fort",
            "precision_modere",
            "rappel_modere",
        )
    }
    for _ in range(resamples):
        drawn = np.bincount(rng.integers(0, len(uniques), len(uniques)), minlength=len(uniques))
        weight = drawn[codes].astype(float)
        if weight[y == 1].sum() == 0 or weight[y == 0].sum() == 0:
            continue
        ranking = ranking_metrics(y, p, weight)
        samples["auc_roc"].append(ranking["auc_roc"])
        samples["average_precision"].append(ranking["average_precision"])
        samples["brier"].append(float(np.average((p - y) ** 2, weights=weight)))
        positives = weight[y == 1].sum()
        for name, alerted in (("fort", alerted_fort), ("modere", alerted_modere)):
            tp = weight[alerted & (y == 1)].sum()
            n_alerted = weight[alerted].sum()
            samples[f"precision_{name}"].append(tp / n_alerted if n_alerted else 0.0)
            samples[f"rappel_{name}"].append(tp / positives)
    return {
        name: {
            "mediane": float(np.median(values)),
            "bas_95": float(np.quantile(values, 0.025)),
            "haut_95": float(np.quantile(values, 0.975)),
            "tirages": len(values),
        }
        for name, values in samples.items()
        if values
    }


def alert_volumes(
    levels: np.ndarray, months: pd.Series, validation_shares: dict[str, float] | None = None
) -> dict[str, Any]:
    levels = np.asarray(levels)
    frame = pd.DataFrame({"mois": pd.to_datetime(months).dt.strftime("%Y-%m").to_numpy(), "niveau": levels})
    per_month = (
        frame.groupby("mois")["niveau"]
        .agg(
            nb_lignes="size",
            nb_fort=lambda s: int((s == "fort").sum()),
            nb_modere=lambda s: int((s == "modere").sum()),
        )
        .reset_index()
    )
    per_month["part_fort"] = per_month["nb_fort"] / per_month["nb_lignes"]
    per_month["part_modere"] = per_month["nb_modere"] / per_month["nb_lignes"]
    n = max(len(levels), 1)
    return {
        "nb_fort": int((levels == "fort").sum()),
        "nb_modere": int((levels == "modere").sum()),
        "part_fort": float((levels == "fort").sum() / n),
        "part_modere": float((levels == "modere").sum() / n),
        "parts_validation": validation_shares or {},
        "par_mois": per_month.to_dict(orient="records"),
    }


def breakdown(
    y: np.ndarray, p: np.ndarray, groups: pd.Series, t_fort: float, t_modere: float
) -> list[dict[str, Any]]:
    """The ranking and alert metrics of every group (region, NAF section, headcount band, ...)."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    keys = groups.fillna("inconnu").astype(str).to_numpy()
    result = []
    for key in sorted(set(keys)):
        mask = keys == key
        if mask.sum() < MIN_GROUP_ROWS:
            continue
        yk, pk = y[mask], p[mask]
        fort, modere = level_metrics(yk, pk, t_fort, 0.5), level_metrics(yk, pk, t_modere, 2.0)
        result.append(
            {
                "groupe": key,
                "nb_lignes": int(mask.sum()),
                "nb_positifs": int(yk.sum()),
                "prevalence": float(yk.mean()),
                **ranking_metrics(yk, pk),
                "precision_fort": fort["precision"],
                "rappel_fort": fort["rappel"],
                "part_fort": fort["part_alertes"],
                "precision_modere": modere["precision"],
                "rappel_modere": modere["rappel"],
                "part_modere": modere["part_alertes"],
            }
        )
    return result


def oracle_comparison(y: np.ndarray, p: np.ndarray, oracle: np.ndarray) -> dict[str, Any]:
    """The model against the best achievable score on the same test rows (synthetic data only).

    `oracle` holds the true probability of each test row (NaN where the oracle has no row); both
    are scored on the rows the oracle covers.
    """
    oracle = np.asarray(oracle, dtype=float)
    covered = ~np.isnan(oracle)
    y_c, p_c, o_c = np.asarray(y).astype(int)[covered], np.asarray(p)[covered], oracle[covered]
    model, best = ranking_metrics(y_c, p_c), ranking_metrics(y_c, o_c)
    ratio = (
        model["average_precision"] / best["average_precision"] if best["average_precision"] else float("nan")
    )
    return {
        "nb_lignes": int(covered.sum()),
        "nb_lignes_sans_oracle": int((~covered).sum()),
        "nb_positifs": int(y_c.sum()),
        "average_precision_modele": model["average_precision"],
        "average_precision_oracle": best["average_precision"],
        "ratio_average_precision": ratio,
        "auc_roc_modele": model["auc_roc"],
        "auc_roc_oracle": best["auc_roc"],
        "brier_oracle": float(np.mean((o_c - y_c) ** 2)) if len(y_c) else float("nan"),
    }


def plot_precision_recall(
    y: np.ndarray,
    p: np.ndarray,
    path: Path,
    *,
    t_fort: float,
    t_modere: float,
    oracle: np.ndarray | None = None,
    title: str = "",
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    y = np.asarray(y).astype(int)
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    precision, recall, _ = precision_recall_curve(y, p)
    ax.step(recall, precision, where="post", label=f"Modèle (AP {average_precision_score(y, p):.3f})")
    if oracle is not None:
        covered = ~np.isnan(oracle)
        if covered.any() and len(np.unique(y[covered])) == 2:
            po, ro, _ = precision_recall_curve(y[covered], oracle[covered])
            ap_o = average_precision_score(y[covered], oracle[covered])
            ax.step(ro, po, where="post", linestyle="--", label=f"Oracle (AP {ap_o:.3f})")
    for threshold, name, marker in ((t_fort, "Risque fort", "o"), (t_modere, "Risque modéré", "s")):
        m = level_metrics(y, np.asarray(p), threshold, 1.0)
        ax.plot(m["rappel"], m["precision"], marker, label=f"{name} (seuil {threshold:.3f})")
    ax.axhline(y.mean(), color="grey", linewidth=0.8, label=f"Prévalence ({y.mean():.2%})")
    ax.set(xlabel="Rappel", ylabel="Précision", xlim=(0, 1), ylim=(0, 1.02), title=title)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_calibration(y: np.ndarray, p: np.ndarray, path: Path, *, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    curve = calibration(y, p)["courbe"]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    xs = [c["p_moyenne"] for c in curve]
    ys = [c["taux_observe"] for c in curve]
    top = max([*xs, *ys, 0.01]) * 1.05
    ax.plot([0, top], [0, top], color="grey", linewidth=0.8, label="Calibration parfaite")
    ax.plot(xs, ys, "o-", label="Modèle (déciles de probabilité)")
    ax.set(
        xlabel="Probabilité moyenne prédite",
        ylabel="Taux observé d'ouverture à 18 mois",
        xlim=(0, top),
        ylim=(0, top),
        title=title,
    )
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


PR_PNG = "courbe_precision_rappel.png"
CALIBRATION_PNG = "calibration.png"


def evaluation_report(
    test: pd.DataFrame,
    p: np.ndarray,
    *,
    t_fort: float,
    t_modere: float,
    breakdowns: dict[str, str] | None = None,
    validation_shares: dict[str, float] | None = None,
    oracle: np.ndarray | None = None,
    out_dir: Path | None = None,
    resamples: int = 200,
    seed: int = 0,
) -> dict[str, Any]:
    """Every §5.3 figure of one test set (`siren`, `periode`, `cible` and breakdown columns).

    `breakdowns` maps a report name to a column of `test` (e.g. {"region": "ctx_region"}); a
    column named `eff_effectif` may be mapped to get the headcount bands. With `out_dir`, the
    precision-recall curve and the calibration plot are written there as PNG files.
    """
    y = test["cible"].astype(int).to_numpy()
    p = np.asarray(p, dtype=float)
    levels = np.where(p >= t_fort, "fort", np.where(p >= t_modere, "modere", "aucune"))
    report: dict[str, Any] = {
        "global": evaluate(y, p, t_fort, t_modere),
        "intervalles_95": bootstrap_intervals(
            y, p, test["siren"], t_fort, t_modere, resamples=resamples, seed=seed
        )
        if resamples
        else {},
        "calibration": calibration(y, p),
        "volumes": alert_volumes(levels, test["periode"], validation_shares),
        "nb_entreprises": int(test["siren"].nunique()),
    }
    for name, column in (breakdowns or {}).items():
        if column not in test.columns:
            continue
        groups = headcount_band(test[column]) if name == "tranche_effectif" else test[column]
        report[f"par_{name}"] = breakdown(y, p, groups, t_fort, t_modere)
    if oracle is not None:
        report["oracle"] = oracle_comparison(y, p, oracle)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        report["graphiques"] = {
            "precision_rappel": str(
                plot_precision_recall(
                    y,
                    p,
                    out_dir / PR_PNG,
                    t_fort=t_fort,
                    t_modere=t_modere,
                    oracle=oracle,
                    title="Courbe précision-rappel (fenêtre de test)",
                )
            ),
            "calibration": str(plot_calibration(y, p, out_dir / CALIBRATION_PNG, title="Calibration (test)")),
        }
    return json_safe(report)
