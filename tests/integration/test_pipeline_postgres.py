"""The whole asset graph on the Dagster instance stored in the real PostgreSQL server.

The test creates its own database on 127.0.0.1:5432 and drops it at the end.
"""

from __future__ import annotations

import json
import uuid

import dagster as dg
import duckdb
import psycopg2
import pytest

from orchestration.instance import TEMPLATES
from tests.integration.pipeline_harness import PlatformDirs, generate_tiny, materialize_all

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_database():
    name = f"sf_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg2.connect(PG_ADMIN)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL must run on 127.0.0.1:5432 (trust auth, user postgres): {exc}")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'create database "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", [name]
            )
            cursor.execute(f'drop database if exists "{name}"')
        admin.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_runs_and_materializations_are_stored_in_postgres(tmp_path, monkeypatch, pg_database):
    dirs = PlatformDirs(tmp_path)
    generate_tiny(dirs)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((TEMPLATES / "dagster.postgres.yaml").read_text())
    monkeypatch.setenv("SF_DAGSTER_PG_URL", pg_database)
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    with dg.DagsterInstance.from_config(str(home)) as instance:
        first = materialize_all(dirs, instance)
        assert first.success
        versions_first = {
            key.to_user_string(): instance.get_latest_materialization_event(key).asset_materialization.tags[
                "dagster/data_version"
            ]
            for key in instance.get_asset_keys()
            if key.path[0] == "raw" and key.path[1] != "files"
        }
        second = materialize_all(dirs, instance)
        assert second.success
        versions_second = {
            key: instance.get_latest_materialization_event(
                dg.AssetKey.from_user_string(key)
            ).asset_materialization.tags["dagster/data_version"]
            for key in versions_first
        }
    assert len(versions_first) >= 6 and versions_first == versions_second  # nothing reloaded

    with psycopg2.connect(pg_database) as pg, pg.cursor() as cursor:
        cursor.execute("select run_id, status from runs")
        runs = dict(cursor.fetchall())
        assert runs.get(first.run_id) == "SUCCESS" and runs.get(second.run_id) == "SUCCESS"
        cursor.execute(
            "select asset_key, count(*) from event_logs where run_id = %s "
            "and dagster_event_type = 'ASSET_MATERIALIZATION' group by asset_key",
            [first.run_id],
        )
        materialized = {"/".join(json.loads(key)): n for key, n in cursor.fetchall()}
    for key in (
        "raw/debit",
        "raw/procol",
        "marts/fct_panel_entreprise_mois",
        "ml/modele",
        "ml/scores",
        "marts/mart_liste_detection",
        "serving/serving_duckdb",
    ):
        assert materialized.get(key) == 1, key

    # the second run found nothing new: every raw file was skipped
    with duckdb.connect(str(dirs.warehouse), read_only=True) as con:
        loads = con.sql(
            "select count(*), count(distinct (source, batch_key, sha256)) from raw.files"
        ).fetchall()[0]
    assert loads[0] == loads[1]
    with duckdb.connect(str(dirs.serving), read_only=True) as con:
        rows = con.sql("select count(*) from publication.liste_entreprises").fetchall()[0][0]
        lists = con.sql("select liste_id, nb_evaluees from meta.listes").fetchall()
    assert rows > 0 and len(lists) == 1 and lists[0][1] == rows
