"""The raw assets under Dagster: materialization metadata, asset checks, and idempotent data versions.

Each test materializes the `ingestion_brute` multi-asset (and the raw asset checks) in process, on a
fresh SF_DATA_DIR whose landing folder holds small deliveries written here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg
import pytest

from orchestration.assets.ingestion import ingestion_brute, raw_asset_key
from orchestration.checks.raw import raw_checks
from orchestration.ingestion.warehouse import connect, ensure_raw_schema, table_columns
from orchestration.resources import PlatformPaths, Warehouse
from orchestration.settings import load_settings
from orchestration.sources.contract import get_contract

PROCOL_HEADER = "Siret;Siren;Dt_effet;Cat_v2;Lib_actx_stdx"
PROCOL_CLEAN = [
    PROCOL_HEADER,
    "01234567891011;012345678;26MAY2014;1;Solde_procedure_redressement",
    "55555555500011;555555555;31DEC2012;3;Fin_procedure_liquidation",
]
PROCOL_WITH_REJECTIONS = [
    *PROCOL_CLEAN,
    "55555555500011;555555555;31FEB2013;3;Ouverture_liquidation",  # invalid date
    "0123456789101A;012345678;04OCT2017;2;Ouverture_sauvegarde",  # invalid siret
    "01234567891029;012345678;24FEB2014;;Plan_continuation_sauvegarde",
]
DELAI = [
    "Urssaf_gestion;Dep;Siret;Numero_compte_externe;Numero_structure;Date_creation;Date_echeance;"
    "Duree_delai;Denomination_premiere_ligne;Indic_6M;Annee_creation;Montant_global_echeancier;"
    "Code_externe_stade;Code_externe_action",
    "311;31;31234567800017;090048281379700073;3110201303256;24/03/2021;28/09/2021;188;OCCITANIA;SUP;2021;5697.00;APPROB;SUR PO",
]
SIRENE_UL_HEADER = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,"
    "sexeUniteLegale,prenom1UniteLegale,prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,"
    "prenomUsuelUniteLegale,pseudonymeUniteLegale,identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,"
    "anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,categorieEntreprise,"
    "anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,nomUsageUniteLegale,"
    "denominationUniteLegale,denominationUsuelle1UniteLegale,denominationUsuelle2UniteLegale,"
    "denominationUsuelle3UniteLegale,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,"
    "nomenclatureActivitePrincipaleUniteLegale,activitePrincipaleNAF25UniteLegale,nicSiegeUniteLegale,"
    "economieSocialeSolidaireUniteLegale,caractereEmployeurUniteLegale"
)


def unite_legale(siren: str, etat: str, denomination: str) -> str:
    values = {
        "siren": siren,
        "statutDiffusionUniteLegale": "O",
        "dateCreationUniteLegale": "2001-01-01",
        "trancheEffectifsUniteLegale": "11",
        "anneeEffectifsUniteLegale": "2021",
        "dateDernierTraitementUniteLegale": "2024-01-15T10:00:00",
        "nombrePeriodesUniteLegale": "3",
        "categorieEntreprise": "PME",
        "anneeCategorieEntreprise": "2021",
        "dateDebut": "2019-01-01",
        "etatAdministratifUniteLegale": etat,
        "denominationUniteLegale": denomination,
        "categorieJuridiqueUniteLegale": "5710",
        "activitePrincipaleUniteLegale": "62.01Z",
        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
        "nicSiegeUniteLegale": "00011",
        "economieSocialeSolidaireUniteLegale": "N",
        "caractereEmployeurUniteLegale": "O",
    }
    return ",".join(values.get(column, "") for column in SIRENE_UL_HEADER.split(","))


SIRENE_UL_2402 = [
    SIRENE_UL_HEADER,
    unite_legale("111111111", "A", "ALPHA"),
    unite_legale("222222222", "A", "BETA"),
    unite_legale("333333333", "A", "GAMMA"),
]
SIRENE_UL_2403 = [
    SIRENE_UL_HEADER,
    unite_legale("111111111", "A", "ALPHA"),  # unchanged
    unite_legale("222222222", "C", "BETA"),  # ceased
    unite_legale("444444444", "A", "DELTA"),  # new; GAMMA is no longer in the stock
]


def deliver(data_dir: Path, batch: str, name: str, lines: list[str]) -> Path:
    path = data_dir / "landing" / batch / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def resources() -> dict[str, dg.ConfigurableResource]:
    return {"warehouse": Warehouse.from_settings(), "paths": PlatformPaths.from_settings()}


def materialize(
    instance: dg.DagsterInstance, sources: list[str], downstream: tuple[dg.AssetsDefinition, ...] = ()
) -> dg.ExecuteInProcessResult:
    selection = dg.AssetSelection.assets(*(raw_asset_key(s) for s in sources), *downstream)
    return dg.materialize(
        [ingestion_brute, *raw_checks, *downstream],
        selection=selection,
        resources=resources(),
        instance=instance,
        raise_on_error=False,
    )


def materializations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetMaterialization]:
    return {
        event.materialization.asset_key.to_user_string(): event.materialization
        for event in result.get_asset_materialization_events()
    }


def checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {(e.asset_key.path[-1], e.check_name): e for e in result.get_asset_check_evaluations()}


def data_version(materialization: dg.AssetMaterialization) -> str:
    return materialization.tags["dagster/data_version"]


def metadata(materialization: dg.AssetMaterialization) -> dict:
    return {key: value.value for key, value in materialization.metadata.items()}


def query(sql: str, params: list | None = None) -> list[tuple]:
    with Warehouse.from_settings().connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def instance(data_dir):
    with dg.instance_for_test() as dagster_instance:
        yield dagster_instance


def test_materialization_metadata_and_checks_of_each_source(data_dir, instance):
    procol = deliver(data_dir, "2402", "sigfaible_pcoll.csv", PROCOL_WITH_REJECTIONS)
    deliver(data_dir, "2402", "sigfaible_delais.csv", DELAI)

    result = materialize(instance, ["procol", "delai"])

    materialized = materializations(result)
    assert set(materialized) == {"raw/procol", "raw/delai"}
    meta = metadata(materialized["raw/procol"])
    assert meta["lignes_lues"] == 5
    assert meta["lignes_chargees"] == 3
    assert meta["lignes_rejetees"] == 2
    assert meta["dagster/row_count"] == meta["lignes_etat_courant"] == 3
    assert meta["sha256_dernier_fichier"] == hashlib.sha256(procol.read_bytes()).hexdigest()
    assert meta["taille_dernier_fichier"] == procol.stat().st_size
    assert meta["version_contrat"] == get_contract("procol").version
    assert meta["statuts"] == {"2402/sigfaible_pcoll.csv": "loaded"}

    schema = meta["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema)
    columns = {column.name: column for column in schema.columns}
    assert list(columns) == list(table_columns(get_contract("procol")))
    assert columns["siret"].type == "VARCHAR" and not columns["siret"].constraints.nullable
    assert columns["date_effet"].type == "DATE"
    assert columns["action_procol"].constraints.nullable
    assert columns["_batch_key"].type == "VARCHAR" and columns["_line_number"].type == "INTEGER"

    evaluations = checks(result)
    assert {check for source, check in evaluations if source == "procol"} == {
        "conformite_contrat",
        "cle_naturelle_unique",
        "part_lignes_rejetees",
        "variation_volume",
    }
    assert evaluations["procol", "conformite_contrat"].passed
    assert evaluations["procol", "cle_naturelle_unique"].passed
    rejected = evaluations["procol", "part_lignes_rejetees"]
    assert not rejected.passed and rejected.severity == dg.AssetCheckSeverity.ERROR
    assert rejected.metadata["part_rejetee"].value == pytest.approx(2 / 5)
    assert rejected.metadata["seuil"].value == pytest.approx(0.05)
    assert rejected.metadata["fichier"].value == "2402/sigfaible_pcoll.csv"
    clean = evaluations["delai", "part_lignes_rejetees"]
    assert clean.passed and clean.metadata["part_rejetee"].value == 0
    assert not result.success  # the failed rejected-share check is blocking


def test_a_blocking_contract_conformance_failure_stops_the_assets_downstream(data_dir, instance):
    deliver(data_dir, "2402", "sigfaible_pcoll.csv", PROCOL_CLEAN)
    # the raw table has drifted from its contract: date_effet is no longer a DATE
    with connect(load_settings().warehouse_path) as con:
        ensure_raw_schema(con, {"procol": get_contract("procol")})
        con.execute("alter table raw.procol alter date_effet type varchar")

    @dg.asset(deps=[raw_asset_key("procol")])
    def lecture_procol() -> None:
        """Stands for the dbt models that read raw.procol."""

    result = materialize(instance, ["procol"], downstream=(lecture_procol,))

    assert set(materializations(result)) == {"raw/procol"}  # loaded, but nothing downstream
    conformance = checks(result)["procol", "conformite_contrat"]
    assert not conformance.passed and conformance.severity == dg.AssetCheckSeverity.ERROR
    assert conformance.metadata["ecarts"].value == {"date_effet": {"attendu": "DATE", "trouve": "VARCHAR"}}
    assert checks(result)["procol", "part_lignes_rejetees"].passed
    assert not result.success
    started = {e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START}
    assert result.job_def.graph.has_node_named("lecture_procol")  # planned, never started
    assert "raw__procol_conformite_contrat" in started and "lecture_procol" not in started


def counts() -> dict[str, int]:
    tables = ["raw.files", "raw.quarantine", "raw.procol", "raw.sirene_ul"]
    return {table: query(f"select count(*) from {table}")[0][0] for table in tables}


def state_as_of(batch: str) -> list[tuple]:
    return query(
        """select siren, etat_administratif, denomination from raw.sirene_ul
           where _batch_key <= ? and (_valid_to_batch is null or _valid_to_batch > ?) order by siren""",
        [batch, batch],
    )


@pytest.mark.slow
def test_same_landing_keeps_the_data_version_and_a_changed_stock_file_makes_a_new_one(data_dir, instance):
    deliver(data_dir, "2402", "sigfaible_pcoll.csv", PROCOL_CLEAN)
    first_stock = deliver(data_dir, "2402", "StockUniteLegale_utf8.csv", SIRENE_UL_2402)
    sources = ["procol", "sirene_ul"]

    first = materializations(materialize(instance, sources))
    after_first = counts()
    assert after_first["raw.sirene_ul"] == 3 and after_first["raw.procol"] == 2

    # acceptance 4: the same landing content again
    second = materializations(materialize(instance, sources))
    assert {k: data_version(m) for k, m in second.items()} == {k: data_version(m) for k, m in first.items()}
    assert counts() == after_first
    for key in ("raw/procol", "raw/sirene_ul"):
        meta = metadata(second[key])
        assert (meta["fichiers_nouveaux"], meta["fichiers_deja_charges"], meta["lignes_chargees"]) == (
            0,
            1,
            0,
        )
        assert meta["sha256_dernier_fichier"] == metadata(first[key])["sha256_dernier_fichier"]

    # a new batch changes the stock: new data version, the previous file stays archived and queryable
    second_stock = deliver(data_dir, "2403", "StockUniteLegale_utf8.csv", SIRENE_UL_2403)
    third = materializations(materialize(instance, sources))
    assert data_version(third["raw/sirene_ul"]) != data_version(second["raw/sirene_ul"])
    assert data_version(third["raw/procol"]) == data_version(second["raw/procol"])
    assert metadata(third["raw/sirene_ul"])["dagster/row_count"] == 3

    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first_stock, second_stock)]
    archived = data_dir / "archive" / "sirene_ul"
    assert sorted(p.name for p in archived.iterdir()) == sorted(f"{d}.csv" for d in digests)
    assert (archived / f"{digests[0]}.csv").read_bytes() == first_stock.read_bytes()
    assert query(
        "select batch_key, sha256, status, applied, superseded from raw.files "
        "where source = 'sirene_ul' order by batch_key"
    ) == [("2402", digests[0], "loaded", True, False), ("2403", digests[1], "loaded", True, False)]
    assert state_as_of("2402") == [
        ("111111111", "A", "ALPHA"),
        ("222222222", "A", "BETA"),
        ("333333333", "A", "GAMMA"),
    ]
    assert state_as_of("2403") == [
        ("111111111", "A", "ALPHA"),
        ("222222222", "C", "BETA"),
        ("444444444", "A", "DELTA"),
    ]
