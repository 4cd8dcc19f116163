"""Size presets of the synthetic economy."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tier:
    """One preset: how many companies, which months are delivered, how files are packed.

    `companies` counts every company the economy ever holds (existing at the start of the warm-up
    or created later), public bodies and micro-firms outside the perimeter included.
    """

    name: str
    companies: int
    start: str  # first delivered batch, YYYY-MM
    end: str  # last delivered batch, YYYY-MM
    # Months simulated before `start`: the first batch carries their flux history (an initial
    # extract, as when a source is first connected) so lags and 12-month windows exist from the start.
    warmup_months: int = 36
    # Sources delivered gzip-compressed (raw-sources §2.1 accepts `.gz` for any CSV): the national
    # Sirene stocks would otherwise take tens of gigabytes.
    gzip_sources: tuple[str, ...] = ()
    # Months between two deliveries of the heavy stocks (a full re-delivery each time): the
    # establishment history, the DGEFP exports during the 2020-2021 crisis (three times as many
    # months otherwise) and the public ratios of every statement filed so far.
    history_every: int = 1
    dgefp_every: int = 1
    slow_stock_months: int = 3


TIERS: dict[str, Tier] = {
    "tiny": Tier("tiny", 2_000, "2021-01", "2025-12"),
    "demo": Tier("demo", 30_000, "2018-01", "2025-12", history_every=3),
    "national": Tier(
        "national",
        420_000,
        "2016-01",
        "2025-12",
        gzip_sources=(
            "sirene",
            "sirene_ul",
            "sirene_histo",
            "effectif",
            "effectif_ent",
            "cotisation",
            "apdemande",
            "apconso",
            "paydex",
            "ratios_inpi_bce",
            "diane",
        ),
        history_every=3,
        dgefp_every=3,
        slow_stock_months=12,
    ),
}
