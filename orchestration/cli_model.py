"""`sf model ...`: the model's commands (benchmark on any tabular data set)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click


@click.group("model")
def model() -> None:
    """The prediction model (model.md)."""


@model.command("benchmark")
@click.option(
    "--data",
    "data_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Tabular CSV (header line, comma-separated, empty cell = missing value).",
)
@click.option(
    "--target", required=True, help="Binary target column (1/true/yes, or the minority value, is positive)."
)
@click.option("--group", help="Group column (e.g. a company id): a group is never on both sides of a split.")
@click.option("--time", "time_column", help="Time column: train on earlier values, test on the latest value.")
@click.option(
    "--folds",
    type=int,
    help="Stratified K-fold cross-validation (grouped by --group). Default 5 without --time.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the folds and of CatBoost.")
@click.option("--max-iterations", type=int, help="Cap on boosting iterations (default: the model's, 5000).")
@click.option(
    "--baseline", is_flag=True, help="Also run a plain CatBoost (default parameters) under the same folds."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON report to this file."
)
def benchmark(
    data_path: Path,
    target: str,
    group: str | None,
    time_column: str | None,
    folds: int | None,
    seed: int,
    max_iterations: int | None,
    baseline: bool,
    out: Path | None,
) -> None:
    """Train and evaluate the platform's model on any tabular CSV; print one JSON object.

    The same code as the monthly release runs on every split: early stopping and the two alert
    thresholds (F0.5 "fort", F2 "modere") on a validation set taken from the training part, then a
    refit on the whole training part, scored once on the test part.
    """
    from models.benchmark import BenchmarkError, load_csv, run_benchmark

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        data = load_csv(data_path, target, group=group, time_column=time_column)
        report = run_benchmark(data, folds=folds, seed=seed, max_iterations=max_iterations, baseline=baseline)
    except BenchmarkError as exc:
        click.echo(f"sf model benchmark: {exc}", err=True)
        sys.exit(2)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    click.echo(text)
