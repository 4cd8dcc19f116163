"""What happens after an opening judgment: the stages of a collective proceeding.

Labels are `<Stade>_<action>` as in the URSSAF extract (raw-sources §5.7). A redressement either
converts to liquidation (a later `Ouverture_liquidation`, which never moves the first opening
date), ends in a continuation plan (which may fail years later) or in a sale plan; a sauvegarde
mostly ends in a plan. Dates come out of the judgment calendar; URSSAF learns each judgment with a
lag, so an event may reach the extract a month or two after its effective date.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SAUVEGARDE, REDRESSEMENT, LIQUIDATION = "sauvegarde", "redressement", "liquidation"
NAT = np.datetime64("NaT", "D")


@dataclass
class Path:
    """Consequences of one company's proceedings that the simulation must apply."""

    liquidation_day: np.datetime64 = NAT  # activity stops, establishments close
    plan_day: np.datetime64 = NAT  # continuation plan adopted: the company goes on
    sale_day: np.datetime64 = NAT  # business sold: establishments close
    end_day: np.datetime64 = NAT  # proceedings closed: remaining URSSAF debts written off
    abandon_day: np.datetime64 = NAT  # back in bonis without a plan
    events: list[tuple[np.datetime64, str, str]] = field(default_factory=list)  # (day, stade, action)


def _months(rng: np.random.Generator, lo: float, hi: float) -> np.timedelta64:
    return np.timedelta64(int(rng.uniform(lo, hi) * 30.44), "D")


def first_action(rng: np.random.Generator, headcount: float, health: float) -> str:
    """Which proceeding opens: larger and less damaged companies get a chance to restructure."""
    if rng.random() < 0.02 + 0.05 * (headcount >= 50):
        return SAUVEGARDE
    z = 0.4 - 0.6 * np.log10(max(headcount, 1.0) / 10.0) - 0.4 * (health + 3.0)
    return LIQUIDATION if rng.random() < 1.0 / (1.0 + np.exp(-z)) else REDRESSEMENT


def draw_path(rng: np.random.Generator, day: np.datetime64, action: str, horizon: np.datetime64) -> Path:
    path = Path()
    _open(rng, path, day, action)
    path.events = [e for e in path.events if e[0] < horizon]
    return path


def _open(rng: np.random.Generator, path: Path, day: np.datetime64, action: str) -> None:
    path.events.append((day, "Ouverture", action))
    if action == LIQUIDATION:
        _liquidation(rng, path, day)
    elif action == REDRESSEMENT:
        _redressement(rng, path, day)
    else:
        _sauvegarde(rng, path, day)


def _liquidation(rng: np.random.Generator, path: Path, day: np.datetime64) -> None:
    path.liquidation_day = day
    end = day + _months(rng, 10, 36)  # clôture, most often for insufficient assets
    path.end_day = end
    path.events.append((end, "Fin_procedure", LIQUIDATION))
    if rng.random() < 0.6:
        path.events.append((end + _months(rng, 1, 12), "Solde_procedure", LIQUIDATION))


def _redressement(rng: np.random.Generator, path: Path, day: np.datetime64) -> None:
    decision = day + _months(rng, 2, 12)  # observation period
    u = rng.random()
    if u < 0.55:
        if rng.random() < 0.5:
            path.events.append((decision, "Inclusion_autre_procedure", REDRESSEMENT))
        _open(rng, path, decision, LIQUIDATION)
    elif u < 0.88:
        path.plan_day = decision
        path.events.append((decision, "Plan_continuation", REDRESSEMENT))
        if rng.random() < 0.6:
            path.events.append((decision + _months(rng, 1, 6), "Solde_procedure", REDRESSEMENT))
        if rng.random() < 0.2:  # the plan fails: resolution and liquidation
            _open(rng, path, decision + _months(rng, 12, 48), LIQUIDATION)
        else:
            path.events.append((decision + _months(rng, 24, 120), "Fin_procedure", REDRESSEMENT))
    elif u < 0.98:
        path.sale_day = decision
        path.events.append((decision, "Plan_cession", REDRESSEMENT))
        path.end_day = decision + _months(rng, 6, 24)
        path.events.append((path.end_day, "Fin_procedure", REDRESSEMENT))
    else:
        path.abandon_day = decision
        path.events.append((decision, "Abandon_procedure", REDRESSEMENT))


def _sauvegarde(rng: np.random.Generator, path: Path, day: np.datetime64) -> None:
    decision = day + _months(rng, 4, 14)
    u = rng.random()
    if u < 0.7:
        path.plan_day = decision
        path.events.append((decision, "Plan_continuation", SAUVEGARDE))
        path.events.append((decision + _months(rng, 24, 120), "Fin_procedure", SAUVEGARDE))
    elif u < 0.9:
        path.events.append((decision, "Inclusion_autre_procedure", SAUVEGARDE))
        _open(rng, path, decision, REDRESSEMENT)
    else:
        path.abandon_day = decision
        path.events.append((decision, "Abandon_procedure", SAUVEGARDE))


def past_events(
    rng: np.random.Generator, day: np.datetime64, action: str, before: np.datetime64
) -> list[tuple[np.datetime64, str, str]]:
    """Proceedings that ended in a plan before the simulated period (history of the extract)."""
    plan = day + _months(rng, 3, 12)
    events = [(day, "Ouverture", action), (plan, "Plan_continuation", action)]
    if rng.random() < 0.6:
        events.append((plan + _months(rng, 1, 6), "Solde_procedure", action))
    end = plan + _months(rng, 24, 96)
    if end < before:
        events.append((end, "Fin_procedure", action))
    return [e for e in events if e[0] < before]


def knowledge_lag(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days between a judgment and its arrival in the URSSAF extract."""
    u = rng.random(n)
    lag = np.where(
        u < 0.7, rng.integers(0, 21, n), np.where(u < 0.95, rng.integers(21, 61, n), rng.integers(61, 151, n))
    )
    return lag.astype("timedelta64[D]")
