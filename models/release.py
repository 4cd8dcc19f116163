"""One release (model.md §5.1): selection model with early stopping and thresholds on V, then the
release model refitted on every label-complete month with the selection model's iteration count."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import catboost
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from models.dictionary import THEME_LABELS, FeatureDictionary
from models.evaluation import evaluate
from models.splits import (
    Backtest,
    WindowRows,
    Windows,
    backtest_for,
    backtest_rows,
    month_index,
    month_indices,
    release_rows,
    rows_where,
    windows_for,
)
from models.thresholds import Threshold, choose_thresholds
from models.training import NEGATIVE_SHARE, TrainedModel, fit, predict

LABELLED = ("positif", "negatif")
GRID_DEPTHS = (4, 6, 8)  # model.md §7.1
GRID_L2 = (1, 3, 10)
STARTING_CELL = (6, 3)


def hyperparameter_grid(
    depths: Sequence[int] = GRID_DEPTHS, l2s: Sequence[float] = GRID_L2
) -> tuple[tuple[int, float], ...]:
    """depth x l2_leaf_reg cells, the starting configuration first (it wins ties) when it is one."""
    cells = [(depth, l2) for depth in depths for l2 in l2s]
    return tuple(sorted(cells, key=lambda cell: cell != STARTING_CELL))


HYPERPARAMETER_GRID = hyperparameter_grid()


class ReleaseError(RuntimeError):
    pass


@dataclass
class Release:
    windows: Windows | None  # None outside the panel's calendar (e.g. the tabular benchmark)
    selection: TrainedModel
    model: TrainedModel
    fort: Threshold
    modere: Threshold
    validation_metrics: dict[str, Any]
    window_counts: dict[str, dict[str, Any]]
    grid: list[dict[str, Any]] = field(default_factory=list)  # one entry per cell tried, when a grid ran


def labelled_rows(panel: pd.DataFrame) -> pd.DataFrame:
    """In-scope rows with a known label (never post_ouverture, never beyond L)."""
    mask = panel["dans_perimetre"].astype(bool) & panel["statut_cible"].isin(LABELLED)
    return rows_where(panel, mask)  # the training-set extract holds only such rows


def _counts(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "lignes": len(frame),
        "entreprises": int(frame["siren"].nunique()),
        "positifs": int((frame["cible"] == 1).sum()),
        "prevalence": float((frame["cible"] == 1).mean()) if len(frame) else 0.0,
        "premier_mois": str(frame["periode"].min()) if len(frame) else None,
        "dernier_mois": str(frame["periode"].max()) if len(frame) else None,
    }


def _select(
    split: WindowRows,
    dictionary: FeatureDictionary,
    params: dict[str, Any] | None,
    negative_share: float | None,
    grid: Sequence[tuple[int, float]] | None,
) -> tuple[TrainedModel, np.ndarray, list[dict[str, Any]]]:
    """M_sel with early stopping on V; with a grid, one per (depth, l2_leaf_reg) cell, keeping the
    one with the best validation AP (the first cell on ties). Without a grid, the starting
    configuration (`params` over DEFAULT_PARAMS) and no AP is computed twice."""
    y_valid = split.validation["cible"].astype(int).to_numpy()
    cells: list[dict[str, Any]] = [{"depth": d, "l2_leaf_reg": l2} for d, l2 in grid] if grid else [{}]
    best: tuple[TrainedModel, np.ndarray, float] | None = None
    tried: list[dict[str, Any]] = []
    for cell in cells:
        model = fit(
            split.train_selection,
            dictionary,
            validation=split.validation,
            params={**(params or {}), **cell},
            negative_share=negative_share,
        )
        p_valid = predict(model, split.validation, dictionary)
        if not grid:
            return model, p_valid, tried
        ap = float(average_precision_score(y_valid, p_valid))
        tried.append(
            {**cell, "average_precision_validation": ap, "meilleure_iteration": model.best_iteration}
        )
        if best is None or ap > best[2]:
            best = (model, p_valid, ap)
    assert best is not None
    for entry in tried:
        entry["retenu"] = entry["depth"] == best[0].params["depth"] and (
            entry["l2_leaf_reg"] == best[0].params["l2_leaf_reg"]
        )
    return best[0], best[1], tried


def run_protocol(
    split: WindowRows,
    windows: Windows | None,
    dictionary: FeatureDictionary,
    params: dict[str, Any] | None,
    negative_share: float | None,
    grid: Sequence[tuple[int, float]] | None = None,
) -> Release:
    """Steps 2-3 of §5.1 on already windowed rows: M_sel with early stopping (and, with `grid`, the
    depth x l2_leaf_reg chosen by AP) and thresholds on V, then M_rel refitted on every
    label-complete row with M_sel's parameters and iteration count."""
    for name, frame in (("selection training", split.train_selection), ("validation", split.validation)):
        if frame.empty or (frame["cible"] == 1).sum() == 0:
            raise ReleaseError(f"the {name} window holds no positive row: the history is too short")
    selection, p_valid, tried = _select(split, dictionary, params, negative_share, grid)
    y_valid = split.validation["cible"].astype(int).to_numpy()
    fort, modere = choose_thresholds(y_valid, p_valid)
    chosen = {"depth": selection.params["depth"], "l2_leaf_reg": selection.params["l2_leaf_reg"]}
    model = fit(
        split.train_release,
        dictionary,
        iterations=selection.best_iteration + 1,
        params={**(params or {}), **chosen},
        negative_share=negative_share,
    )
    return Release(
        windows=windows,
        selection=selection,
        model=model,
        fort=fort,
        modere=modere,
        validation_metrics=evaluate(y_valid, p_valid, fort.value, modere.value),
        window_counts={
            "entrainement_selection": _counts(split.train_selection),
            "validation": _counts(split.validation),
            "entrainement_release": _counts(split.train_release),
        },
        grid=tried,
    )


def _check_label_limit(rows: pd.DataFrame, windows: Windows) -> None:
    if (month_indices(rows["periode"]) > month_index(windows.label_limit)).any():
        raise ReleaseError("a labelled row lies beyond the observation limit L")


def train_release(
    panel: pd.DataFrame,
    dictionary: FeatureDictionary,
    decision_month: dt.date,
    panel_start: dt.date,
    *,
    margin_months: int = 1,
    params: dict[str, Any] | None = None,
    negative_share: float | None = NEGATIVE_SHARE,
    grid: Sequence[tuple[int, float]] | None = None,
) -> Release:
    windows = windows_for(decision_month, panel_start, margin_months)
    rows = labelled_rows(panel)
    _check_label_limit(rows, windows)
    return run_protocol(release_rows(rows, windows), windows, dictionary, params, negative_share, grid)


@dataclass
class BacktestResult:
    """The release protocol replayed as of D_bt and scored on its test window (model.md §5.1 step 4)."""

    backtest: Backtest
    release: Release  # M_sel(D_bt), M_rel(D_bt) and the V(D_bt) thresholds
    test: pd.DataFrame  # test window, companies withheld from every training row (headline figures)
    p_test: np.ndarray
    test_all: pd.DataFrame  # test window, every company (secondary figures)
    p_test_all: np.ndarray
    selection: str  # "hors_temps", or "par_siren" when the history is too short (splits.backtest_rows)

    def validation_shares(self) -> dict[str, float]:
        fort, modere = self.release.fort, self.release.modere
        return {"fort": fort.alert_share, "modere": modere.alert_share - fort.alert_share}


def run_backtest(
    panel: pd.DataFrame,
    dictionary: FeatureDictionary,
    decision_month: dt.date,
    panel_start: dt.date,
    *,
    margin_months: int = 1,
    params: dict[str, Any] | None = None,
    negative_share: float | None = NEGATIVE_SHARE,
    holdout_buckets: tuple[int, ...] = (0,),
    grid: Sequence[tuple[int, float]] | None = None,
) -> BacktestResult:
    """Train as of D_bt = V_start of the release for `decision_month`, test on [D_bt, D_bt + 11].

    The test window is the release's validation window: fully labelled today, never used for any
    choice of the backtest models (their thresholds come from V(D_bt), 12 months earlier).
    """
    release_windows = windows_for(decision_month, panel_start, margin_months)
    backtest = backtest_for(release_windows, holdout_buckets)
    rows = labelled_rows(panel)
    _check_label_limit(rows, release_windows)
    split = backtest_rows(rows, backtest)
    if split.test is None or split.test_all is None or (split.test["cible"] == 1).sum() == 0:
        raise ReleaseError("the backtest test window holds no positive row of a held-out company")
    # the grid is replayed as of D_bt: choosing depth and l2 on V(D) would peek at this test window
    release = run_protocol(split, backtest.windows, dictionary, params, negative_share, grid)
    release.window_counts["test"] = _counts(split.test)
    release.window_counts["test_toutes_entreprises"] = _counts(split.test_all)
    return BacktestResult(
        backtest=backtest,
        release=release,
        test=split.test,
        p_test=predict(release.model, split.test, dictionary),
        test_all=split.test_all,
        p_test_all=predict(release.model, split.test_all, dictionary),
        selection=split.selection,
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
        "fenetres": release.windows.as_dict() if release.windows else {},
        "effectifs_fenetres": release.window_counts,
        "parametres": {k: v for k, v in release.model.params.items() if k != "verbose"},
        "meilleure_iteration": release.selection.best_iteration,
        "iterations_max": release.selection.params["iterations"],
        "grille_hyperparametres": release.grid,  # empty: the starting configuration, no grid
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
            f"- Best iteration: {card['meilleure_iteration']}; depth {card['parametres']['depth']},"
            f" l2_leaf_reg {card['parametres']['l2_leaf_reg']}"
            + (
                f" (best validation AP of a {len(card['grille_hyperparametres'])}-cell grid)"
                if card.get("grille_hyperparametres")
                else " (starting configuration, no grid)"
            ),
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
