"""The dbt unit tests (`unit_tests:` in dbt_project/models/*/_unit_tests.yml) under pytest.

dbt reads the column types of a unit test's inputs from the warehouse, so the models are first
built empty (`--empty`) on a warehouse holding only the raw schema of the data contracts.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion.warehouse import ensure_raw_schema
from tests.integration.dbt_panel_harness import run_dbt


@pytest.mark.slow
def test_dbt_unit_tests_pass(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_raw_schema(con)
    empty = run_dbt(
        ["build", "--empty", "--exclude", "tag:publication", "--exclude-resource-type", "test", "unit_test"],
        warehouse,
        tmp_path,
    )
    assert empty.returncode == 0, f"dbt build --empty failed:\n{empty.stdout[-6000:]}"

    done = run_dbt(["test", "--select", "test_type:unit"], warehouse, tmp_path)
    assert " unit_test " in done.stdout, f"no dbt unit test found:\n{done.stdout[-3000:]}"
    assert done.returncode == 0, "dbt unit tests failed:\n" + done.stdout[-8000:]
