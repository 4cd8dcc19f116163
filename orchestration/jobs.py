"""Jobs of the code location."""

import dagster as dg

pipeline_complet = dg.define_asset_job(
    name="pipeline_complet",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("demo"),
    description="Landing files -> raw tables -> dbt panel -> model -> scores -> list -> serving file.",
)

ingestion = dg.define_asset_job(
    name="ingestion",
    selection=dg.AssetSelection.groups("ingestion"),
    description="Load every new delivery of the landing folder into the raw tables.",
)
