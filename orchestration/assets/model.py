"""Model assets: train a release (selection + thresholds + refit), then score the latest month.

Training is deterministic (fixed seed and thread count), so a release is identified by the
fingerprint of its inputs: when neither the panel nor the dictionary nor the parameters changed,
the stored model is reused instead of being trained again.
"""

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg

from models.dictionary import load_dictionary
from models.release import model_card, model_card_markdown, train_release
from models.scoring import score_list
from models.store import load_model, save_model
from models.training import TrainedModel
from orchestration.ingestion.loader import data_version
from orchestration.resources import PlatformPaths, Warehouse
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources.contract import all_contracts

GROUP = "modele"
DICTIONARY_PATH = DBT_PROJECT_DIR / "seeds" / "feature_dictionary.csv"
PANEL = "marts.fct_panel_entreprise_mois"
REGISTRY_DDL = """
create table if not exists ml.modeles (
    version varchar primary key, empreinte varchar not null, chemin varchar not null,
    seuil_fort double not null, seuil_modere double not null, meilleure_iteration integer,
    metriques json, cree_le timestamp not null
)"""
SCORES_DDL = """
create table if not exists ml.scores (
    liste_id varchar not null, liste_libelle varchar not null, revision integer not null,
    periode_donnees date not null, siren varchar not null, probabilite double not null,
    niveau_alerte varchar not null, seuil_fort double not null, seuil_modere double not null,
    contrib_base double not null, contrib_sante_financiere double not null,
    contrib_dette_urssaf double not null, contrib_retards_paiement double not null,
    contrib_activite_partielle double not null, contrib_effectif_contexte double not null,
    contrib_detail json, raison_1 varchar, raison_2 varchar, raison_3 varchar, raisons_detail json,
    version_modele varchar not null, version_features varchar not null, versions_donnees json,
    date_generation timestamp not null,
    primary key (liste_id, revision, siren)
)"""


class ModelConfig(dg.Config):
    max_iterations: int = 5000
    panel_start: str = "2016-01-01"
    margin_months: int = 1


def _data_versions(con) -> dict[str, str]:
    return {source: data_version(con, source)[:16] for source in all_contracts()}


def _panel_fingerprint(con, features: list[str]) -> str:
    # Floating-point aggregates of a parallel engine can differ in their last bits from one build to
    # the next: rounding keeps the fingerprint stable when the data did not really change.
    types = dict(con.execute(f"select column_name, column_type from (describe {PANEL})").fetchall())
    columns = ", ".join(
        f"round({name}, 6)" if types.get(name) in ("DOUBLE", "FLOAT") else name
        for name in ["siren", "periode", "cible", "statut_cible", "dans_perimetre", *features]
    )
    checksum = con.execute(f"select count(*), sum(hash({columns})::hugeint) from {PANEL}").fetchall()[0]
    return hashlib.sha256(json.dumps(checksum, default=str).encode()).hexdigest()


@dg.asset(
    key=dg.AssetKey(["ml", "modele"]),
    group_name=GROUP,
    deps=[
        dg.AssetKey(["marts", "fct_panel_entreprise_mois"]),
        dg.AssetKey(["reference", "feature_dictionary"]),
    ],
    kinds={"catboost"},
    description="Release CatBoost model (model.md §5-§7), stored content-addressed under data/models/.",
)
def modele(
    context: dg.AssetExecutionContext, config: ModelConfig, warehouse: Warehouse, paths: PlatformPaths
) -> dg.MaterializeResult:
    dictionary = load_dictionary(DICTIONARY_PATH)
    with warehouse.connect() as con:
        con.execute("create schema if not exists ml")
        con.execute(REGISTRY_DDL)
        fingerprint = hashlib.sha256(
            f"{_panel_fingerprint(con, dictionary.features)}|{dictionary.digest}|{config.model_dump_json()}".encode()
        ).hexdigest()
        existing = con.execute(
            "select version, chemin, metriques from ml.modeles where empreinte = ?", [fingerprint]
        ).fetchall()
        if existing:
            version, path, metrics = existing[0]
            context.log.info(f"inputs unchanged: reusing model {version}")
            return dg.MaterializeResult(
                metadata={
                    "version": version,
                    "chemin": path,
                    "reutilise": True,
                    "metriques_validation": dg.MetadataValue.json(json.loads(metrics)),
                },
                data_version=dg.DataVersion(version),
            )
        decision = con.execute(f"select max(periode) from {PANEL}").fetchall()[0][0]
        columns = ", ".join(
            ["siren", "periode", "cible", "statut_cible", "dans_perimetre", *dictionary.features]
        )
        panel = con.execute(
            f"select {columns} from {PANEL} where dans_perimetre and statut_cible in ('positif', 'negatif') "
            "order by siren, periode"  # a fixed row order makes training reproducible
        ).df()
        versions = _data_versions(con)
    context.log.info(f"training on {len(panel)} labelled rows, decision month {decision}")
    release = train_release(
        panel,
        dictionary,
        decision,
        dt.date.fromisoformat(config.panel_start),
        margin_months=config.margin_months,
        params={"iterations": config.max_iterations},
    )
    card = model_card(release, dictionary, versions)
    card["empreinte_entrees"] = fingerprint
    version_dir = save_model(release.model.model, card, model_card_markdown(card), Path(paths.models_dir))
    version = version_dir.name
    metrics = release.validation_metrics
    with warehouse.connect() as con:
        con.execute(
            "insert or replace into ml.modeles values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                version,
                fingerprint,
                str(version_dir),
                release.fort.value,
                release.modere.value,
                release.selection.best_iteration,
                json.dumps(metrics),
                dt.datetime.now(),
            ],
        )
    return dg.MaterializeResult(
        metadata={
            "version": version,
            "chemin": str(version_dir),
            "reutilise": False,
            "seuil_fort": release.fort.value,
            "seuil_modere": release.modere.value,
            "auc_roc_validation": metrics["auc_roc"],
            "average_precision_validation": metrics["average_precision"],
            "meilleure_iteration": release.selection.best_iteration,
            "metriques_validation": dg.MetadataValue.json(metrics),
        },
        data_version=dg.DataVersion(version),
    )


@dg.asset(
    key=dg.AssetKey(["ml", "scores"]),
    group_name=GROUP,
    deps=[dg.AssetKey(["ml", "modele"])],
    kinds={"catboost", "duckdb"},
    description="Scores, theme contributions and reasons of every in-scope company for the latest data month.",
)
def scores(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    dictionary = load_dictionary(DICTIONARY_PATH)
    with warehouse.connect() as con:
        con.execute("create schema if not exists ml")
        con.execute(SCORES_DDL)
        version, path, t_fort, t_modere = con.execute(
            "select version, chemin, seuil_fort, seuil_modere from ml.modeles order by cree_le desc limit 1"
        ).fetchall()[0]
        month = con.execute(f"select max(periode) from {PANEL}").fetchall()[0][0]
        rows = con.execute(
            f"select * from {PANEL} where periode = ? and dans_perimetre and statut_cible <> 'post_ouverture'",
            [month],
        ).df()
        versions = _data_versions(con)
        liste_id = month.strftime("%Y-%m")
        previous = con.execute(
            "select revision, version_modele, versions_donnees from ml.scores where liste_id = ? "
            "order by revision desc limit 1",
            [liste_id],
        ).fetchall()
    versions_json = json.dumps(versions, ensure_ascii=False, default=str)
    if previous and previous[0][1] == version and json.loads(previous[0][2]) == versions:
        context.log.info(f"list {liste_id} already scored with model {version} on the same data")
        return dg.MaterializeResult(
            metadata={"liste_id": liste_id, "revision": previous[0][0], "inchange": True}
        )
    revision = previous[0][0] + 1 if previous else 0
    model, _card = load_model(Path(path))
    trained = TrainedModel(model, {}, 0, dictionary.features, dictionary.categorical, 0, 0)
    frame = score_list(
        trained,
        rows,
        dictionary,
        t_fort=t_fort,
        t_modere=t_modere,
        month=month,
        model_version=version,
        features_version=dictionary.digest[:16],
        data_versions=versions,
        revision=revision,
    )
    frame["versions_donnees"] = versions_json
    with warehouse.connect() as con:
        con.register("nouveaux_scores", frame)
        con.execute("insert into ml.scores by name select * from nouveaux_scores")
    counts = frame["niveau_alerte"].value_counts().to_dict()
    return dg.MaterializeResult(
        metadata={
            "liste_id": liste_id,
            "revision": revision,
            "nb_evaluees": len(frame),
            "nb_fort": int(counts.get("fort", 0)),
            "nb_modere": int(counts.get("modere", 0)),
            "version_modele": version,
        }
    )
