"""Session fixtures shared by the dbt panel integration tests (point in time, independent recompute)."""

from __future__ import annotations

import pytest

from tests.integration.dbt_panel_harness import TinyEconomy, prepare

# As-of months of the truncation test (model.md §3.2): the month before a headcount delivery, a
# delivery month, and a month near the end of the tiny tier (2021-01 to 2025-12).
AS_OF_BATCHES = ("2303", "2404", "2511")


@pytest.fixture(scope="session")
def tiny_economy(tmp_path_factory: pytest.TempPathFactory) -> TinyEconomy:
    """The tiny economy (seed 42), ingested, with the panel built on the complete warehouse and a
    raw-only copy of the warehouse as of each of AS_OF_BATCHES."""
    return prepare(tmp_path_factory.mktemp("tiny_economy"), AS_OF_BATCHES)
