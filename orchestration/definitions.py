"""The Dagster code location: assembles the pieces, holds no logic."""

import dagster as dg

from orchestration.assets.dbt import dbt_panel, dbt_project, dbt_publication
from orchestration.assets.demo import livraison_suivante
from orchestration.assets.ingestion import files_registry, ingestion_brute
from orchestration.assets.model import (
    additivite_contributions,
    evaluation,
    explications,
    jeu_entrainement,
    modele,
    promotion,
    raisons_alertes,
    scores,
)
from orchestration.assets.publication import drapeaux_listes, serving_duckdb
from orchestration.checks.raw import raw_checks
from orchestration.jobs import ingestion, pipeline_complet
from orchestration.resources import PlatformPaths, Warehouse, dbt_resource
from orchestration.schedules import pipeline_mensuel
from orchestration.sensors.landing import capteur_depot

defs = dg.Definitions(
    assets=[
        ingestion_brute,
        files_registry,
        dbt_panel,
        jeu_entrainement,
        modele,
        evaluation,
        scores,
        explications,
        dbt_publication,
        drapeaux_listes,
        serving_duckdb,
        livraison_suivante,
    ],
    asset_checks=[*raw_checks, promotion, additivite_contributions, raisons_alertes],
    jobs=[pipeline_complet, ingestion],
    sensors=[capteur_depot],
    schedules=[pipeline_mensuel],
    resources={
        "warehouse": Warehouse.from_settings(),
        "paths": PlatformPaths.from_settings(),
        "dbt": dbt_resource(dbt_project),
    },
    # One writer at a time on the DuckDB warehouse: steps run one after the other.
    executor=dg.in_process_executor,
)
