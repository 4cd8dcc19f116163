"""Truncation test (model.md §3.2): rebuilding the panel from the deliveries available at the end of
month m only must leave every feature of row m unchanged.

The full build ingests every batch folder of the tiny economy; each truncated build ingests only the
folders YYMM <= m. Row m of both panels is compared on every feature of the feature dictionary the
panel holds, and on the perimeter (point in time too, model.md §1). Labels are not compared: they
legitimately use the future.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import DBT_PROJECT_DIR
from tests.integration.conftest import AS_OF_BATCHES
from tests.integration.dbt_panel_harness import PANEL, TinyEconomy, build_panel

TOLERANCE = 1e-9  # float noise only (sums in a different order)
PERIMETER = ("dans_perimetre", "motif_hors_perimetre")
EXAMPLES = 3


def dictionary_features() -> list[str]:
    with (DBT_PROJECT_DIR / "seeds" / "feature_dictionary.csv").open(encoding="utf-8") as handle:
        return [row["feature"] for row in csv.DictReader(handle)]


def panel_columns(warehouse: Path) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ?",
            [PANEL],
        ).fetchall()
    return {r[0] for r in rows}


def row_m(warehouse: Path, month: dt.date, columns: list[str]) -> dict[str, tuple]:
    """siren -> values of `columns` in row m of the panel."""
    select = ", ".join(f'"{c}"' for c in columns)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(f"select siren, {select} from marts.{PANEL} where periode = ?", [month]).fetchall()
    return {r[0]: r[1:] for r in rows}


def same(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float | Decimal) or isinstance(b, float | Decimal):
        x, y = float(a), float(b)
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return math.isclose(x, y, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return a == b


def differences(
    full: dict, other: dict, columns: list[str], names: tuple[str, str] = ("full", "truncated")
) -> list[str]:
    """Rows present in one build only, then for each column the rows whose values differ (beyond
    float noise); `full` and `other` map a row key to the values of `columns`."""
    problems = []
    first, second = names
    only_full = sorted(full.keys() - other.keys())
    only_other = sorted(other.keys() - full.keys())
    if only_full or only_other:
        problems.append(
            f"rows: {len(only_full)} only in the {first} build (e.g. {only_full[:EXAMPLES]}), "
            f"{len(only_other)} only in the {second} build (e.g. {only_other[:EXAMPLES]})"
        )
    common = sorted(full.keys() & other.keys())
    for i, column in enumerate(columns):
        bad = [s for s in common if not same(full[s][i], other[s][i])]
        if bad:
            examples = ", ".join(
                f"{s}: {first}={full[s][i]!r} {second}={other[s][i]!r}" for s in bad[:EXAMPLES]
            )
            problems.append(f"{column}: {len(bad)}/{len(common)} rows differ ({examples})")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("as_of", AS_OF_BATCHES)
def test_row_m_only_uses_what_was_delivered_by_the_end_of_m(
    tiny_economy: TinyEconomy, as_of: str, tmp_path: Path
) -> None:
    month = dt.date(2000 + int(as_of[:2]), int(as_of[2:]), 1)
    truncated = tiny_economy.truncated[as_of]
    build_panel(truncated, tmp_path / "dbt")

    available = panel_columns(tiny_economy.full)
    features = [f for f in dictionary_features() if f in available]
    assert len(features) >= 10, f"the panel holds only {features} of the feature dictionary"
    columns = features + [c for c in PERIMETER if c in available]

    full_rows = row_m(tiny_economy.full, month, columns)
    truncated_rows = row_m(truncated, month, columns)
    assert len(full_rows) > 500, f"row {month} of the full panel has only {len(full_rows)} companies"

    problems = differences(full_rows, truncated_rows, columns)
    assert not problems, (
        f"row {month}: the full build differs from the build as of batch {as_of}:\n" + "\n".join(problems)
    )
