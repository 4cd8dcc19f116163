"""Model assets: training set -> release model (+ blocking promotion check) -> evaluation -> scores
of the latest month -> explanation table.

Training is deterministic (fixed seed and thread count), so a release is identified by the
fingerprint of its inputs: when neither the panel nor the dictionary nor the parameters changed,
the stored training set, model and evaluation are reused instead of being computed again.

Promotion: `ml/modele` registers a *candidate*; its blocking check `promotion` compares the
candidate's validation average precision with the currently promoted model's and promotes it only
when the drop stays within the tolerance (default: 5 % relative, see PromotionConfig). Scores always
use the latest *promoted* model, so a refused candidate never reaches a list.
"""

import datetime as dt
import hashlib
import json
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
from pydantic import Field

from models.dictionary import load_dictionary
from models.evaluation import evaluation_report, json_safe
from models.release import (
    GRID_DEPTHS,
    GRID_L2,
    hyperparameter_grid,
    model_card,
    model_card_markdown,
    run_backtest,
    train_release,
)
from models.scoring import score_list
from models.splits import backtest_for, windows_for
from models.store import file_sha256, load_model, save_model
from models.training import (
    MAX_SAMPLED_NEGATIVES,
    NEGATIVE_SHARE,
    TrainedModel,
    capped_negative_share,
    read_training_set,
)
from orchestration.ingestion.loader import data_version
from orchestration.resources import PlatformPaths, Warehouse
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources.contract import all_contracts

GROUP = "modele"
DICTIONARY_PATH = DBT_PROJECT_DIR / "seeds" / "feature_dictionary.csv"
PANEL = "marts.fct_panel_entreprise_mois"
KEY_COLUMNS = ["siren", "periode", "cible", "statut_cible", "dans_perimetre"]
# Panel columns kept beside the inputs for the evaluation breakdowns (when the panel has them).
BREAKDOWNS = {"region": "ctx_region", "section_naf": "ctx_naf_section", "tranche_effectif": "eff_effectif"}
ORACLE_FILE = "oracle.parquet"

TRAINING_SETS_DDL = """
create table if not exists ml.jeux_entrainement (
    empreinte varchar primary key, chemin varchar not null, sha256 varchar not null,
    mois_decision date not null, debut_panel date not null, marge_mois integer not null,
    part_negatifs double not null, debut_lignes_completes date not null,
    lignes bigint not null, positifs bigint not null, cree_le timestamp not null
)"""
REGISTRY_DDL = """
create table if not exists ml.modeles (
    version varchar primary key, empreinte varchar not null, chemin varchar not null,
    seuil_fort double not null, seuil_modere double not null, meilleure_iteration integer,
    metriques json, cree_le timestamp not null
)"""
REGISTRY_MIGRATIONS = (
    "alter table ml.modeles add column if not exists jeu_entrainement varchar",
    "alter table ml.modeles add column if not exists materialise_le timestamp",
    "alter table ml.modeles add column if not exists promu_le timestamp",
)
EVALUATIONS_DDL = """
create table if not exists ml.evaluations (
    version varchar primary key, rapport json not null, chemin varchar not null, cree_le timestamp not null
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
CONTRIBUTIONS_DDL = """
create table if not exists ml.liste_contributions (
    liste_id varchar not null, revision integer not null, siren varchar not null,
    code_variable varchar not null, code_theme varchar not null, sens varchar not null,
    rang integer not null, contribution double not null, valeur json, date_reference date,
    confidentiel boolean not null,
    primary key (liste_id, revision, siren, code_variable)
)"""
TOP_CONTRIBUTIONS = 15  # product.md §4.2: the 15 base variables with the largest |contribution|
CONTRIBUTION_DETAIL_TYPE = (
    '[{"theme":"VARCHAR","variable":"VARCHAR","contribution":"DOUBLE","valeur":"JSON",'
    '"date_reference":"DATE","confidentiel":"BOOLEAN"}]'
)
ADDITIVITY_TOLERANCE = 1e-9  # model.md §9: contrib_base + sum of themes = probabilite


class TrainingSetConfig(dg.Config):
    panel_start: str = "2016-01-01"
    margin_months: int = 1
    negative_share: float = NEGATIVE_SHARE
    max_sampled_negatives: int | None = MAX_SAMPLED_NEGATIVES  # lowers the share on large panels


class ModelConfig(dg.Config):
    """`grille`: choose depth x l2_leaf_reg among the cells `grille_profondeurs` x `grille_l2` (the 9
    of model.md §7.1 by default) by validation AP, one selection fit per cell, replayed by the
    evaluation's backtest; off, the starting configuration (6, 3)."""

    max_iterations: int = 5000
    grille: bool = True
    grille_profondeurs: list[int] = Field(default_factory=lambda: list(GRID_DEPTHS))
    grille_l2: list[float] = Field(default_factory=lambda: list(GRID_L2))


class PromotionConfig(dg.Config):
    """A candidate whose validation AP is below the promoted model's by more than `tolerance` is
    refused. `mode` "relative" (default) compares the drop with the promoted AP (0.05 = 5 %): AP
    depends on the prevalence, so a relative drop means the same at 2 % and at 5 % prevalence;
    "absolute" compares the raw difference. `force` promotes anyway (a documented exception)."""

    tolerance: float = 0.05
    mode: str = "relative"
    force: bool = False


def _data_versions(con) -> dict[str, str]:
    return {source: data_version(con, source)[:16] for source in all_contracts()}


def _panel_columns(con) -> dict[str, str]:
    return dict(con.execute(f"select column_name, column_type from (describe {PANEL})").fetchall())


def _panel_fingerprint(con, columns: list[str]) -> str:
    # Floating-point aggregates of a parallel engine can differ in their last bits from one build to
    # the next: rounding keeps the fingerprint stable when the data did not really change.
    types = _panel_columns(con)
    expressions = ", ".join(
        f"round({name}, 6)" if types.get(name) in ("DOUBLE", "FLOAT") else name for name in columns
    )
    checksum = con.execute(f"select count(*), sum(hash({expressions})::hugeint) from {PANEL}").fetchall()[0]
    return hashlib.sha256(json.dumps(checksum, default=str).encode()).hexdigest()


def _sha(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _ensure_registry(con) -> None:
    con.execute("create schema if not exists ml")
    con.execute(REGISTRY_DDL)
    for statement in REGISTRY_MIGRATIONS:
        con.execute(statement)


def write_training_set(
    con,
    columns: list[str],
    target: Path,
    panel_start: dt.date,
    margin_months: int,
    share: float,
    max_sampled_negatives: int | None = MAX_SAMPLED_NEGATIVES,
) -> dict:
    """Write the labelled in-scope panel rows to `target` (Parquet) with their sample weight `poids`.

    Every positive row has weight 1; a deterministic share of the negative rows (DuckDB hash of
    siren and month) has weight 1 / share, the others 0: `share`, lowered when it would sample more
    than `max_sampled_negatives` rows (models.training.capped_negative_share; returned as
    `part_negatifs`). Rows from the start of the backtest's validation window onwards are all kept
    (V and the test window need the natural prevalence); earlier rows of weight 0 are dropped,
    which is what keeps the national panel in memory.
    """
    decision = con.execute(f"select max(periode) from {PANEL}").fetchall()[0][0]
    release_windows = windows_for(decision, panel_start, margin_months)
    complete_from = backtest_for(release_windows).windows.validation_start
    negatives = con.execute(
        f"select count(*) from {PANEL} where dans_perimetre and statut_cible = 'negatif' and periode >= ?",
        [panel_start],
    ).fetchall()[0][0]
    share = capped_negative_share(negatives, share, max_sampled_negatives)
    keep = (
        "true"
        if share >= 1
        else f"hash(siren || '|' || cast(periode as varchar)) % 1000000 < {round(share * 1_000_000)}"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    con.execute(
        f"""copy (
              select {", ".join(columns)},
                     cast(case when cible = 1 then 1 when {keep} then {1 / share if share < 1 else 1}
                               else 0 end as double) as poids
              from {PANEL}
              where dans_perimetre and statut_cible in ('positif', 'negatif')
                and periode >= ? and (cible = 1 or periode >= ? or {keep})
              order by siren, periode  -- a fixed row order makes training reproducible
            ) to '{tmp}' (format parquet, compression zstd)""",
        [panel_start, complete_from],
    )
    tmp.replace(target)
    rows, positives = con.execute(
        f"select count(*), coalesce(sum(cible), 0) from read_parquet('{target}')"
    ).fetchall()[0]
    return {
        "mois_decision": decision,
        "lignes_completes_depuis": complete_from,
        "lignes": rows,
        "positifs": int(positives),
        "negatifs_etiquetes": int(negatives),
        "part_negatifs": share,
    }


# --- training set ----------------------------------------------------------------------------------


@dg.asset(
    key=dg.AssetKey(["ml", "jeu_entrainement"]),
    group_name=GROUP,
    deps=[
        dg.AssetKey(["marts", "fct_panel_entreprise_mois"]),
        dg.AssetKey(["reference", "feature_dictionary"]),
    ],
    kinds={"duckdb", "parquet"},
    description=(
        "Labelled in-scope panel rows as Parquet (model.md §7.2), with the sample weight `poids`: every "
        "positive, a deterministic 25 % of negatives weighted 4 (hash of siren and month; a lower share, "
        "weighted 1 / share, when 25 % would exceed 3 million rows, as at national scale), and every row "
        "of the validation and test windows (kept whole, at the natural prevalence)."
    ),
)
def jeu_entrainement(
    context: dg.AssetExecutionContext, config: TrainingSetConfig, warehouse: Warehouse, paths: PlatformPaths
) -> dg.MaterializeResult:
    dictionary = load_dictionary(DICTIONARY_PATH)
    with warehouse.connect() as con:
        con.execute("create schema if not exists ml")
        con.execute(TRAINING_SETS_DDL)
        available = _panel_columns(con)
        extras = [c for c in BREAKDOWNS.values() if c in available and c not in dictionary.features]
        columns = [*KEY_COLUMNS, *dictionary.features, *extras]
        fingerprint = _sha(
            _panel_fingerprint(con, [*KEY_COLUMNS, *dictionary.features]),
            dictionary.digest,
            ",".join(extras),
            config.model_dump_json(),
        )
        existing = con.execute(
            "select chemin, sha256, lignes, positifs from ml.jeux_entrainement where empreinte = ?",
            [fingerprint],
        ).fetchall()
        if existing and Path(existing[0][0]).exists():
            path, digest, rows, positives = existing[0]
            context.log.info(f"panel unchanged: reusing training set {path}")
            return dg.MaterializeResult(
                metadata={
                    "chemin": path,
                    "sha256": digest,
                    "lignes": rows,
                    "positifs": positives,
                    "reutilise": True,
                },
                data_version=dg.DataVersion(fingerprint[:16]),
            )
        panel_start = dt.date.fromisoformat(config.panel_start)
        target = Path(paths.models_dir) / "jeux_entrainement" / f"{fingerprint[:16]}.parquet"
        extract = write_training_set(
            con,
            columns,
            target,
            panel_start,
            config.margin_months,
            config.negative_share,
            config.max_sampled_negatives,
        )
        decision, complete_from = extract["mois_decision"], extract["lignes_completes_depuis"]
        rows, positives, share = extract["lignes"], extract["positifs"], extract["part_negatifs"]
        digest = file_sha256(target)
        con.execute(
            "insert or replace into ml.jeux_entrainement values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                fingerprint,
                str(target),
                digest,
                decision,
                panel_start,
                config.margin_months,
                share,
                complete_from,
                rows,
                int(positives),
                dt.datetime.now(),
            ],
        )
    context.log.info(f"training set: {rows} rows ({positives} positive) -> {target}")
    return dg.MaterializeResult(
        metadata={
            "chemin": dg.MetadataValue.path(str(target)),
            "sha256": digest,
            "lignes": rows,
            "positifs": int(positives),
            "mois_decision": str(decision),
            "lignes_completes_depuis": str(complete_from),
            "part_negatifs": share,
            "reutilise": False,
        },
        data_version=dg.DataVersion(fingerprint[:16]),
    )


def _latest_training_set(con) -> tuple:
    rows = con.execute(
        "select empreinte, chemin, mois_decision, debut_panel, marge_mois, part_negatifs "
        "from ml.jeux_entrainement order by cree_le desc limit 1"
    ).fetchall()
    if not rows:
        raise dg.Failure("no training set: materialise ml/jeu_entrainement first")
    return rows[0]


# --- model -----------------------------------------------------------------------------------------


@dg.asset(
    key=dg.AssetKey(["ml", "modele"]),
    group_name=GROUP,
    deps=[dg.AssetKey(["ml", "jeu_entrainement"])],
    kinds={"catboost"},
    description=(
        "Candidate release CatBoost model (model.md §5-§7), stored content-addressed under data/models/; "
        "scores use it once its promotion check has passed."
    ),
)
def modele(
    context: dg.AssetExecutionContext, config: ModelConfig, warehouse: Warehouse, paths: PlatformPaths
) -> dg.MaterializeResult:
    dictionary = load_dictionary(DICTIONARY_PATH)
    with warehouse.connect() as con:
        _ensure_registry(con)
        training_set, path, decision, panel_start, margin, share = _latest_training_set(con)
        fingerprint = _sha(training_set, dictionary.digest, config.model_dump_json())
        existing = con.execute(
            "select version, chemin, metriques from ml.modeles where empreinte = ?", [fingerprint]
        ).fetchall()
        if existing:
            version, model_path, metrics = existing[0]
            con.execute(
                "update ml.modeles set materialise_le = ? where version = ?", [dt.datetime.now(), version]
            )
            context.log.info(f"inputs unchanged: reusing model {version}")
            return dg.MaterializeResult(
                metadata={
                    "version": version,
                    "chemin": model_path,
                    "reutilise": True,
                    "metriques_validation": dg.MetadataValue.json(json.loads(metrics)),
                },
                data_version=dg.DataVersion(version),
            )
        versions = _data_versions(con)
    panel = read_training_set(path, dictionary)
    context.log.info(f"training on {len(panel)} stored rows, decision month {decision}")
    release = train_release(
        panel,
        dictionary,
        decision,
        panel_start,
        margin_months=margin,
        params={"iterations": config.max_iterations},
        negative_share=share,
        grid=hyperparameter_grid(config.grille_profondeurs, config.grille_l2) if config.grille else None,
    )
    card = model_card(release, dictionary, versions)
    card["empreinte_entrees"] = fingerprint
    card["jeu_entrainement"] = {
        "empreinte": training_set,
        "chemin": path,
        "sha256": file_sha256(Path(path)),
        "part_negatifs": share,  # negatives sampled with weight 1 / share (model.md §7.1)
    }
    version_dir = save_model(release.model.model, card, model_card_markdown(card), Path(paths.models_dir))
    version = version_dir.name
    metrics = release.validation_metrics
    now = dt.datetime.now()
    with warehouse.connect() as con:
        _ensure_registry(con)
        con.execute(
            """insert or replace into ml.modeles
               (version, empreinte, chemin, seuil_fort, seuil_modere, meilleure_iteration, metriques, cree_le,
                jeu_entrainement, materialise_le, promu_le)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                       (select promu_le from ml.modeles where version = ?))""",
            [
                version,
                fingerprint,
                str(version_dir),
                release.fort.value,
                release.modere.value,
                release.selection.best_iteration,
                json.dumps(json_safe(metrics)),
                now,
                training_set,
                now,
                version,
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


def promotion_decision(
    candidate_ap: float, promoted_ap: float | None, tolerance: float, mode: str
) -> tuple[bool, float | None]:
    """(accepted, drop): the drop is absolute or relative to the promoted AP, per `mode`."""
    if mode not in ("relative", "absolute"):
        raise ValueError(f"promotion mode must be 'relative' or 'absolute', not {mode!r}")
    if promoted_ap is None:
        return True, None
    drop = promoted_ap - candidate_ap
    if mode == "relative":
        drop = drop / promoted_ap if promoted_ap > 0 else 0.0
    return drop <= tolerance, drop


@dg.asset_check(
    asset=dg.AssetKey(["ml", "modele"]),
    name="promotion",
    blocking=True,
    description=(
        "Promotes the candidate model unless its validation average precision drops by more than the "
        "tolerance (default 5 % relative) below the promoted model's; a refused candidate blocks the scores."
    ),
)
def promotion(config: PromotionConfig, warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        _ensure_registry(con)
        candidate = con.execute(
            "select version, metriques from ml.modeles order by materialise_le desc nulls last, cree_le desc limit 1"
        ).fetchall()
        if not candidate:
            return dg.AssetCheckResult(passed=False, description="no candidate model")
        version, metrics = candidate[0]
        promoted = con.execute(
            "select version, metriques from ml.modeles where promu_le is not null order by promu_le desc limit 1"
        ).fetchall()
        candidate_ap = json.loads(metrics)["average_precision"]
        if promoted and promoted[0][0] == version:
            return dg.AssetCheckResult(
                passed=True,
                metadata={"version": version, "decision": "deja_promu", "average_precision": candidate_ap},
            )
        promoted_ap = json.loads(promoted[0][1])["average_precision"] if promoted else None
        accepted, drop = promotion_decision(candidate_ap, promoted_ap, config.tolerance, config.mode)
        decision = "promu" if accepted else ("promu_force" if config.force else "refuse")
        if accepted or config.force:
            con.execute("update ml.modeles set promu_le = ? where version = ?", [dt.datetime.now(), version])
    metadata = {
        "version_candidate": version,
        "version_promue_precedente": promoted[0][0] if promoted else "",
        "average_precision_candidate": candidate_ap,
        "average_precision_promue": promoted_ap if promoted_ap is not None else float("nan"),
        "baisse": drop if drop is not None else 0.0,
        "tolerance": config.tolerance,
        "mode": config.mode,
        "decision": decision,
    }
    return dg.AssetCheckResult(
        passed=accepted or config.force,
        metadata=metadata,
        description=None
        if accepted or config.force
        else f"validation AP {candidate_ap:.4f} vs {promoted_ap:.4f} for the promoted model: refused",
    )


def _promoted_model(con) -> tuple:
    rows = con.execute(
        "select version, chemin, seuil_fort, seuil_modere from ml.modeles where promu_le is not null "
        "order by promu_le desc limit 1"
    ).fetchall()
    if not rows:
        raise dg.Failure("no promoted model: materialise ml/modele with its promotion check")
    return rows[0]


# --- evaluation ------------------------------------------------------------------------------------


def _oracle_probabilities(test: pd.DataFrame, synthetic_dir: Path) -> np.ndarray | None:
    path = synthetic_dir / ORACLE_FILE
    if not path.exists():
        return None
    import duckdb

    con = duckdb.connect()
    try:
        keys = test[["siren", "periode"]].copy()
        keys["periode"] = pd.to_datetime(keys["periode"]).dt.date
        keys["ordre"] = range(len(keys))
        con.register("lignes_test", keys)
        values = con.execute(
            f"""select o.probabilite_ouverture_18m from lignes_test t
                left join read_parquet('{path}') o on o.siren = t.siren and o.periode = t.periode
                order by t.ordre"""
        ).df()
    finally:
        con.close()
    return values["probabilite_ouverture_18m"].astype(float).to_numpy()


@dg.asset(
    key=dg.AssetKey(["ml", "evaluation"]),
    group_name=GROUP,
    deps=[dg.AssetKey(["ml", "modele"])],
    kinds={"catboost", "matplotlib"},
    description=(
        "Backtest of the candidate's protocol (model.md §5.1 step 4) on the 12-month test window: "
        "§5.3 metrics, breakdowns, bootstrap intervals, precision-recall and calibration plots, and "
        "the oracle's average precision on the same rows when the synthetic ground truth is there."
    ),
)
def evaluation(
    context: dg.AssetExecutionContext, warehouse: Warehouse, paths: PlatformPaths
) -> dg.MaterializeResult:
    dictionary = load_dictionary(DICTIONARY_PATH)
    with warehouse.connect() as con:
        _ensure_registry(con)
        con.execute(EVALUATIONS_DDL)
        version, model_path, training_set = con.execute(
            "select version, chemin, jeu_entrainement from ml.modeles "
            "order by materialise_le desc nulls last, cree_le desc limit 1"
        ).fetchall()[0]
        stored = con.execute("select rapport from ml.evaluations where version = ?", [version]).fetchall()
        ts = con.execute(
            "select chemin, mois_decision, debut_panel, marge_mois, part_negatifs from ml.jeux_entrainement "
            "where empreinte = ?",
            [training_set],
        ).fetchall()
    if stored:
        report = json.loads(stored[0][0])
        context.log.info(f"model {version} already evaluated")
    else:
        if not ts:
            raise dg.Failure(f"the training set of model {version} is not registered")
        path, decision, panel_start, margin, share = ts[0]
        _model, card = load_model(Path(model_path))
        panel = read_training_set(path, dictionary)
        result = run_backtest(
            panel,
            dictionary,
            decision,
            panel_start,
            margin_months=margin,
            params={"iterations": card.get("iterations_max", 5000)},
            negative_share=share,
            grid=[(c["depth"], c["l2_leaf_reg"]) for c in card.get("grille_hyperparametres", [])] or None,
        )
        synthetic_dir = (
            Path(paths.synthetic_dir) if paths.synthetic_dir else Path(paths.models_dir).parent / "synthetic"
        )
        out_dir = Path(model_path) / "evaluation"
        report = evaluation_report(
            result.test,
            result.p_test,
            t_fort=result.release.fort.value,
            t_modere=result.release.modere.value,
            breakdowns=BREAKDOWNS,
            validation_shares=result.validation_shares(),
            oracle=_oracle_probabilities(result.test, synthetic_dir),
            out_dir=out_dir,
        )
        report["toutes_entreprises"] = evaluation_report(
            result.test_all,
            result.p_test_all,
            t_fort=result.release.fort.value,
            t_modere=result.release.modere.value,
            resamples=0,
        )["global"]
        report["protocole"] = {
            **result.backtest.as_dict(),
            "selection": result.selection,
            "effectifs": result.release.window_counts,
            "seuils": {"fort": result.release.fort.__dict__, "modere": result.release.modere.__dict__},
            "meilleure_iteration": result.release.selection.best_iteration,
            "grille_hyperparametres": result.release.grid,  # the grid replayed as of D_bt
        }
        report["version_modele"] = version
        (out_dir / "rapport.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
        with warehouse.connect() as con:
            con.execute(EVALUATIONS_DDL)
            con.execute(
                "insert or replace into ml.evaluations values (?, ?, ?, ?)",
                [version, json.dumps(report, default=str), str(out_dir), dt.datetime.now()],
            )
    overall = report["global"]
    metadata = {
        "version_modele": version,
        "auc_roc_test": overall["auc_roc"],
        "average_precision_test": overall["average_precision"],
        "brier_test": overall["brier"],
        "brier_skill_test": overall["brier_skill"],
        "precision_fort_test": overall["risque_fort"]["precision"],
        "rappel_fort_test": overall["risque_fort"]["rappel"],
        "precision_modere_test": overall["risque_modere"]["precision"],
        "rappel_modere_test": overall["risque_modere"]["rappel"],
        "fenetre_test": f"{report['protocole']['test_debut']} .. {report['protocole']['test_fin']}",
        "rapport": dg.MetadataValue.json(report),
    }
    for name, png in report.get("graphiques", {}).items():
        metadata[f"graphique_{name}"] = dg.MetadataValue.path(png)
    if "oracle" in report:
        metadata["average_precision_oracle"] = report["oracle"]["average_precision_oracle"]
        metadata["ratio_average_precision_oracle"] = report["oracle"]["ratio_average_precision"]
    return dg.MaterializeResult(metadata=metadata, data_version=dg.DataVersion(version))


# --- scores and explanations -------------------------------------------------------------------------


@dg.asset(
    key=dg.AssetKey(["ml", "scores"]),
    group_name=GROUP,
    deps=[dg.AssetKey(["ml", "modele"])],
    kinds={"catboost", "duckdb"},
    description=(
        "Scores, theme contributions and reasons of every in-scope company for the latest data month, "
        "with the latest promoted model."
    ),
)
def scores(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    dictionary = load_dictionary(DICTIONARY_PATH)
    with warehouse.connect() as con:
        _ensure_registry(con)
        con.execute(SCORES_DDL)
        version, path, t_fort, t_modere = _promoted_model(con)
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
    if previous and previous[0][1] == version and json.loads(previous[0][2]) == versions:
        context.log.info(f"list {liste_id} already scored with model {version} on the same data")
        return dg.MaterializeResult(
            metadata={"liste_id": liste_id, "revision": previous[0][0], "inchange": True}
        )
    revision = previous[0][0] + 1 if previous else 0
    model, _card = load_model(Path(path))
    trained = TrainedModel(model, {}, 0, dictionary.features, dictionary.categorical, 0, 0)
    scored = score_list(
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
    with warehouse.connect() as con:
        scored.insert_into(con, "ml.scores")
    frame = scored.rows
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


LATEST_LIST = (
    "(select liste_id, max(revision) as revision from ml.scores "
    "where liste_id = (select max(liste_id) from ml.scores) group by liste_id)"
)


@dg.asset_check(
    asset=dg.AssetKey(["ml", "scores"]),
    name="additivite_contributions",
    blocking=True,
    description="contrib_base + the five theme contributions = probabilite (1e-9) on every row of the latest list.",
)
def additivite_contributions(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        rows, worst = con.execute(
            f"""select count(*), coalesce(max(abs(contrib_base + contrib_sante_financiere + contrib_dette_urssaf
                       + contrib_retards_paiement + contrib_activite_partielle + contrib_effectif_contexte
                       - probabilite)), 0)
                from ml.scores join {LATEST_LIST} using (liste_id, revision)"""
        ).fetchall()[0]
    return dg.AssetCheckResult(
        passed=bool(rows > 0 and worst <= ADDITIVITY_TOLERANCE),
        metadata={"nb_lignes": rows, "ecart_max": float(worst), "tolerance": ADDITIVITY_TOLERANCE},
    )


@dg.asset_check(
    asset=dg.AssetKey(["ml", "scores"]),
    name="raisons_alertes",
    description=(
        "Every alerted company of the latest list has at least one French reason, and none of the "
        "others has one (a company may get fewer than 3: model.md §8.4)."
    ),
)
def raisons_alertes(warehouse: Warehouse) -> dg.AssetCheckResult:
    with warehouse.connect(read_only=True) as con:
        counts = dict(
            con.execute(
                f"""select case when niveau_alerte = 'aucune' then 'sans_alerte_avec_raison'
                                else 'alertes_' || ((raison_1 is not null)::int + (raison_2 is not null)::int
                                                    + (raison_3 is not null)::int) || '_raisons' end, count(*)
                    from ml.scores join {LATEST_LIST} using (liste_id, revision)
                    where niveau_alerte <> 'aucune' or raison_1 is not null
                    group by 1"""
            ).fetchall()
        )
    bad = counts.get("alertes_0_raisons", 0) + counts.get("sans_alerte_avec_raison", 0)
    return dg.AssetCheckResult(
        passed=bad == 0, severity=dg.AssetCheckSeverity.WARN, metadata={k: int(v) for k, v in counts.items()}
    )


@dg.asset(
    key=dg.AssetKey(["ml", "explications"]),
    group_name=GROUP,
    deps=[dg.AssetKey(["ml", "scores"])],
    kinds={"duckdb"},
    description=(
        "Per-variable explanations of each scored list: the 15 base variables with the largest "
        "|contribution| (probability scale) per company, with direction and rank (product.md §4.2)."
    ),
)
def explications(warehouse: Warehouse) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        con.execute(SCORES_DDL)
        con.execute(CONTRIBUTIONS_DDL)
        before = con.execute("select count(*) from ml.liste_contributions").fetchall()[0][0]
        con.execute(
            f"""insert into ml.liste_contributions
                with nouvelles as (
                    select distinct liste_id, revision from ml.scores
                    where (liste_id, revision) not in (select distinct liste_id, revision from ml.liste_contributions)
                ),
                detail as (
                    select s.liste_id, s.revision, s.siren,
                           unnest(from_json(s.contrib_detail, '{CONTRIBUTION_DETAIL_TYPE}'), recursive := true)
                    from ml.scores s join nouvelles using (liste_id, revision)
                )
                select liste_id, revision, siren, variable, theme,
                       case when contribution >= 0 then 'hausse' else 'baisse' end,
                       row_number() over (partition by liste_id, revision, siren
                                          order by abs(contribution) desc, variable) as rang,
                       contribution, valeur, date_reference, confidentiel
                from detail
                qualify rang <= {TOP_CONTRIBUTIONS}"""
        )
        after, lists = con.execute(
            "select count(*), count(distinct (liste_id, revision)) from ml.liste_contributions"
        ).fetchall()[0]
    return dg.MaterializeResult(
        metadata={"lignes_ajoutees": after - before, "nb_listes": lists, "lignes": after}
    )
