"""`make bench`: run every benchmark of this folder (modules `bench_*.py` with a `run(tier, seed)`
function) on the national tier, and merge their figures into bench/results.json.

    python -m tests.benchmarks.run                  # all, national tier (dbt first)
    python -m tests.benchmarks.run --only dbt --tier tiny
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil

import tests.benchmarks as package
from tests.benchmarks.results import record

# Benchmarks that others read from run first: bench_dbt prepares data/bench/<tier>/warehouse.duckdb,
# whose panel bench_model trains on.
FIRST = ("dbt",)


def benchmarks() -> dict[str, object]:
    """Benchmark name -> module, for every `bench_<name>` module of the package."""
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("bench_"):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            found[getattr(module, "NAME", info.name.removeprefix("bench_"))] = module
    return found


def main(argv: list[str] | None = None) -> None:
    available = benchmarks()
    parser = argparse.ArgumentParser(description="Run the benchmarks and record bench/results.json.")
    parser.add_argument(
        "--only", action="append", choices=sorted(available), help="benchmark to run (repeatable)"
    )
    parser.add_argument("--tier", default="national")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    selected = args.only or list(available)
    for name in sorted(selected, key=lambda n: (n not in FIRST, n)):
        figures = available[name].run(tier=args.tier, seed=args.seed)
        print(f"[{name}] written to {record(name, figures)}")


if __name__ == "__main__":
    main()
