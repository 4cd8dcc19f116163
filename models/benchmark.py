"""Run the platform's own training and evaluation code on any tabular CSV (`sf model benchmark`).

The data set is read as is: the target column (two values), optional group and time columns,
every other column an input, numeric when all its non-empty cells parse as numbers, categorical
otherwise; empty cells are missing values (CatBoost learns NaN as its own branch, categories get
`INCONNU`). Each split runs exactly the release protocol of `models.release.run_protocol`:

* a selection model trained with early stopping on a validation set taken from the training part,
* the two thresholds chosen on that validation set (F0.5 for `fort`, F2 for `modere`, §6),
* a release model refitted on the whole training part with the selection model's iteration count,
* the test part scored once, never used for any choice.

Splits: `--folds K` gives stratified K-fold cross-validation (grouped by `--group` when given: a
group never sits on both sides); the validation set is one stratified (grouped) fifth of the
training folds. `--time COL` gives an out-of-time split: the latest value is the test set, the
models train on earlier values, and the validation set is the latest training value (the selection
model trains on the values before it), as the monthly protocol does. Without either, 5 folds.

There is no negative sub-sampling here (the benchmark sets are small); the baseline is a plain
CatBoost with its default parameters under stratified K-fold cross-validation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from models.dictionary import FeatureDictionary, FeatureSpec
from models.evaluation import json_safe, level_metrics, ranking_metrics
from models.release import Release, run_protocol
from models.splits import WindowRows
from models.training import DEFAULT_PARAMS, predict

LOG = logging.getLogger(__name__)
RESERVED = ("cible", "siren", "periode", "poids")
BENCHMARK_THEME = "effectif_contexte"  # themes only matter for explanations, not measured here
VALIDATION_FOLDS = 5  # the validation set is one fifth of the training part


class BenchmarkError(ValueError):
    pass


@dataclass
class TabularData:
    frame: pd.DataFrame  # inputs + `cible` (0/1) + `siren` (group or row id) + `periode` (time or 0)
    dictionary: FeatureDictionary
    source: str
    target: str
    group: str | None
    time: str | None
    positive_label: str

    def describe(self) -> dict[str, Any]:
        y = self.frame["cible"]
        return {
            "fichier": self.source,
            "cible": self.target,
            "valeur_positive": self.positive_label,
            "groupe": self.group,
            "temps": self.time,
            "lignes": len(self.frame),
            "positifs": int(y.sum()),
            "prevalence": float(y.mean()),
            "variables_numeriques": len(self.dictionary.features) - len(self.dictionary.categorical),
            "variables_categorielles": self.dictionary.categorical,
        }


def _is_numeric(column: pd.Series) -> bool:
    present = column.dropna()
    if present.empty:
        return True
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def _target(column: pd.Series, name: str) -> tuple[np.ndarray, str]:
    """0/1 target: 1 for 1/true/yes/oui, else the minority value of a two-valued column."""
    if column.isna().any():
        raise BenchmarkError(f"target column {name!r} has {int(column.isna().sum())} empty cells")
    text = column.astype(str).str.strip().str.lower()
    values = sorted(text.unique())
    if len(values) != 2:
        raise BenchmarkError(f"target column {name!r} must hold exactly two values, found {values[:10]}")
    positive = next((v for v in values if v in ("1", "1.0", "true", "yes", "oui")), None)
    if positive is None:
        positive = text.value_counts().idxmin()
    return (text == positive).to_numpy(dtype=int), positive


def from_frame(
    data: pd.DataFrame,
    target: str,
    *,
    group: str | None = None,
    time_column: str | None = None,
    source: str = "<frame>",
) -> TabularData:
    for role, column in (("target", target), ("group", group), ("time", time_column)):
        if column is not None and column not in data.columns:
            raise BenchmarkError(f"{source}: {role} column {column!r} not found")
    y, positive = _target(data[target], target)
    inputs = [c for c in data.columns if c not in {target, group, time_column}]
    if not inputs:
        raise BenchmarkError(f"{source}: no input column besides the target, group and time")
    frame = pd.DataFrame(index=data.index)
    specs = []
    for column in inputs:
        name = f"{column}__x" if column in RESERVED else str(column)
        categorical = not _is_numeric(data[column])
        frame[name] = data[column] if categorical else pd.to_numeric(data[column], errors="coerce")
        specs.append(FeatureSpec(name, name, BENCHMARK_THEME, categorical, str(column), "", "", False, ""))
    frame["cible"] = y
    frame["siren"] = data[group].astype(str) if group else data.index.astype(str)
    if time_column:
        time_values = data[time_column]
        frame["periode"] = pd.to_numeric(time_values) if _is_numeric(time_values) else time_values
    else:
        frame["periode"] = 0
    frame = frame.reset_index(drop=True)
    return TabularData(
        frame, FeatureDictionary(tuple(specs), "benchmark"), source, target, group, time_column, positive
    )


def load_csv(
    path: Path, target: str, *, group: str | None = None, time_column: str | None = None
) -> TabularData:
    # Every column as text first: a column is numeric only when all its non-empty cells parse.
    data = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return from_frame(data, target, group=group, time_column=time_column, source=str(path))


def _splitter(n_splits: int, seed: int, grouped: bool) -> StratifiedKFold | StratifiedGroupKFold:
    if grouped:
        return StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)


def _split_off_validation(train: pd.DataFrame, seed: int, grouped: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    splitter = _splitter(VALIDATION_FOLDS, seed, grouped)
    fit_idx, valid_idx = next(
        splitter.split(train, train["cible"], groups=train["siren"] if grouped else None)
    )
    return train.iloc[fit_idx], train.iloc[valid_idx]


def _threshold_figures(y: np.ndarray, p: np.ndarray, release: Release) -> dict[str, Any]:
    fort = level_metrics(y, p, release.fort.value, 0.5)
    modere = level_metrics(y, p, release.modere.value, 2.0)
    return {
        "fort": {
            "critere": "F0.5",
            "seuil": release.fort.value,
            "precision": fort["precision"],
            "rappel": fort["rappel"],
            "f0.5": fort["f0.5"],
            "part_alertes": fort["part_alertes"],
            "precision_validation": release.fort.precision,
            "rappel_validation": release.fort.recall,
        },
        "modere": {
            "critere": "F2",
            "seuil": release.modere.value,
            "precision": modere["precision"],
            "rappel": modere["rappel"],
            "f2": modere["f2"],
            "part_alertes": modere["part_alertes"],
            "precision_validation": release.modere.precision,
            "rappel_validation": release.modere.recall,
        },
    }


def _evaluate_split(
    data: TabularData,
    split: WindowRows,
    test: pd.DataFrame,
    params: dict[str, Any],
) -> dict[str, Any]:
    started = time.monotonic()
    release = run_protocol(split, None, data.dictionary, params, None)
    p = predict(release.model, test, data.dictionary)
    y = test["cible"].to_numpy(dtype=int)
    return {
        "nb_entrainement": len(split.train_release),
        "nb_validation": len(split.validation),
        "nb_test": len(test),
        "positifs_test": int(y.sum()),
        **ranking_metrics(y, p),
        "seuils": _threshold_figures(y, p, release),
        "meilleure_iteration": release.selection.best_iteration,
        "duree_s": round(time.monotonic() - started, 2),
        "_p": p,
    }


def _summary(folds: list[dict[str, Any]]) -> dict[str, Any]:
    def stats(values: list[float]) -> dict[str, float]:
        return {"moyenne": float(np.mean(values)), "ecart_type": float(np.std(values, ddof=1))}

    return {
        "auc_roc": stats([f["auc_roc"] for f in folds]),
        "average_precision": stats([f["average_precision"] for f in folds]),
        **{
            f"{level}_{key}": stats([f["seuils"][level][key] for f in folds])
            for level in ("fort", "modere")
            for key in ("seuil", "precision", "rappel")
        },
    }


def cross_validation(data: TabularData, folds: int, seed: int, params: dict[str, Any]) -> dict[str, Any]:
    frame = data.frame
    grouped = data.group is not None
    results, pooled = [], np.full(len(frame), np.nan)
    splitter = _splitter(folds, seed, grouped)
    groups = frame["siren"] if grouped else None
    for k, (train_idx, test_idx) in enumerate(splitter.split(frame, frame["cible"], groups=groups)):
        LOG.info("fold %d/%d: %d training rows, %d test rows", k + 1, folds, len(train_idx), len(test_idx))
        train, test = frame.iloc[train_idx], frame.iloc[test_idx]
        fit_part, valid = _split_off_validation(train, seed + k, grouped)
        figures = _evaluate_split(data, WindowRows(fit_part, valid, train), test, params)
        pooled[test_idx] = figures.pop("_p")
        results.append({"pli": k + 1, **figures})
    y = frame["cible"].to_numpy(dtype=int)
    return {
        "nb_plis": folds,
        "groupe": data.group,
        "plis": results,
        "resume": _summary(results),
        "predictions_regroupees": ranking_metrics(y, pooled),
    }


def out_of_time(data: TabularData, seed: int, params: dict[str, Any]) -> dict[str, Any]:
    frame = data.frame
    values = sorted(frame["periode"].dropna().unique(), key=_sort_key)
    if len(values) < 2:
        raise BenchmarkError(f"time column {data.time!r} needs at least two distinct values")
    last = values[-1]
    train = frame[frame["periode"] != last]
    test = frame[frame["periode"] == last]
    grouped = data.group is not None
    if len(values) >= 3:
        valid_value = values[-2]
        fit_part, valid = train[train["periode"] != valid_value], train[train["periode"] == valid_value]
        validation = {"valeur": _plain(valid_value), "mode": "derniere_valeur_de_l_entrainement"}
    else:
        fit_part, valid = _split_off_validation(train, seed, grouped)
        validation = {"valeur": _plain(values[0]), "mode": "un_cinquieme_stratifie_de_l_entrainement"}
    LOG.info(
        "out of time: train on %s, validate on %s, test on %s",
        [_plain(v) for v in values[:-1]],
        validation["valeur"],
        _plain(last),
    )
    figures = _evaluate_split(data, WindowRows(fit_part, valid, train), test, params)
    p = figures.pop("_p")
    result = {
        "entrainement": [_plain(v) for v in values[:-1]],
        "validation": validation,
        "test": _plain(last),
        **figures,
    }
    if grouped:
        unseen = ~test["siren"].isin(set(train["siren"])).to_numpy()
        result["test_groupes_inedits"] = {
            "nb_test": int(unseen.sum()),
            **ranking_metrics(test["cible"].to_numpy(dtype=int)[unseen], p[unseen]),
        }
    return result


def baseline_cross_validation(data: TabularData, folds: int, seed: int) -> dict[str, Any]:
    """A plain CatBoost (default parameters, no early stopping) under stratified K-fold CV."""
    frame = data.frame
    features = data.dictionary.features
    x = frame[features].copy()
    for column in data.dictionary.categorical:
        x[column] = x[column].astype("object").where(x[column].notna(), "INCONNU").astype(str)
    y = frame["cible"].to_numpy(dtype=int)
    results = []
    for k, (train_idx, test_idx) in enumerate(_splitter(folds, seed, False).split(x, y)):
        LOG.info("baseline fold %d/%d", k + 1, folds)
        started = time.monotonic()
        model = CatBoostClassifier(
            random_seed=seed,
            thread_count=DEFAULT_PARAMS["thread_count"],
            verbose=False,
            allow_writing_files=False,
            cat_features=data.dictionary.categorical,
        )
        model.fit(x.iloc[train_idx], y[train_idx])
        p = model.predict_proba(x.iloc[test_idx])[:, 1]
        results.append(
            {"pli": k + 1, **ranking_metrics(y[test_idx], p), "duree_s": round(time.monotonic() - started, 2)}
        )
    return {
        "modele": "CatBoostClassifier() avec ses paramètres par défaut",
        "nb_plis": folds,
        "plis": results,
        "auc_roc": {
            "moyenne": float(np.mean([r["auc_roc"] for r in results])),
            "ecart_type": float(np.std([r["auc_roc"] for r in results], ddof=1)),
        },
        "average_precision": {
            "moyenne": float(np.mean([r["average_precision"] for r in results])),
            "ecart_type": float(np.std([r["average_precision"] for r in results], ddof=1)),
        },
    }


def _sort_key(value: object) -> tuple[int, object]:
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return (0, float(number)) if pd.notna(number) else (1, str(value))


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def run_benchmark(
    data: TabularData,
    *,
    folds: int | None = None,
    seed: int = 0,
    max_iterations: int | None = None,
    baseline: bool = False,
) -> dict[str, Any]:
    """The benchmark report: top-level figures from the out-of-time split when the data has a time
    column, else the mean over the folds; per-split details below them."""
    params = {"random_seed": seed}
    if max_iterations is not None:
        params["iterations"] = max_iterations
    if folds is None and data.time is None:
        folds = 5
    report: dict[str, Any] = {"donnees": data.describe(), "graine": seed}
    if data.time is not None:
        report["hors_temps"] = out_of_time(data, seed, params)
    if folds is not None:
        if folds < 2:
            raise BenchmarkError("--folds needs at least 2 folds")
        report["validation_croisee"] = cross_validation(data, folds, seed, params)
    if "hors_temps" in report:
        top = report["hors_temps"]
        report.update(
            protocole="hors_temps",
            auc_roc=top["auc_roc"],
            average_precision=top["average_precision"],
            seuils=top["seuils"],
        )
    else:
        summary = report["validation_croisee"]["resume"]
        report.update(
            protocole="validation_croisee",
            auc_roc=summary["auc_roc"]["moyenne"],
            average_precision=summary["average_precision"]["moyenne"],
            seuils={
                level: {
                    "critere": "F0.5" if level == "fort" else "F2",
                    "seuil": summary[f"{level}_seuil"]["moyenne"],
                    "precision": summary[f"{level}_precision"]["moyenne"],
                    "rappel": summary[f"{level}_rappel"]["moyenne"],
                }
                for level in ("fort", "modere")
            },
        )
    if baseline:
        report["reference_catboost_defaut"] = baseline_cross_validation(data, folds or 5, seed)
    return _clean(report)


def _clean(report: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready, with the headline figures first."""
    head = ("protocole", "auc_roc", "average_precision", "seuils")
    ordered = {k: report[k] for k in head if k in report} | {k: v for k, v in report.items() if k not in head}
    return json_safe(ordered)
