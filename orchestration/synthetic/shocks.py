"""Aggregate paths: business cycle, sector and regional factors, named crises, State support.

Everything here is common to many companies: it is the part of the future the oracle treats as
known (it conditions on the realised aggregate path and integrates over idiosyncratic risk only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.synthetic.sectors import SECTION_LETTERS, SECTIONS
from orchestration.synthetic.timeline import Timeline, month_index


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], rho: float, sd: float) -> np.ndarray:
    """AR(1) paths along the last axis, started from their stationary law."""
    out = np.empty(shape)
    out[..., 0] = rng.normal(0, sd / np.sqrt(1 - rho**2), shape[:-1])
    noise = rng.normal(0, sd, shape)
    for t in range(1, shape[-1]):
        out[..., t] = rho * out[..., t - 1] + noise[..., t]
    return out


def _months(timeline: Timeline, first: str, last: str) -> slice:
    a = month_index(first) - timeline.sim_start
    b = month_index(last) - timeline.sim_start + 1
    return slice(max(a, 0), max(min(b, timeline.n_months), 0))


@dataclass(frozen=True)
class Shocks:
    sector_drift: np.ndarray  # (sections, T) drift of health per month, crises included
    region_drift: np.ndarray  # (regions, T)
    region_hazard: np.ndarray  # (regions,) log-hazard offset
    spiral_scale: np.ndarray  # (T,) strength of the distress spiral (State support damps it)
    hazard_regime: np.ndarray  # (T,) log-multiplier of openings (support, court calendar)
    ap_pressure: np.ndarray  # (sections, T) share of hours a hit company puts on partial activity
    wage_index: np.ndarray  # (T,) nominal wage level, 1.0 in 2020
    regions: np.ndarray  # region codes, index order

    @classmethod
    def build(
        cls, rng: np.random.Generator, timeline: Timeline, regions: np.ndarray, region_zone: dict[str, str]
    ) -> Shocks:
        n_t = timeline.n_months
        n_s = len(SECTION_LETTERS)
        macro = _ar1(rng, (n_t,), 0.95, 0.002)
        sector = _ar1(rng, (n_s, n_t), 0.9, 0.004) + macro[None, :]
        region = _ar1(rng, (len(regions), n_t), 0.9, 0.003)
        overseas = np.array([region_zone.get(r) != "metro" for r in regions])
        region[overseas] *= 1.6
        covid = np.array([SECTIONS[s].covid for s in SECTION_LETTERS])[:, None]
        energy = np.array([SECTIONS[s].energy for s in SECTION_LETTERS])[:, None]
        housing = np.array([SECTIONS[s].housing for s in SECTION_LETTERS])[:, None]

        def add(first: str, last: str, per_month: np.ndarray | float) -> None:
            sector[:, _months(timeline, first, last)] += per_month

        add("2016-01", "2019-12", 0.002)  # steady growth before 2020
        # 2020: lockdowns, a summer rebound, the second wave, then reopening in 2021.
        add("2020-03", "2020-04", -0.45 * covid - 0.04)
        add("2020-05", "2020-05", -0.20 * covid)
        add("2020-06", "2020-09", 0.05 * covid)
        add("2020-10", "2020-10", -0.10 * covid)
        add("2020-11", "2020-11", -0.25 * covid)
        add("2020-12", "2021-04", -0.05 * covid)
        add("2021-05", "2021-10", 0.10 * covid)
        add("2022-03", "2023-06", -0.012 * energy - 0.003)  # energy and input prices, PGE repayments
        add("2023-01", "2024-12", -0.015 * housing)  # construction and real-estate downturn
        add("2024-06", "2025-12", -0.003)

        spiral = np.ones(n_t)
        spiral[_months(timeline, "2020-03", "2021-09")] = 0.5  # PGE loans, solidarity fund, deferrals
        regime = np.zeros(n_t)
        regime[_months(timeline, "2020-03", "2020-06")] = np.log(0.35)  # courts closed, support
        regime[_months(timeline, "2020-07", "2021-12")] = np.log(0.6)
        regime[_months(timeline, "2022-01", "2022-06")] = np.log(0.85)  # support winds down
        regime[_months(timeline, "2023-01", "2024-12")] = np.log(1.15)  # PGE repayments, backlog
        calendar = (np.arange(n_t) + timeline.sim_start) % 12
        regime += np.where(calendar == 7, np.log(0.6), 0.0)  # August: court vacations
        regime += np.where(calendar == 11, np.log(0.85), 0.0)

        pressure = np.zeros((n_s, n_t))
        pressure[:, _months(timeline, "2020-03", "2020-05")] = 0.55 * covid + 0.10
        pressure[:, _months(timeline, "2020-06", "2020-10")] = 0.20 * covid
        pressure[:, _months(timeline, "2020-11", "2021-05")] = 0.35 * covid
        pressure[:, _months(timeline, "2021-06", "2021-12")] = 0.08 * covid

        years = (np.arange(n_t) + timeline.sim_start) / 12.0
        inflation = np.where(years < 2021.5, 0.015, np.where(years < 2023.5, 0.045, 0.025))
        wage = np.exp(np.cumsum(inflation / 12.0))
        wage /= wage[np.argmin(np.abs(years - 2020.0))]
        return cls(
            sector_drift=sector,
            region_drift=region,
            region_hazard=np.where(overseas, 0.2, 0.0),
            spiral_scale=spiral,
            hazard_regime=regime,
            ap_pressure=pressure,
            wage_index=wage,
            regions=regions,
        )
