"""Run the whole asset graph in-process on a tiny synthetic economy, with explicit resources."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

TEST_ITERATIONS = 300


@dataclass(frozen=True)
class PlatformDirs:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.root / "serving.duckdb"


def generate_tiny(dirs: PlatformDirs, seed: int = 7, start: str = "2021-01", end: str = "2025-12") -> None:
    from orchestration.synthetic import generate

    generate(
        tier="tiny",
        seed=seed,
        landing_dir=dirs.landing,
        truth_dir=dirs.root / "synthetic",
        start=start,
        end=end,
    )


def materialize_all(dirs: PlatformDirs, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    os.environ["SF_WAREHOUSE_PATH"] = str(dirs.warehouse)  # read by the dbt subprocess
    from orchestration.assets.dbt import dbt_project
    from orchestration.definitions import defs
    from orchestration.resources import PlatformPaths, Warehouse, dbt_resource

    # the demo group simulates new deliveries: it is launched by hand, never part of a pipeline run
    assets = [a for a in defs.assets or [] if "demo" not in getattr(a, "group_names_by_key", {}).values()]
    resources = {
        "warehouse": Warehouse(path=str(dirs.warehouse)),
        "paths": PlatformPaths(
            landing_dir=str(dirs.landing),
            archive_dir=str(dirs.root / "archive"),
            models_dir=str(dirs.root / "models"),
            serving_path=str(dirs.serving),
        ),
        "dbt": dbt_resource(dbt_project),
    }
    return dg.materialize(
        [*assets, *(defs.asset_checks or [])],
        instance=instance,
        resources=resources,
        # the depth x l2 grid is tested in test_model_assets; here the starting configuration is enough
        run_config={"ops": {"ml__modele": {"config": {"max_iterations": TEST_ITERATIONS, "grille": False}}}},
    )
