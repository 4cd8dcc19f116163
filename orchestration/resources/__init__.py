"""Resources injected into assets: where the data lives and how to reach the warehouse."""

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster._utils.backoff import backoff
from dagster_dbt import DbtCliResource, DbtProject

from orchestration.ingestion.warehouse import duckdb_config, quiet
from orchestration.settings import load_settings


class PlatformPaths(dg.ConfigurableResource):
    """Folders and files of the platform (defaults from orchestration.settings)."""

    landing_dir: str
    archive_dir: str
    models_dir: str
    serving_path: str
    stock_reject_threshold: float = 0.05
    # Ground truth of the synthetic economy, read only by the model evaluation (oracle comparison);
    # empty: the `synthetic` folder beside the models folder.
    synthetic_dir: str = ""

    @classmethod
    def from_settings(cls) -> "PlatformPaths":
        s = load_settings()
        return cls(
            landing_dir=str(s.landing_dir),
            archive_dir=str(s.archive_dir),
            models_dir=str(s.models_dir),
            serving_path=str(s.serving_path),
            stock_reject_threshold=s.stock_reject_threshold,
            synthetic_dir=str(s.synthetic_dir),
        )


class Warehouse(dg.ConfigurableResource):
    """The single-writer DuckDB warehouse; connections retry while another process holds the lock."""

    path: str

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = backoff(
            fn=duckdb.connect,
            retry_on=(duckdb.IOException,),
            kwargs={"database": self.path, "read_only": read_only, "config": duckdb_config()},
            max_retries=10,
        )
        try:
            yield quiet(con)
        finally:
            con.close()

    @classmethod
    def from_settings(cls) -> "Warehouse":
        return cls(path=str(load_settings().warehouse_path))


def dbt_resource(project: DbtProject) -> DbtCliResource:
    """dbt from this environment, even when its bin folder is not on PATH (e.g. .venv/bin/python)."""
    local = Path(sys.executable).parent / "dbt"
    executable = str(local) if local.exists() else (shutil.which("dbt") or "dbt")
    return DbtCliResource(project_dir=project, dbt_executable=executable)
