"""dbt models and seeds as assets: staging -> intermediate -> marts, dbt tests as asset checks.

The publication models (tag `publication`) read the model's scores, which are produced by a
Python asset that itself reads the marts: they form a second dbt asset definition so that the
asset graph stays acyclic at the op level (and a full refresh of the panel never touches the
published lists).
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.settings import DBT_PROJECT_DIR, export_environment

export_environment()  # the dbt subprocess finds the warehouse through SF_WAREHOUSE_PATH
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()

LAYER_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class SignauxFaiblesTranslator(DagsterDbtTranslator):
    """Keys follow the warehouse schema (`staging/stg_sirene`), groups follow the layer folders."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        schema = dbt_resource_props.get("config", {}).get("schema") or "main"
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        folder = dbt_resource_props.get("fqn", [None, None])[1]
        return LAYER_GROUPS.get(folder, "marts")


translator = SignauxFaiblesTranslator()

# Unit tests check the SQL, not the data: they run in CI (tests/integration/test_dbt_unit_tests.py),
# not at every materialization, where those on an incremental model's existing table (`this`) would
# fail on a first build.
BUILD = ["build", "--exclude-resource-type", "unit_test"]


class PanelBuild(dg.Config):
    """The feature panel is incremental by month: a run rebuilds only the months whose labels can
    have changed. A full refresh rebuilds every month (needed after a change of the panel's code)."""

    full_refresh: bool = False


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    exclude="tag:publication",
    name="dbt_panel",
)
def dbt_panel(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: PanelBuild):
    """Seeds, staging, intermediate and marts (the feature panel and the target)."""
    arguments = [*BUILD, "--full-refresh"] if config.full_refresh else BUILD
    yield from dbt.cli(arguments, context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select="tag:publication",
    name="dbt_publication",
)
def dbt_publication(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The published detection lists (incremental: published rows are never rewritten)."""
    yield from dbt.cli(BUILD, context=context).stream()
