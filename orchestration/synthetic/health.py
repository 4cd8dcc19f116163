"""The latent health of a company: a Markov chain on a grid, and the hazards it drives.

Health x moves each month by a mean-reverting step towards the company's class level, plus the
aggregate drift of its sector and region, plus Gaussian noise, and falls into one of K bins. Below
about -1.5 a "distress spiral" adds a negative drift (debts, lost credit, lost clients feed each
other); State support damps it. The monthly hazard of a first collective-proceedings opening and
of a voluntary closure depend on the bin, the group (sector, region, class) and the month only,
which is what lets the oracle compute exact probabilities.
"""

from __future__ import annotations

import math

import numpy as np

K = 32
GRID = -4.5 + 0.25 * np.arange(K)
EDGES = (GRID[1:] + GRID[:-1]) / 2  # inner bin edges
THETA = 0.05  # mean reversion per month (half-life about 14 months)
SIGMA = 0.22  # monthly idiosyncratic noise
# Long-run health level of each fragility class; class 4 holds public bodies (no insolvency law).
CLASS_LEVELS = np.array([1.0, 0.4, -0.3, -0.9, 1.2])
PUBLIC_CLASS = 4
SPIRAL_THRESHOLD = -1.5
SPIRAL_DEPTH = 0.15
SPIRAL = -SPIRAL_DEPTH / (1.0 + np.exp(-(SPIRAL_THRESHOLD - GRID) / 0.3))
# Log-hazard of a first opening: HAZARD_A + HAZARD_B * x + group and month offsets.
HAZARD_A = -7.15
HAZARD_B = -1.2
# Monthly probability of a voluntary closure (dissolution, absorption, sale), higher when weak.
CLOSURE = 0.0012 + 0.003 / (1.0 + np.exp(-(SPIRAL_THRESHOLD - GRID) / 0.5))
DRIFT_STEP = 0.0025  # quantisation of the additive drift, shared by simulation and oracle


def quantise(drift: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(drift) / DRIFT_STEP).astype(np.int64)


def step_means(drift_q: np.ndarray, spiral_scale: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Mean of the next health value, before noise, for companies in `states`."""
    x = GRID[states]
    return x * (1 - THETA) + spiral_scale * SPIRAL[states] + drift_q * DRIFT_STEP


def draw_next(rng: np.random.Generator, means: np.ndarray) -> np.ndarray:
    values = means + SIGMA * rng.standard_normal(len(means))
    return np.searchsorted(EDGES, values, side="right").astype(np.int8)


def state_of(values: np.ndarray) -> np.ndarray:
    return np.searchsorted(EDGES, values, side="right").astype(np.int8)


_ERF = np.frompyfunc(math.erf, 1, 1)


def _phi(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _ERF(z / math.sqrt(2.0)).astype(np.float64))


def transition_matrix(drift_q: int, spiral_scale: float) -> np.ndarray:
    """P[s, s'] for one quantised drift and spiral scale, consistent with `draw_next`."""
    means = GRID * (1 - THETA) + spiral_scale * SPIRAL + drift_q * DRIFT_STEP
    edges = np.concatenate([[-np.inf], EDGES, [np.inf]])
    cdf = _phi((edges[None, :] - means[:, None]) / SIGMA)
    return np.diff(cdf, axis=1)


def opening_hazard(offset: np.ndarray) -> np.ndarray:
    """(..., K) monthly probability of a first opening for log-hazard offsets of shape (...)."""
    return 1.0 - np.exp(-np.exp(_LOG_BASE + np.asarray(offset)[..., None]))


_LOG_BASE = HAZARD_A + HAZARD_B * GRID


def opening_hazard_at(offset: np.ndarray, states: np.ndarray) -> np.ndarray:
    """Monthly probability of a first opening for each (offset, state) pair; same arithmetic as
    `opening_hazard` so that simulation and oracle agree to the last bit."""
    return 1.0 - np.exp(-np.exp(_LOG_BASE[states] + offset))
