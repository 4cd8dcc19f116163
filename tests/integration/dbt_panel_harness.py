"""The tiny synthetic economy ingested batch by batch, and the dbt feature panel built on it.

Ingestion is incremental and idempotent, so loading the batch folders in order and copying the
warehouse after batch m gives exactly the warehouse of a platform that received only the batches
YYMM <= m (model.md §3.2, truncation test), at the cost of one full ingestion.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from orchestration.ingestion.landing import DeliveredFile, scan_landing
from orchestration.ingestion.loader import ingest_sources
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources.contract import all_contracts

TIER = "tiny"
SEED = 42
PANEL = "fct_panel_entreprise_mois"
DBT = Path(sys.executable).parent / "dbt"


@dataclass(frozen=True)
class TinyEconomy:
    root: Path
    landing: Path
    truth: Path
    full: Path  # every delivery ingested and the panel built
    truncated: dict[str, Path]  # as-of batch YYMM -> warehouse of the batches <= it (raw only)


def dbt_raw_sources() -> set[str]:
    """Raw tables the dbt project reads: the others need not be ingested to build the panel."""
    names: set[str] = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for source in (yaml.safe_load(path.read_text()) or {}).get("sources") or []:
            if source.get("name") == "raw":
                names.update(t["name"] for t in source.get("tables") or [])
    return names - {"files"}


def ingest(warehouse: Path, files: list[DeliveredFile], archive: Path) -> None:
    wanted = dbt_raw_sources()
    contracts = [c for c in all_contracts().values() if c.source in wanted]
    con = duckdb.connect(str(warehouse))
    try:
        for _contract, _ingestion in ingest_sources(con, contracts, files, archive):
            pass
    finally:
        con.close()


def run_dbt(arguments: list[str], warehouse: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """A dbt command on `warehouse`, with private target and log folders, so that concurrent runs
    never touch the project's manifest that the Dagster code location loads."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SF_WAREHOUSE_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [
        str(DBT),
        *arguments,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(workdir / "target"),
        "--log-path",
        str(workdir / "logs"),
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)


def build_panel(
    warehouse: Path, workdir: Path, select: str = f"+{PANEL}", full_refresh: bool = False
) -> None:
    """dbt build of the panel and its parents (seeds included, data and unit tests excluded);
    incremental when the panel already exists, unless `full_refresh`."""
    arguments = ["build", "--select", select, "--exclude-resource-type", "test", "unit_test"]
    done = run_dbt([*arguments, "--full-refresh"] if full_refresh else arguments, warehouse, workdir)
    if done.returncode != 0:
        raise RuntimeError(f"dbt build failed on {warehouse}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}")


def prepare(root: Path, as_of_batches: tuple[str, ...]) -> TinyEconomy:
    """Generate the economy, ingest it in batch order (copying the warehouse at each as-of batch),
    then build the panel on the complete warehouse."""
    from orchestration.synthetic import generate

    landing, truth = root / "landing", root / "truth"
    generate(TIER, SEED, landing, truth)
    files = scan_landing(landing)
    work, archive = root / "work.duckdb", root / "archive"
    truncated: dict[str, Path] = {}
    for batch in sorted(as_of_batches):
        ingest(work, [f for f in files if f.batch_key <= batch], archive)
        truncated[batch] = root / f"warehouse_{batch}.duckdb"
        shutil.copyfile(work, truncated[batch])
    ingest(work, files, archive)
    full = root / "warehouse_full.duckdb"
    work.rename(full)
    build_panel(full, root / "dbt_full")
    return TinyEconomy(root, landing, truth, full, truncated)
