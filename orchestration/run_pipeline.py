"""`sf run` / `make run`: synthetic deliveries if none, then the complete job on the local instance."""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb

from orchestration.settings import Settings, export_environment, load_settings

# Step-level progress on the terminal; the full debug event log stays in the Dagster UI.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def _landing_has_deliveries(settings: Settings) -> bool:
    return settings.landing_dir.exists() and any(settings.landing_dir.iterdir())


# A first run ingests 24 monthly batches: the first one holds a one-off historical extract of the
# earlier months (as when a platform goes live), instead of one batch per month since the tier's start.
MONTHLY_BATCHES = 24
# Months the economy runs past the landing, so that `demo/livraison_suivante` can drop further batches.
MONTHS_TO_COME = 6


def _generate(settings: Settings, tier: str, seed: int, echo: Callable[[str], None]) -> None:
    from orchestration.synthetic import TIERS, generate
    from orchestration.synthetic.timeline import index_text, month_index

    start, end = month_index(TIERS[tier].start), month_index(TIERS[tier].end)
    backfill = index_text(max(start, end - MONTHLY_BATCHES + 1))
    horizon = index_text(end + MONTHS_TO_COME)
    echo(
        f"Generating the synthetic economy (tier {tier}, seed {seed}) into {settings.landing_dir}: "
        f"a historical extract in batch {backfill}, then monthly batches to {index_text(end)} "
        f"(economy built to {horizon}) ..."
    )
    summary = generate(
        tier=tier,
        seed=seed,
        landing_dir=settings.landing_dir,
        truth_dir=settings.synthetic_dir,
        progress=True,
        horizon=horizon,
        backfill_until=backfill,
    )
    echo(f"  {summary}")


def list_summary(serving_path) -> dict[str, object] | None:
    """The latest published list of the serving file."""
    if not serving_path.exists():
        return None
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        rows = con.execute(
            "select liste_id, liste_libelle, nb_evaluees, nb_fort, nb_modere from meta.listes "
            "order by liste_id desc limit 1"
        ).fetchall()
    finally:
        con.close()
    if not rows:
        return None
    liste_id, libelle, evaluees, fort, modere = rows[0]
    return {"liste_id": liste_id, "libelle": libelle, "evaluees": evaluees, "fort": fort, "modere": modere}


def run_pipeline(
    tier: str | None, seed: int | None, echo: Callable[[str], None] = print, grid: bool = False
) -> bool:
    settings = load_settings()
    export_environment(settings)
    from orchestration.instance import prepare_dagster_home

    home = prepare_dagster_home(settings)
    if not _landing_has_deliveries(settings):
        _generate(settings, tier or settings.tier, seed if seed is not None else settings.seed, echo)

    import dagster as dg

    from orchestration.definitions import defs

    started = time.monotonic()
    echo(f"Running job pipeline_complet (Dagster instance: {home}) ...")
    if not grid:
        echo("Model: starting configuration (depth 6, l2 3); `sf run --grille` runs the 9-cell grid.")
    run_config = {**QUIET_CONSOLE, "ops": {"ml__modele": {"config": {"grille": grid}}}}
    with dg.DagsterInstance.get() as instance:
        result = defs.resolve_job_def("pipeline_complet").execute_in_process(
            instance=instance, run_config=run_config
        )
    elapsed = time.monotonic() - started
    if not result.success:
        echo(
            f"The pipeline failed after {elapsed:.0f} s: see the run {result.run_id} in the Dagster UI (make dev)."
        )
        return False
    summary = list_summary(settings.serving_path)
    echo("")
    echo(f"Pipeline finished in {elapsed:.0f} s (run {result.run_id}).")
    if summary:
        echo(f"Published list: {summary['liste_id']} ({summary['libelle']})")
        echo(f"  companies scored:        {summary['evaluees']}")
        echo(f"  alertes élevées (fort):  {summary['fort']}")
        echo(f"  alertes modérées:        {summary['modere']}")
    echo("")
    echo("Open the Dagster UI:      make dev        (http://localhost:3000)")
    echo("Open the dashboard:       make dashboard  (http://localhost:8501)")
    echo(
        f"Query the serving file:   .venv/bin/duckdb {settings.serving_path}  (or: duckdb data/serving.duckdb)"
    )
    return True
