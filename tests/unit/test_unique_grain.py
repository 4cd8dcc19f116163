"""The generic grain test of the dbt project (tests/generic/unique_grain.sql) finds every repeated key.

The test's SQL is rendered from its dbt Jinja body and run on DuckDB tables whose duplicates are
known, including NULL key parts (grouped together, as `group by` does) and a key whose hash is
shared by construction (the exact check must not report it).
"""

from __future__ import annotations

import re
from datetime import date

import duckdb
import jinja2
import pytest

from orchestration.settings import DBT_PROJECT_DIR

SOURCE = (DBT_PROJECT_DIR / "tests" / "generic" / "unique_grain.sql").read_text(encoding="utf-8")


def grain_sql(model: str, columns: list[str]) -> str:
    body = re.search(r"{%\s*test unique_grain\(model, columns\)\s*%}(.*){%\s*endtest\s*%}", SOURCE, re.S)
    assert body, "unique_grain.sql no longer holds a `test unique_grain(model, columns)` block"
    return jinja2.Template(body.group(1)).render(model=model, columns=columns)


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        connection.sql(
            """
            create table panel as select * from (values
                ('111111111', date '2024-01-01', 1),
                ('111111111', date '2024-02-01', 2),
                ('222222222', date '2024-01-01', 3),
                ('222222222', date '2024-01-01', 4),
                ('222222222', date '2024-01-01', 5),
                (null, date '2024-01-01', 6),
                (null, date '2024-01-01', 7),
                ('333333333', null, 8)
            ) as t(siren, periode, valeur)
            """
        )
        yield connection


def test_reports_each_repeated_key_once_with_its_count(con):
    rows = con.sql(grain_sql("panel", ["siren", "periode"])).fetchall()
    assert sorted(rows, key=str) == sorted(
        [("222222222", date(2024, 1, 1), 3), (None, date(2024, 1, 1), 2)], key=str
    )


def test_passes_on_a_unique_grain(con):
    assert con.sql(grain_sql("panel", ["siren", "periode", "valeur"])).fetchall() == []


def test_a_shared_hash_is_not_a_duplicate(con):
    # two different keys forced onto one hash: only the exact grouping decides
    con.sql("create macro hash(a) as 42")
    con.sql("create table t as select * from (values ('a'), ('b')) as v(k)")
    assert con.sql(grain_sql("t", ["k"])).fetchall() == []
    con.sql("insert into t values ('a')")
    assert con.sql(grain_sql("t", ["k"])).fetchall() == [("a", 2)]
