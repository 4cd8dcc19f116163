"""CatBoost training with early stopping on the validation window (model.md §7.1)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from catboost import CatBoostClassifier, Pool

from models.dictionary import MISSING_CATEGORY, FeatureDictionary
from models.splits import negative_sample_mask, rows_where

DEFAULT_PARAMS: dict[str, Any] = {
    "loss_function": "Logloss",
    "eval_metric": "Logloss",
    "iterations": 5000,
    "learning_rate": 0.05,
    "depth": 6,
    "l2_leaf_reg": 3,
    "border_count": 254,
    "nan_mode": "Min",
    "random_seed": 0,
    "thread_count": 2,
    "allow_writing_files": False,
    "verbose": False,
}
# No custom metric: AUC and PR-AUC on the 2 M national validation rows doubled the cost of an
# iteration (500 k training and 2 M validation rows of random data, measured 2026-11-27), and
# nothing reads them; the evaluation report computes its own.
EARLY_STOPPING_ROUNDS = 200
NEGATIVE_SHARE = 0.25
# Cap on the sampled negatives: at national scale (18 M labelled negative rows) 25 % gave 5.3 M
# training rows and a 17-minute training, a 3 M cap 15.2 minutes (2026-11-28); the share drops so
# that the sample stays under the cap (weight 1 / share, so the prevalence and the calibration are
# kept). Smaller panels keep 25 %.
MAX_SAMPLED_NEGATIVES = 2_500_000
WEIGHT_COLUMN = "poids"  # set by the training-set extract when negatives were sub-sampled upstream


@dataclass
class TrainedModel:
    model: CatBoostClassifier
    params: dict[str, Any]
    best_iteration: int
    features: list[str]
    categorical: list[str]
    train_rows: int
    train_positives: int
    history: dict[str, Any] = field(default_factory=dict)


def prepare_features(frame: pd.DataFrame, dictionary: FeatureDictionary) -> pd.DataFrame:
    """The model inputs in dictionary order: numbers as float32 (NULL -> NaN), categories as strings.

    float32 is what CatBoost stores and splits on: wider floats would only double the copy.
    """
    data = pd.DataFrame(index=frame.index)
    for spec in dictionary.specs:
        column = frame[spec.feature]
        if spec.is_categorical:
            data[spec.feature] = column.astype("object").where(column.notna(), MISSING_CATEGORY).astype(str)
        else:
            data[spec.feature] = pd.to_numeric(column, errors="coerce").astype("float32")
    return data


def read_training_set(path: str | Path, dictionary: FeatureDictionary) -> pd.DataFrame:
    """The training-set Parquet file as a frame whose numeric inputs are float32.

    At national scale (10.7 M rows x 77 inputs) float64 columns and the window copies of the
    protocol exceeded the 24 GB of the machine; CatBoost reads float32 anyway.
    """
    frame = pd.read_parquet(path)
    for spec in dictionary.specs:
        if not spec.is_categorical and spec.feature in frame.columns:
            frame[spec.feature] = pd.to_numeric(frame[spec.feature], errors="coerce").astype("float32")
    return frame


def capped_negative_share(
    negatives: int, share: float = NEGATIVE_SHARE, cap: int | None = MAX_SAMPLED_NEGATIVES
) -> float:
    """The share of the `negatives` labelled negative rows to sample: `share` (>= 1: every row),
    lowered (rounded down to 4 decimals, never below 0.0001) when it would sample more than `cap`
    rows; `cap=None` never lowers it."""
    if cap is None or negatives <= 0 or share * negatives <= cap:
        return share
    return max(math.floor(cap / negatives * 10_000) / 10_000, 0.0001)


def sample_weights(frame: pd.DataFrame, share: float | None = NEGATIVE_SHARE) -> tuple[pd.Series, np.ndarray]:
    """Keep every positive and a deterministic share of negatives weighted 1/share (prevalence kept).

    A frame carrying a `poids` column was already sub-sampled upstream (the training-set extract):
    rows with a positive weight are kept with that weight. `share=None` (or >= 1) keeps every row.
    """
    if WEIGHT_COLUMN in frame.columns:
        weight = frame[WEIGHT_COLUMN].to_numpy(dtype=float)
        kept = weight > 0
        return pd.Series(kept, index=frame.index), weight[kept]
    positive = frame["cible"].to_numpy() == 1
    if share is None or share >= 1:
        return pd.Series(True, index=frame.index), np.ones(len(frame))
    kept = positive | negative_sample_mask(frame["siren"], frame["periode"], share)
    weights = np.where(positive[kept], 1.0, 1.0 / share)
    return pd.Series(kept, index=frame.index), weights


def _pool(
    frame: pd.DataFrame,
    dictionary: FeatureDictionary,
    weights: np.ndarray | None = None,
    *,
    labelled: bool = True,
) -> Pool:
    return Pool(
        prepare_features(frame, dictionary),
        label=frame["cible"].astype(int).to_numpy() if labelled else None,
        cat_features=dictionary.categorical,
        weight=weights,
    )


def fit(
    train: pd.DataFrame,
    dictionary: FeatureDictionary,
    *,
    validation: pd.DataFrame | None = None,
    iterations: int | None = None,
    params: dict[str, Any] | None = None,
    negative_share: float | None = NEGATIVE_SHARE,
) -> TrainedModel:
    """Fit on `train` (labelled rows); early stopping on `validation` when given, else `iterations`.

    The validation rows are never sub-sampled: early stopping sees the natural prevalence.
    """
    merged = {**DEFAULT_PARAMS, **(params or {})}
    if iterations is not None:
        merged["iterations"] = iterations
    kept, weights = sample_weights(train, negative_share)
    train_kept = rows_where(train, kept)
    model = CatBoostClassifier(**merged)
    fit_kwargs: dict[str, Any] = {}
    if validation is not None:
        fit_kwargs = {
            "eval_set": _pool(validation, dictionary),
            "early_stopping_rounds": EARLY_STOPPING_ROUNDS,
            "use_best_model": True,
        }
    model.fit(_pool(train_kept, dictionary, weights), **fit_kwargs)
    best = model.get_best_iteration() if validation is not None else merged["iterations"] - 1
    return TrainedModel(
        model=model,
        params=merged,
        best_iteration=int(best if best is not None else merged["iterations"] - 1),
        features=dictionary.features,
        categorical=dictionary.categorical,
        train_rows=len(train_kept),
        train_positives=int((train_kept["cible"] == 1).sum()),
        history=model.get_evals_result() if validation is not None else {},
    )


def predict(model: TrainedModel, frame: pd.DataFrame, dictionary: FeatureDictionary) -> np.ndarray:
    return model.model.predict_proba(_pool(frame, dictionary, labelled=False))[:, 1]
