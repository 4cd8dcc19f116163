"""Explanations: exact tree SHAP from CatBoost, grouped by base variable and theme (model.md §8).

SHAP values live in log-odds: phi0 + sum(phi_j) = f and p = sigmoid(f). Groups are exact sums.
On the probability scale the waterfall uses the secant slope s of the sigmoid between the base and
the prediction, so that p0 + sum_k s * Phi_k = p exactly and every bar keeps its theme's sign.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from catboost import Pool

from models.dictionary import THEMES, FeatureDictionary
from models.french import format_number, format_percent, month_label
from models.training import TrainedModel, prepare_features

MIN_REASON_POINTS = 0.01  # a reason must move the probability by at least one percentage point
MAX_REASONS = 3
MAX_REASONS_PER_THEME = 2
REASONS_LEAD_IN = "Éléments qui rapprochent l'entreprise de celles entrées en procédure collective :"


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Explanations:
    phi0: np.ndarray  # (n,) expected value, log-odds
    by_base: pd.DataFrame  # (n, base variables) log-odds
    by_theme: pd.DataFrame  # (n, 5 themes) log-odds
    base_probability: np.ndarray  # p0
    slope: np.ndarray  # s
    probability: np.ndarray  # p

    def theme_contributions(self) -> pd.DataFrame:
        """c_k = s * Phi_k on the probability scale; p0 + sum_k c_k = p."""
        return self.by_theme.mul(self.slope, axis=0)

    def base_contributions(self) -> pd.DataFrame:
        return self.by_base.mul(self.slope, axis=0)


def shap_values(model: TrainedModel, frame: pd.DataFrame, dictionary: FeatureDictionary) -> np.ndarray:
    pool = Pool(prepare_features(frame, dictionary), cat_features=dictionary.categorical)
    return model.model.get_feature_importance(data=pool, type="ShapValues", thread_count=2)


def secant_slope(f: np.ndarray, phi0: np.ndarray) -> np.ndarray:
    p, p0 = sigmoid(f), sigmoid(phi0)
    delta = f - phi0
    derivative = p0 * (1 - p0)
    with np.errstate(divide="ignore", invalid="ignore"):
        secant = (p - p0) / delta
    return np.where(np.abs(delta) < 1e-9, derivative, secant)


def _membership(items: list[str], groups: list[str], group_of) -> np.ndarray:
    """0/1 matrix (items x groups): summing along the explicit map is a matrix product."""
    matrix = np.zeros((len(items), len(groups)))
    index = {g: j for j, g in enumerate(groups)}
    for i, item in enumerate(items):
        matrix[i, index[group_of(item)]] = 1.0
    return matrix


def explain(model: TrainedModel, frame: pd.DataFrame, dictionary: FeatureDictionary) -> Explanations:
    values = shap_values(model, frame, dictionary)
    phi0 = values[:, -1]
    bases = dictionary.base_variables
    by_base = values[:, :-1] @ _membership(dictionary.features, bases, dictionary.base_of)
    by_theme = by_base @ _membership(bases, list(THEMES), dictionary.theme_of_base)
    f = phi0 + values[:, :-1].sum(axis=1)
    return Explanations(
        phi0=phi0,
        by_base=pd.DataFrame(by_base, columns=bases, index=frame.index),
        by_theme=pd.DataFrame(by_theme, columns=list(THEMES), index=frame.index),
        base_probability=sigmoid(phi0),
        slope=secant_slope(f, phi0),
        probability=sigmoid(f),
    )


def _format_value(value: float, unit: str) -> str:
    if unit == "euros":
        return format_number(value, 0)
    if unit == "ratio":
        return format_percent(value, 0)
    if unit in ("months", "years"):
        return format_number(value, 1) if unit == "years" or value % 1 else format_number(value, 0)
    if unit == "days":
        return format_number(value, 0)
    if unit in ("employees", "count"):
        # full-time equivalents of partial activity are fractional: keep one decimal for them
        return format_number(value, 1) if value % 1 else format_number(value, 0)
    return str(value)


@dataclass(frozen=True)
class Reason:
    rank: int
    theme: str
    variable: str
    value: float | str | None
    reference_month: dt.date
    contribution: float
    text: str
    confidentiel: bool


def reasons_for_row(
    base_contributions: Mapping[str, float],
    base_log_odds: Mapping[str, float],
    values: Mapping[str, object],
    month: dt.date,
    dictionary: FeatureDictionary,
) -> list[Reason]:
    """Top reasons of one alerted company (model.md §8.4), most raising first."""
    candidates = []
    for base, log_odds in base_log_odds.items():
        if log_odds <= 0 or base_contributions[base] < MIN_REASON_POINTS:
            continue
        spec = dictionary.primary_spec(str(base))
        if not spec.reason_template_fr:
            continue
        value = values.get(spec.feature)
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        if missing and not spec.reason_when_null:
            continue
        candidates.append((float(log_odds), str(base), spec, value, missing))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    chosen: list[Reason] = []
    per_theme: dict[str, int] = {}
    for _log_odds, base, spec, value, missing in candidates:
        if len(chosen) == MAX_REASONS:
            break
        theme = dictionary.theme_of_base(base)
        if per_theme.get(theme, 0) == MAX_REASONS_PER_THEME:
            continue
        per_theme[theme] = per_theme.get(theme, 0) + 1
        text = (
            spec.reason_when_null
            if missing
            else spec.reason_template_fr.format(
                valeur=_format_value(float(value), spec.unit) if not isinstance(value, str) else value,
                mois=month_label(month),
            )
        )
        chosen.append(
            Reason(
                len(chosen) + 1,
                theme,
                base,
                None if missing else value,
                month,
                float(base_contributions[base]),
                text,
                spec.confidentiel,
            )
        )
    return chosen
