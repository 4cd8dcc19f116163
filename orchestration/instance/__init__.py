"""The Dagster instance: SQLite under DAGSTER_HOME by default, PostgreSQL when SF_DAGSTER_PG_URL is set."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.settings import Settings, load_settings

TEMPLATES = Path(__file__).parent


def template_for(settings: Settings) -> Path:
    name = "dagster.postgres.yaml" if settings.dagster_pg_url else "dagster.sqlite.yaml"
    return TEMPLATES / name


def prepare_dagster_home(settings: Settings | None = None) -> Path:
    """Write $DAGSTER_HOME/dagster.yaml from the right template and export DAGSTER_HOME."""
    settings = settings or load_settings()
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    content = template_for(settings).read_text()
    target = home / "dagster.yaml"
    if not target.exists() or target.read_text() != content:
        target.write_text(content)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
