"""Benchmark of the dbt layer: wall time and peak memory of `dbt build` of the feature panel.

Generates the synthetic economy of a tier (unless its landing folder already holds deliveries),
ingests every batch but the last (idempotent: a re-run only loads new files), then runs the same
`dbt build` as the `dbt_panel` Dagster asset (every node but the publication models) in a child
process, from scratch (`--full-refresh`). It then ingests the last batch and times the monthly build
that follows, where the panel rebuilds only the months whose labels can have changed. The figures
are printed and returned; nothing is asserted (conventions: benchmarks measure, they do not judge).

    python -m tests.benchmarks.bench_dbt --tier tiny       # a few minutes, proves the script
    python -m tests.benchmarks.run --only dbt               # national tier (make bench): ~1 h

At national scale the preparation dominates: generating the go-live landing (352 files, 16 GB)
takes about 9 min and its ingestion about 22 min on 2 cores (2026-11-28, AMD EPYC); the full build
15 min and the monthly one 13 min. Run it alone, with about 100 GB of free disk (landing 16 GB,
archive 16 GB, warehouse up to 55 GB; the ingestion's temp storage, the parsed copies of the largest
files, passed 43 GB in one run, and the parser now drops each copy of a file once the next exists;
the landing batches before the last and the archive can be deleted once ingested),
and from an empty warehouse if a previous ingestion was interrupted (the loader has no per-file
transaction). A re-run on a prepared folder skips both (files already loaded are skipped; the landing
may then hold only the last batch).

Beside the slowest nodes, the report reads the build's critical path back from dbt's run_results: the
chain of nodes (models and the tests a child waits for) that set the wall time, each with its own
seconds and its wait after its predecessor finished, and the total time of every node.

Peak memory is the maximum resident set size of the dbt process (DuckDB runs inside it), read
from the kernel's accounting of the child (wait4), plus the peak of the whole process tree sampled
every 0.2 s in case dbt ever spawns workers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from orchestration.settings import DBT_PROJECT_DIR, load_settings

if TYPE_CHECKING:
    from orchestration.ingestion.landing import DeliveredFile

NAME = "dbt"
PANEL = "fct_panel_entreprise_mois"
DBT = Path(sys.executable).parent / "dbt"
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and its descendants, from /proc (0 when it is gone)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):  # the process ended meanwhile
            total += int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * PAGE
        todo.extend(children.get(pid, []))
    return total


def run_measured(command: list[str], env: dict[str, str], log: Path) -> dict[str, float]:
    """Run a command, returning its wall time, peak RSS (kernel) and peak tree RSS (sampled)."""
    peak_tree = 0
    began = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        finished = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not finished.wait(0.2):
                peak_tree = max(peak_tree, _tree_rss(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        finished.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - began
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:2])} failed (exit {process.returncode}), see {log}")
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
        "peak_tree_rss_mib": round(max(peak_tree, usage.ru_maxrss * 1024) / 2**20, 1),
        "cpu_user_seconds": round(usage.ru_utime, 2),
        "cpu_system_seconds": round(usage.ru_stime, 2),
    }


def _prepare(workdir: Path, tier: str, seed: int) -> dict[str, float]:
    from orchestration.ingestion.landing import scan_landing

    landing, figures = workdir / "landing", {}
    if not (landing.exists() and any(landing.iterdir())):
        from orchestration.run_pipeline import MONTHLY_BATCHES
        from orchestration.synthetic import TIERS, generate
        from orchestration.synthetic.timeline import index_text, month_index

        # The landing of a platform going live, as `make run` writes it: a historical extract in the
        # first batch, then MONTHLY_BATCHES monthly deliveries (the national monthly landing would
        # take hours to ingest before the measured build even starts).
        start, end = month_index(TIERS[tier].start), month_index(TIERS[tier].end)
        backfill = index_text(max(start, end - MONTHLY_BATCHES + 1))
        began = time.perf_counter()
        generate(tier, seed, landing, workdir / "truth", progress=True, backfill_until=backfill)
        figures["generate_seconds"] = round(time.perf_counter() - began, 2)
        figures["landing"] = f"historical extract in {backfill}, then monthly batches"
    began = time.perf_counter()
    delivered = scan_landing(landing)
    last = max(f.batch_key for f in delivered)
    _ingest(workdir, [f for f in delivered if f.batch_key < last])
    figures["ingest_seconds"] = round(time.perf_counter() - began, 2)
    figures["last_batch"] = last
    return figures


def _ingest(workdir: Path, files: list[DeliveredFile]) -> None:
    """Load `files` into the bench warehouse (files already loaded are skipped)."""
    from orchestration.ingestion.loader import ingest_sources
    from orchestration.ingestion.warehouse import connect
    from orchestration.sources.contract import all_contracts

    con = connect(workdir / "warehouse.duckdb")  # with the platform's DuckDB memory budget
    try:
        for contract, ingestion in ingest_sources(
            con, list(all_contracts().values()), files, workdir / "archive"
        ):
            print(f"  ingested {contract.source}: {len(ingestion.new_files)} new file(s)", flush=True)
    finally:
        con.close()


def _slowest_nodes(target: Path, count: int = 10) -> list[dict[str, object]]:
    path = target / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text())["results"]
    results.sort(key=lambda r: -(r.get("execution_time") or 0))
    return [
        {"node": r["unique_id"].split(".", 2)[-1], "seconds": round(r["execution_time"], 2)}
        for r in results[:count]
    ]


def _node_span(result: dict) -> tuple[datetime, datetime] | None:
    """When a node started (compile) and finished (execute), from its run_results timings."""
    stamps = [
        (
            datetime.fromisoformat(t["started_at"].replace("Z", "+00:00")),
            datetime.fromisoformat(t["completed_at"].replace("Z", "+00:00")),
        )
        for t in result.get("timing", [])
        if t.get("started_at") and t.get("completed_at")
    ]
    return (min(s for s, _ in stamps), max(e for _, e in stamps)) if stamps else None


def critical_path(run_results: dict, manifest: dict) -> dict[str, object]:
    """The chain of nodes that set the build's wall time, read from what happened.

    From the node that finished last, step back to the predecessor that finished last before it
    started: its parents, and in `dbt build` the tests of its parents too (a child waits for them).
    Each link records its own seconds and how long it waited after that predecessor finished
    (time lost to scheduling, not to the predecessor). Also the total of every node's time, which
    against the wall time and the number of cores says how busy the build kept the machine.
    """
    spans = {r["unique_id"]: span for r in run_results["results"] if (span := _node_span(r))}
    if not spans:
        return {}
    nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
    tests_of: dict[str, list[str]] = {}
    for uid, node in nodes.items():
        if uid.startswith("test."):
            for parent in node.get("depends_on", {}).get("nodes", []):
                tests_of.setdefault(parent, []).append(uid)

    def predecessors(uid: str) -> list[str]:
        parents = nodes.get(uid, {}).get("depends_on", {}).get("nodes", [])
        # a test waits for its model only, not for the model's other tests
        tests = (
            []
            if uid.startswith(("test.", "unit_test."))
            else [t for p in parents for t in tests_of.get(p, [])]
        )
        return [p for p in [*parents, *tests] if p in spans]

    began = min(s for s, _ in spans.values())
    chain, current = [], max(spans, key=lambda uid: spans[uid][1])
    while current:
        start, end = spans[current]
        # finished by the time it started (a second of clock slack), and started strictly earlier,
        # so that each step goes back in time and the walk ends
        before = [
            p
            for p in predecessors(current)
            if spans[p][1] <= start + timedelta(seconds=1) and spans[p][0] < start
        ]
        previous = max(before, key=lambda p: spans[p][1]) if before else None
        ready = spans[previous][1] if previous else began
        chain.append(
            {
                "node": current.split(".", 2)[-1],
                "seconds": round((end - start).total_seconds(), 1),
                "waited_seconds": round(max(0.0, (start - ready).total_seconds()), 1),
            }
        )
        current = previous
    chain.reverse()
    return {
        "nodes_seconds_total": round(sum((e - s).total_seconds() for s, e in spans.values()), 1),
        "wall_seconds": round((max(e for _, e in spans.values()) - began).total_seconds(), 1),
        "path": chain,
    }


def _critical_path(target: Path) -> dict[str, object]:
    results, manifest = target / "run_results.json", target / "manifest.json"
    if not (results.exists() and manifest.exists()):
        return {}
    return critical_path(json.loads(results.read_text()), json.loads(manifest.read_text()))


def _print_path(found: dict[str, object]) -> None:
    if not found:
        return
    links = " -> ".join(
        f"{link['node']} {link['seconds']} s (+{link['waited_seconds']})" for link in found["path"]
    )
    print(
        f"[{NAME}] critical path: {links}; node time {found['nodes_seconds_total']} s "
        f"over {found['wall_seconds']} s of wall time",
        flush=True,
    )


def _panel_size(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows, companies, months = con.execute(
            f"select count(*), count(distinct siren), count(distinct periode) from marts.{PANEL}"
        ).fetchone()
    return {"panel_rows": rows, "panel_companies": companies, "panel_months": months}


def run(tier: str = "national", seed: int = 42, workdir: Path | None = None) -> dict[str, object]:
    """Prepare the tier's warehouse (every batch but the last), time a full `dbt build`, ingest the
    last batch and time the monthly `dbt build` that follows; return the figures."""
    workdir = workdir or load_settings().data_dir / "bench" / tier
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"[{NAME}] tier {tier}, seed {seed}, in {workdir}", flush=True)
    figures: dict[str, object] = {"tier": tier, "seed": seed}
    figures.update(_prepare(workdir, tier, seed))

    warehouse, target = workdir / "warehouse.duckdb", workdir / "dbt_target"
    env = {
        **os.environ,
        "SF_WAREHOUSE_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    command = [
        str(DBT),
        "build",  # as the `dbt_panel` asset runs it (orchestration/assets/dbt.py)
        "--exclude-resource-type",
        "unit_test",
        "--exclude",
        "tag:publication",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--log-path",
        str(workdir / "dbt_logs"),
    ]
    print(f"[{NAME}] {' '.join(command[:2])} --full-refresh ...", flush=True)
    measured = run_measured([*command, "--full-refresh"], env, workdir / "dbt_build.log")
    figures["dbt_build"] = measured
    figures.update(_panel_size(warehouse))
    figures["warehouse_mib"] = round(warehouse.stat().st_size / 2**20, 1)
    figures["slowest_nodes"] = _slowest_nodes(target)
    figures["critical_path"] = _critical_path(target)
    _print_path(figures["critical_path"])
    print(
        f"[{NAME}] dbt build: {measured['seconds']} s, peak RSS {measured['peak_rss_mib']} MiB "
        f"(process tree {measured['peak_tree_rss_mib']} MiB), panel {figures['panel_rows']} rows",
        flush=True,
    )

    # The monthly run that follows: the last delivery arrives, the panel rebuilds only the months
    # whose labels can have changed (incremental), every other model is rebuilt whole.
    from orchestration.ingestion.landing import scan_landing

    _ingest(workdir, [f for f in scan_landing(workdir / "landing") if f.batch_key == figures["last_batch"]])
    try:
        monthly = run_measured(command, env, workdir / "dbt_build_monthly.log")
    except RuntimeError as failure:  # keep the full build's figures: they took half an hour
        figures["dbt_build_after_one_delivery"] = {"failed": str(failure)}
        print(f"[{NAME}] {failure}", flush=True)
        return figures
    figures["dbt_build_after_one_delivery"] = monthly
    figures["slowest_nodes_after_one_delivery"] = _slowest_nodes(target)
    figures["critical_path_after_one_delivery"] = _critical_path(target)
    _print_path(figures["critical_path_after_one_delivery"])
    print(
        f"[{NAME}] dbt build after the delivery {figures['last_batch']}: {monthly['seconds']} s, "
        f"peak RSS {monthly['peak_rss_mib']} MiB",
        flush=True,
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    from tests.benchmarks.results import record

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="national")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = run(args.tier, args.seed, args.workdir)
    print(f"[{NAME}] written to {record(NAME, figures)}")


if __name__ == "__main__":
    main()
