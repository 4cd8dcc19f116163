"""The incremental panel: building it as of a batch, then again after the later deliveries were
ingested, gives the panel of a build from scratch on every delivery (rows, features and labels).

The second build rebuilds only the months whose labels can have changed and brings the facts
repeated on every row (observation limit, first opening) up to date (fct_panel_entreprise_mois).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion.landing import scan_landing
from tests.integration.dbt_panel_harness import PANEL, TinyEconomy, build_panel, ingest
from tests.integration.test_point_in_time import differences

AS_OF = "2404"  # 20 monthly batches before the end of the tiny tier: L, months and openings all move
SENTINEL = -1
LINEAGE = "dernier_chargement"  # the last file loaded when the row was computed: differs by design


def panel(warehouse: Path) -> tuple[list[str], dict[tuple, tuple]]:
    """Columns of the panel and (siren, periode) -> row."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        relation = con.sql(f"select * from marts.{PANEL}")
        columns, rows = relation.columns, relation.fetchall()
    return columns, {(r[0], r[1]): r for r in rows}


def mark_the_first_month(warehouse: Path) -> tuple[tuple, object]:
    """Write a sentinel into one row of the panel's first month (its labels are long settled, so an
    incremental build must leave it alone); return its key and true value."""
    with duckdb.connect(str(warehouse)) as con:
        siren, periode, value = con.execute(
            f"select siren, periode, eff_nb_etablissements from marts.{PANEL} order by periode, siren limit 1"
        ).fetchone()
        con.execute(
            f"update marts.{PANEL} set eff_nb_etablissements = {SENTINEL} where siren = ? and periode = ?",
            [siren, periode],
        )
    return (siren, periode), value


def restore(warehouse: Path, key: tuple, value: object) -> int:
    """Put the true value back; return what the row held."""
    with duckdb.connect(str(warehouse)) as con:
        held = con.execute(
            f"select eff_nb_etablissements from marts.{PANEL} where siren = ? and periode = ?", list(key)
        ).fetchone()[0]
        con.execute(
            f"update marts.{PANEL} set eff_nb_etablissements = ? where siren = ? and periode = ?",
            [value, *key],
        )
    return held


@pytest.mark.slow
def test_an_incremental_build_equals_a_build_from_scratch(tiny_economy: TinyEconomy, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(tiny_economy.truncated[AS_OF], warehouse)
    build_panel(warehouse, tmp_path / "dbt_as_of", full_refresh=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        months_before = con.execute(f"select max(periode) from marts.{PANEL}").fetchone()[0]

    key, value = mark_the_first_month(warehouse)

    ingest(warehouse, scan_landing(tiny_economy.landing), tmp_path / "archive")
    build_panel(warehouse, tmp_path / "dbt_incremental")
    assert restore(warehouse, key, value) == SENTINEL, f"row {key} of the first month was rebuilt"

    columns, incremental = panel(warehouse)
    expected_columns, scratch = panel(tiny_economy.full)
    assert columns == expected_columns
    assert max(p for _, p in scratch) > months_before, "the later deliveries added no month"
    # lineage: the rows rebuilt carry the last file loaded, the rows kept an earlier one
    lineage = columns.index(LINEAGE)
    months = sorted({p for _, p in incremental})
    kept = {row[lineage] for (_, p), row in incremental.items() if p == months[0]}
    rebuilt = {row[lineage] for (_, p), row in incremental.items() if p == months[-1]}
    assert len(kept) == 1 and len(rebuilt) == 1 and min(kept) < min(rebuilt), (kept, rebuilt)

    compared = [i for i, column in enumerate(columns) if column != LINEAGE]
    problems = differences(
        {key: tuple(row[i] for i in compared) for key, row in scratch.items()},
        {key: tuple(row[i] for i in compared) for key, row in incremental.items()},
        [columns[i] for i in compared],
        ("from-scratch", "incremental"),
    )
    assert not problems, "the incremental build differs from the build from scratch:\n" + "\n".join(problems)
