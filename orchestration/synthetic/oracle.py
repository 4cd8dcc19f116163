"""The true probability of a first opening within 18 months, computed exactly from the model.

For a company at risk at the end of month m in group g with health bin s, let
    w_n(g, m, s) = P(first opening in months m+1 .. m+n | bin s at m).
With P_{g,t} the transition matrix into month t, h_{g,t} the opening hazard and c the voluntary
closure hazard (the competing risk), one step of the chain gives
    w_n(g, m, .) = P_{g,m+1} [ h_{g,m+1} + (1 - h_{g,m+1} - c) * w_{n-1}(g, m+1, .) ],   w_0 = 0,
and the oracle of row (company, m) is w_18(g, m, s_m). It conditions on the realised aggregate
path (sector, regional and macro shocks, State support) and integrates over everything specific
to the company: it is the best score any model could reach, not a realised outcome.
"""

from __future__ import annotations

import numpy as np

from orchestration.synthetic import health
from orchestration.synthetic.timeline import HORIZON


def window_probabilities(
    drift_q: np.ndarray, spiral_scale: np.ndarray, hazard_offset: np.ndarray, horizon: int = HORIZON
) -> np.ndarray:
    """(G, T, K) probability of a first opening in the `horizon` months after each month.

    Only months whose whole window lies inside the simulated range are meaningful (the last
    `horizon` months are returned as NaN).
    """
    n_groups, n_months = drift_q.shape
    hazard = health.opening_hazard(hazard_offset)  # (G, T, K)
    carry = 1.0 - hazard - health.CLOSURE[None, None, :]
    # One transition matrix per distinct (drift, spiral) pair used as "transition into t".
    spiral_code = np.rint(spiral_scale * 1000).astype(np.int64)
    keys = drift_q[:, 1:] * 10_000 + spiral_code[None, 1:]
    unique, inverse = np.unique(keys.ravel(), return_inverse=True)
    matrices = np.stack(
        [health.transition_matrix(int(k // 10_000), (k % 10_000) / 1000.0) for k in unique.tolist()]
    )
    order = np.argsort(inverse, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(inverse, minlength=len(unique)))]
    w = np.zeros((n_groups, n_months, health.K))
    for _ in range(horizon):
        nxt = (hazard[:, 1:] + carry[:, 1:] * w[:, 1:]).reshape(-1, health.K)
        out = np.empty_like(nxt)
        for k in range(len(unique)):
            rows = order[bounds[k] : bounds[k + 1]]
            out[rows] = nxt[rows] @ matrices[k].T
        w[:, :-1] = out.reshape(n_groups, n_months - 1, health.K)
        w[:, -1] = np.nan
    w[:, n_months - horizon :] = np.nan
    return w
