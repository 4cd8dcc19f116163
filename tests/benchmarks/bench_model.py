"""Benchmark of the model: national training time, and scoring + SHAP time for every company.

Two parts, both on the code the Dagster assets run:

* **scoring** (`score_list`: probabilities, exact tree SHAP, theme and variable contributions,
  reasons, list rows) for as many companies as the tier holds (420,000 at national scale). It needs
  no panel: the rows are random values drawn per input of the real feature dictionary (numbers
  with 20 % missing, categories from a few codes), scored by a model of `--trees` trees of depth 6
  fitted on 50,000 random rows. SHAP time grows with the trees; 1,000 is a plausible release size
  (learning rate 0.05, early stopping at patience 200). The alert thresholds are the 95th and 85th
  percentiles of the scores, so ~15 % of the rows get reasons. The list is then written to a DuckDB
  file as the `ml/scores` asset does (the per-variable JSON detail is built by DuckDB).
* **training** (`write_training_set` + `train_release`, i.e. the `ml/jeu_entrainement` and
  `ml/modele` assets) on the tier's warehouse prepared by bench_dbt (`data/bench/<tier>/`), when
  its panel exists; otherwise the part is reported as not measured, with the reason.

Sampling strategy at national scale: ~350,000 in-scope companies x 120 months = ~42 M labelled
rows. The training set keeps every positive, a deterministic 25 % of the negatives (hash of siren
and month, weight 4, so the prevalence and the calibration are kept), lowered so that at most 2.5 M
negatives are sampled (13.70 % of the 18.2 M national ones, weight 1 / share), and every row of the
validation and test windows (thresholds and metrics need the natural prevalence): measured
2026-11-28 on the national panel, 9.5 M rows of which 3.2 M weighted for training (5.3 M at 25 %),
selection plus release 779 s, read from Parquet with float32 inputs (peak 18.9 GB; float64 went
past the 24 GB of the machine). CatBoost then quantises them to one byte per input.

    python -m tests.benchmarks.bench_model --part scoring        # random data, national size
    python -m tests.benchmarks.run --only model                   # both parts (make bench)
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from models.dictionary import FeatureDictionary, load_dictionary
from models.training import fit, read_training_set

NAME = "model"
TRAIN_ROWS = 50_000
COMPANIES = {"tiny": 2_000, "demo": 30_000, "national": 420_000}
CATEGORIES = 12


def _peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def random_rows(dictionary: FeatureDictionary, n: int, seed: int) -> pd.DataFrame:
    """Random values for every input of the dictionary, with a label tied to a few of them."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"siren": [f"{700_000_000 + i:09d}" for i in range(n)]})
    frame["periode"] = pd.Timestamp("2025-11-01")
    logit = np.full(n, -3.5)
    numeric = [s.feature for s in dictionary.specs if not s.is_categorical]
    for k, spec in enumerate(dictionary.specs):
        if spec.is_categorical:
            frame[spec.feature] = rng.choice([f"C{i:02d}" for i in range(CATEGORIES)], n)
            continue
        values = rng.lognormal(0, 1, n)
        values[rng.random(n) < 0.2] = np.nan
        frame[spec.feature] = values
        if spec.feature in numeric[:8]:
            logit += (0.6 if k % 2 else -0.4) * np.nan_to_num(np.log(values), nan=0.0)
    frame["cible"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame


def bench_scoring(
    dictionary: FeatureDictionary, companies: int, trees: int, seed: int, workdir: Path
) -> dict[str, object]:
    import duckdb

    from models.explain import explain
    from models.scoring import score_list
    from models.training import predict
    from orchestration.assets.model import SCORES_DDL

    train = random_rows(dictionary, TRAIN_ROWS, seed)
    began = time.perf_counter()
    model = fit(train, dictionary, iterations=trees, negative_share=None)
    fit_seconds = time.perf_counter() - began
    rows = random_rows(dictionary, companies, seed + 1).drop(columns="cible")
    t_fort, t_modere = np.quantile(predict(model, rows, dictionary), [0.95, 0.85])

    began = time.perf_counter()
    explain(model, rows, dictionary)
    shap_seconds = time.perf_counter() - began

    began = time.perf_counter()
    scored = score_list(
        model,
        rows,
        dictionary,
        t_fort=float(t_fort),
        t_modere=float(t_modere),
        month=dt.date(2025, 11, 1),
        model_version="bench",
        features_version=dictionary.digest[:16],
        data_versions={},
    )
    list_seconds = time.perf_counter() - began
    # what the ml/scores asset does next: the JSON detail and the insert, inside DuckDB (2 threads)
    database = workdir / "scores_bench.duckdb"
    database.unlink(missing_ok=True)
    began = time.perf_counter()
    with duckdb.connect(str(database), config={"threads": 2}) as con:
        con.execute("create schema ml")
        con.execute(SCORES_DDL)
        scored.insert_into(con, "ml.scores")
        stored = con.execute("select count(*) from ml.scores").fetchall()[0][0]
    insert_seconds = time.perf_counter() - began
    database_mib = round(database.stat().st_size / 2**20, 1)
    database.unlink()
    alerted = int((scored.rows["niveau_alerte"] != "aucune").sum())
    total = list_seconds + insert_seconds
    return {
        "entreprises": companies,
        "lignes_inserees": stored,
        "entrees": len(dictionary.features),
        "variables_de_base": len(dictionary.base_variables),
        "arbres": model.model.tree_count_,
        "profondeur": model.params["depth"],
        "thread_count": model.params["thread_count"],
        "ajustement_modele_aleatoire_s": round(fit_seconds, 2),
        "shap_seul_s": round(shap_seconds, 2),
        "score_list_s": round(list_seconds, 2),
        "json_et_insertion_duckdb_s": round(insert_seconds, 2),
        "scores_et_shap_total_s": round(total, 2),
        "par_1000_entreprises_s": round(1000 * total / companies, 3),
        "entreprises_en_alerte": alerted,
        "taille_table_scores_mib": database_mib,
        "pic_memoire_processus_mib": _peak_rss_mib(),
        "note": (
            "score_list = probabilities + exact SHAP + theme and variable contributions + reasons; "
            "then the contrib_detail JSON and the insert into a DuckDB file, as the ml/scores asset"
        ),
    }


def bench_training(
    dictionary: FeatureDictionary, warehouse: Path, workdir: Path, trees: int
) -> dict[str, object]:
    import duckdb

    from models.release import train_release
    from models.training import NEGATIVE_SHARE
    from orchestration.assets.model import BREAKDOWNS, KEY_COLUMNS, PANEL, write_training_set

    if not warehouse.exists():
        return {"mesure": False, "raison": f"no warehouse at {warehouse}: run bench_dbt on this tier first"}
    with duckdb.connect(str(warehouse)) as con:
        try:
            available = {r[0] for r in con.execute(f"select column_name from (describe {PANEL})").fetchall()}
        except duckdb.CatalogException:
            return {
                "mesure": False,
                "raison": f"{warehouse} holds no {PANEL}: run bench_dbt on this tier first",
            }
        extras = [c for c in BREAKDOWNS.values() if c in available and c not in dictionary.features]
        began = time.perf_counter()
        extract = write_training_set(
            con,
            [*KEY_COLUMNS, *dictionary.features, *extras],
            workdir / "jeu_entrainement.parquet",
            dt.date(2016, 1, 1),
            1,
            NEGATIVE_SHARE,
        )
        extract_seconds = time.perf_counter() - began
    began = time.perf_counter()
    panel = read_training_set(workdir / "jeu_entrainement.parquet", dictionary)
    read_seconds = time.perf_counter() - began
    began = time.perf_counter()
    release = train_release(
        panel, dictionary, extract["mois_decision"], dt.date(2016, 1, 1), params={"iterations": trees}
    )
    train_seconds = time.perf_counter() - began
    return {
        "mesure": True,
        "lignes_jeu_entrainement": extract["lignes"],
        "positifs": extract["positifs"],
        "negatifs_etiquetes": extract["negatifs_etiquetes"],
        "part_negatifs": extract["part_negatifs"],
        "lignes_ponderees_entrainement": int((panel["poids"] > 0).sum()),
        "extraction_parquet_s": round(extract_seconds, 2),
        "lecture_parquet_s": round(read_seconds, 2),
        "entrainement_selection_plus_release_s": round(train_seconds, 2),
        "iterations_max": trees,
        "meilleure_iteration": release.selection.best_iteration,
        "average_precision_validation": release.validation_metrics["average_precision"],
        "pic_memoire_processus_mib": _peak_rss_mib(),
    }


def run(
    tier: str = "national",
    seed: int = 42,
    workdir: Path | None = None,
    parts: tuple[str, ...] = ("scoring", "training"),
    trees: int = 1000,
    training_iterations: int = 5000,
) -> dict[str, object]:
    from orchestration.assets.model import DICTIONARY_PATH
    from orchestration.settings import load_settings

    workdir = workdir or load_settings().data_dir / "bench" / tier
    workdir.mkdir(parents=True, exist_ok=True)
    dictionary = load_dictionary(DICTIONARY_PATH)
    figures: dict[str, object] = {"tier": tier, "seed": seed, "dictionnaire_sha256": dictionary.digest[:16]}
    if "scoring" in parts:
        print(f"[{NAME}] scoring + SHAP of {COMPANIES[tier]} random companies, {trees} trees", flush=True)
        figures["scoring_shap"] = bench_scoring(dictionary, COMPANIES[tier], trees, seed, workdir)
        print(f"[{NAME}] {figures['scoring_shap']}", flush=True)
    if "training" in parts:
        print(f"[{NAME}] training on the {tier} warehouse of {workdir}", flush=True)
        figures["entrainement"] = bench_training(
            dictionary, workdir / "warehouse.duckdb", workdir, training_iterations
        )
        print(f"[{NAME}] {figures['entrainement']}", flush=True)
    return figures


def main(argv: list[str] | None = None) -> None:
    from tests.benchmarks.results import record

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="national", choices=sorted(COMPANIES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--part", action="append", choices=["scoring", "training"], help="repeatable; default both"
    )
    parser.add_argument("--trees", type=int, default=1000, help="trees of the scoring model")
    args = parser.parse_args(argv)
    figures = run(args.tier, args.seed, args.workdir, tuple(args.part or ("scoring", "training")), args.trees)
    print(f"[{NAME}] written to {record(NAME, figures)}")


if __name__ == "__main__":
    main()
