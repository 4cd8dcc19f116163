"""Loading into the warehouse: idempotence, archive, stock state per batch, replays, held-back files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.ingestion.landing import scan_landing
from orchestration.ingestion.loader import ingest_source
from orchestration.ingestion.warehouse import connect
from orchestration.sources.contract import get_contract

DEBIT_HEADER = (
    "Urssaf_gestion;Dep;num_cpte;Siren;Siret;Dt_immat;Etat_cpte;Cd_pro_col;Periode;Num_Ecn;Num_Hist_Ecn;"
    "Dt_trt_ecn;Mt_PO;Mt_PP;Cd_op_ecn;Motif_ecn;Recours_en_cours"
)
EFFECTIF_HEADER = "compte;siret;rais_soc;ape_ins;dep;eff202411;eff202412;eff202413;base;UR_EMET"


def write(landing: Path, batch: str, name: str, lines: list[str]) -> Path:
    path = landing / batch / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def debit_line(siret: str, hist: int, po: int, date: str = "1240115") -> str:
    return f"117;75;123456789012345678;{siret[:9]};{siret};20150708;1;0;202411;101;{hist};{date};{po};{po * 3};1;2;0"


def effectif_line(siret: str, *values: str) -> str:
    return f"123456789012345678;{siret};NOM;1234Z;75;{';'.join(values)};B;117"


def ingest(tmp_path: Path, source: str, **kwargs):
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        return ingest_source(
            con, get_contract(source), scan_landing(tmp_path / "landing"), tmp_path / "archive", **kwargs
        ), con
    except Exception:
        con.close()
        raise


def test_redelivering_an_identical_file_adds_nothing_and_keeps_the_version(tmp_path):
    landing = tmp_path / "landing"
    write(landing, "2402", "sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 1, 100)])
    first, con = ingest(tmp_path, "debit")
    con.close()
    write(landing, "2403", "Sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 2, 0)])
    second, con = ingest(tmp_path, "debit")
    con.close()
    third, con = ingest(tmp_path, "debit")
    assert [o.status for o in first.outcomes] == ["loaded"]
    assert [o.status for o in second.outcomes] == ["skipped", "loaded"]
    assert [o.status for o in third.outcomes] == ["skipped", "skipped"]
    assert third.data_version == second.data_version != first.data_version
    assert con.sql("select count(*) from raw.debit").fetchall()[0][0] == 2
    archived = sorted(p.name for p in (tmp_path / "archive" / "debit").iterdir())
    assert len(archived) == 2 and all(len(name) == len("x" * 64 + ".csv") for name in archived)
    con.close()


def test_a_corrected_flux_redelivery_supersedes_the_earlier_version(tmp_path):
    landing = tmp_path / "landing"
    write(landing, "2402", "sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 1, 100)])
    _, con = ingest(tmp_path, "debit")
    con.close()
    write(landing, "2402", "sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 1, 150)])
    result, con = ingest(tmp_path, "debit")
    assert [o.status for o in result.outcomes] == ["loaded"]
    rows = con.sql("select sha256, superseded from raw.files order by load_seq").fetchall()
    assert [r[1] for r in rows] == [True, False]
    assert con.sql("select count(*) from raw.debit").fetchall()[0][0] == 2  # nothing destroyed
    con.close()


def test_stock_state_as_of_each_batch_whatever_the_loading_order(tmp_path):
    landing = tmp_path / "landing"
    a, b = "12345678900011", "98765432100017"
    write(
        landing,
        "2401",
        "sigfaible_effectif_siret.csv",
        [EFFECTIF_HEADER, effectif_line(a, "10", "11", ""), effectif_line(b, "5", "5", "5")],
    )
    write(
        landing, "2403", "sigfaible_effectif_siret.csv", [EFFECTIF_HEADER, effectif_line(a, "10", "12", "13")]
    )
    _, con = ingest(tmp_path, "effectif")
    con.close()
    # the February delivery arrives late: the state is replayed from it
    write(
        landing,
        "2402",
        "sigfaible_effectif_siret.csv",
        [EFFECTIF_HEADER, effectif_line(a, "10", "11", "12"), effectif_line(b, "5", "6", "")],
    )
    result, con = ingest(tmp_path, "effectif")
    assert result.rebuilt_from == "2402"

    def state(batch: str) -> list[tuple]:
        return con.execute(
            "select siret, month(periode), effectif from raw.effectif where _batch_key <= ? "
            "and coalesce(_valid_to_batch, '9999') > ? order by all",
            [batch, batch],
        ).fetchall()

    assert state("2401") == [(a, 1, 10), (a, 2, 11), (b, 1, 5), (b, 2, 5), (b, 3, 5)]
    assert state("2402") == [(a, 1, 10), (a, 2, 11), (a, 3, 12), (b, 1, 5), (b, 2, 6)]
    assert state("2403") == [(a, 1, 10), (a, 2, 12), (a, 3, 13)]
    current = con.sql("select count(*) from raw.effectif where _valid_to_batch is null").fetchall()[0][0]
    assert current == result.rows_current == 3
    con.close()


def test_a_stock_file_over_the_rejection_threshold_is_held_back(tmp_path):
    landing = tmp_path / "landing"
    good = [EFFECTIF_HEADER, effectif_line("12345678900011", "10", "11", "12")]
    write(landing, "2401", "sigfaible_effectif_siret.csv", good)
    write(
        landing,
        "2402",
        "sigfaible_effectif_siret.csv",
        [
            EFFECTIF_HEADER,
            effectif_line("12345678900011", "1", "1", "1"),
            effectif_line("1234A678900011", "1", "1", "1"),
        ],
    )
    result, con = ingest(tmp_path, "effectif", stock_threshold=0.05)
    assert [o.status for o in result.outcomes] == ["loaded", "held_back"]
    assert (
        con.sql("select max(effectif) from raw.effectif where _valid_to_batch is null").fetchall()[0][0] == 12
    )
    assert con.sql("select count(*) from raw.effectif__held_back").fetchall()[0][0] == 3
    quarantine = con.sql("select line_number, reason_code from raw.quarantine").fetchall()
    assert quarantine == [(3, "invalid_identifier")]
    con.close()


def test_transfers_in_progress_and_unknown_files_are_not_loaded(tmp_path):
    landing = tmp_path / "landing"
    write(landing, "2401", "sigfaible_debits.csv.part", [DEBIT_HEADER])
    write(landing, "2401", ".sigfaible_debits.csv", [DEBIT_HEADER])
    write(landing, "2401", "filter_siren_2401.csv", ["siren", "123456789"])
    files = scan_landing(landing)
    assert [(f.name, f.source) for f in files] == [("filter_siren_2401.csv", None)]


@pytest.mark.parametrize("compressed", [False, True])
def test_archive_is_content_addressed_and_read_only(tmp_path, compressed):
    import gzip

    landing = tmp_path / "landing"
    path = write(
        landing, "2401", "sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 1, 100)]
    )
    if compressed:
        gz = path.with_name(path.name + ".gz")
        gz.write_bytes(gzip.compress(path.read_bytes(), mtime=0))
        path.unlink()
    result, con = ingest(tmp_path, "debit")
    con.close()
    archived = next((tmp_path / "archive" / "debit").iterdir())
    assert archived.name == result.outcomes[0].sha256 + (".csv.gz" if compressed else ".csv")
    assert not os.access(archived, os.W_OK) or os.geteuid() == 0


SIRENE_UL_HEADER = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,sigleUniteLegale,"
    "prenom1UniteLegale,prenomUsuelUniteLegale,trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,"
    "dateDernierTraitementUniteLegale,categorieEntreprise,dateDebut,etatAdministratifUniteLegale,nomUniteLegale,"
    "denominationUniteLegale,categorieJuridiqueUniteLegale,activitePrincipaleUniteLegale,"
    "nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,caractereEmployeurUniteLegale"
)


def unite(siren: str, name: str, creation: str = "2001-02-03", employer: str = "O") -> str:
    return (
        f"{siren},O,,{creation},,,,11,2023,2024-01-01T10:00:00,PME,2001-02-03,A,,"
        f'"{name}",5710,25.62B,NAFRev2,00011,{employer}'
    )


def test_unchanged_stock_lines_are_reused_with_their_warnings(tmp_path):
    landing = tmp_path / "landing"
    a = unite("111111111", "ATELIERS, SAS")
    b = unite("222222222", "BOULANGERIE", creation="2001-02-30")  # invalid optional date: a warning
    write(landing, "2401", "StockUniteLegale_utf8.csv", [SIRENE_UL_HEADER, a, b, unite("333333333", "C")])
    first, con = ingest(tmp_path, "sirene_ul")
    con.close()
    write(
        landing,
        "2402",
        "StockUniteLegale_utf8.csv",
        [SIRENE_UL_HEADER, a, b, unite("333333333", "C", employer="N"), unite("444444444", "D")],
    )
    second, con = ingest(tmp_path, "sirene_ul")
    report = second.outcomes[-1].report
    assert (report.lines_read, report.lines_loaded, report.rows_out) == (4, 4, 4)
    assert (
        report.warnings["invalid_optional_value"]
        == 1
        == first.outcomes[0].report.warnings["invalid_optional_value"]
    )
    rows = con.sql(
        "select siren, _batch_key, _valid_to_batch, caractere_employeur from raw.sirene_ul "
        "order by siren, _batch_key"
    ).fetchall()
    assert rows == [
        ("111111111", "2401", None, True),  # reused: keeps the lineage of the batch that brought it
        ("222222222", "2401", None, True),
        ("333333333", "2401", "2402", True),  # changed: the old version is closed, a new one opened
        ("333333333", "2402", None, False),
        ("444444444", "2402", None, True),
    ]
    con.close()


def test_every_warehouse_connection_gets_the_memory_budget(tmp_path, monkeypatch):
    """DuckDB takes 80 % of the RAM by default; the warehouse processes share SF_DUCKDB_MEMORY_LIMIT."""
    from orchestration.resources import Warehouse

    monkeypatch.setenv("SF_DUCKDB_MEMORY_LIMIT", "1GB")
    path = tmp_path / "warehouse.duckdb"
    with connect(path) as con:
        assert con.execute("select current_setting('memory_limit')").fetchall() == [("953.6 MiB",)]
    monkeypatch.setenv("SF_DUCKDB_MEMORY_LIMIT", "2GB")
    with Warehouse(path=str(path)).connect() as con:
        assert con.execute("select current_setting('memory_limit')").fetchall() == [("1.8 GiB",)]
    profile = (Path(__file__).parents[2] / "dbt_project" / "profiles.yml").read_text()
    assert "memory_limit: \"{{ env_var('SF_DUCKDB_MEMORY_LIMIT'" in profile
