"""bench/results.json: one entry per benchmark, merged into the file without touching the others.

An entry holds the figures, the scale tier, the machine and the commit (conventions, Tests). Runs
on a smaller tier than national are kept under `<name>_<tier>`, so that proving a script on the
tiny tier never overwrites the national figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from orchestration.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results.json"
PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster")


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def _cpu_model() -> str | None:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return None
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else None


def machine() -> dict[str, object]:
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 2**20, 1)  # KiB -> GiB
    except OSError:
        pass
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": _cpu_model(),  # hosts of the same kind differ: CatBoost ran 3x slower on one
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": memory,
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "packages": {p: metadata.version(p) for p in PACKAGES},
    }


def commit() -> dict[str, object]:
    return {"sha": _git("rev-parse", "HEAD"), "dirty": bool(_git("status", "--porcelain"))}


def record(name: str, figures: dict[str, object], path: Path = RESULTS) -> Path:
    """Merge one benchmark's figures into the results file and return its path."""
    tier = figures.get("tier", "national")
    key = name if tier == "national" else f"{name}_{tier}"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[key] = {
        "benchmark": name,
        "tier": tier,
        "recorded_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine(),
        "figures": figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n")
    partial.replace(path)
    return path
