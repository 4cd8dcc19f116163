"""Shared test fixtures: paths to the shared real-format samples and a fresh data folder per test."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import PROJECT_ROOT

SHARED_DATA = Path(os.environ.get("SF_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"


def shared_path(*parts: str) -> Path:
    """A file of ../shared/data; the test is skipped, saying why, when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared development data not found at {path} (set SF_SHARED_DATA to its folder)")
    return path


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SF_DATA_DIR for one test, with every derived path following it."""
    for name in (
        "SF_LANDING_DIR",
        "SF_ARCHIVE_DIR",
        "SF_WAREHOUSE_PATH",
        "SF_SERVING_PATH",
        "SF_MODELS_DIR",
        "SF_SYNTHETIC_DIR",
        "DAGSTER_HOME",
        "SF_DAGSTER_PG_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SF_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"
