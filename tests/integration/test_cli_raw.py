"""`sf raw detect` and `sf raw parse`, run as the installed console script (raw-sources §2.1, §2.7, §2.8)."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

SF = Path(sys.executable).parent / "sf"

PROCOL_HEADER = "Siret;Siren;Dt_effet;Cat_v2;Lib_actx_stdx"
DELAI_HEADER = (
    "Urssaf_gestion;Dep;Siret;Numero_compte_externe;Numero_structure;Date_creation;Date_echeance;"
    "Duree_delai;Denomination_premiere_ligne;Indic_6M;Annee_creation;Montant_global_echeancier;"
    "Code_externe_stade;Code_externe_action"
)
HISTO_HEADER = (
    "siren,nic,siret,dateFin,dateDebut,etatAdministratifEtablissement,changementEtatAdministratifEtablissement,"
    "enseigne1Etablissement,enseigne2Etablissement,enseigne3Etablissement,changementEnseigneEtablissement,"
    "denominationUsuelleEtablissement,changementDenominationUsuelleEtablissement,activitePrincipaleEtablissement,"
    "nomenclatureActivitePrincipaleEtablissement,changementActivitePrincipaleEtablissement,"
    "caractereEmployeurEtablissement,changementCaractereEmployeurEtablissement"
)
REPORT_KEYS = {
    "source",
    "file",
    "sha256",
    "status",
    "lines_read",
    "lines_blank",
    "lines_loaded",
    "lines_rejected",
    "warnings",
    "rejections",
}
# raw_delai as raw-sources §5.5 describes it, then the lineage columns of §2.8 (DuckDB types)
DELAI_OUTPUT = {
    "siret": "VARCHAR",
    "siren": "VARCHAR",
    "est_pseudo_siret": "BOOLEAN",
    "numero_compte": "VARCHAR",
    "numero_contentieux": "VARCHAR",
    "date_creation": "DATE",
    "date_echeance": "DATE",
    "duree_delai_jours": "INTEGER",
    "denomination": "VARCHAR",
    "indic_6mois": "VARCHAR",
    "annee_creation": "INTEGER",
    "montant_echeancier": "DECIMAL(18,2)",
    "stade": "VARCHAR",
    "action": "VARCHAR",
}
LINEAGE = {
    "_batch_key": "VARCHAR",
    "_source_file": "VARCHAR",
    "_file_sha256": "VARCHAR",
    "_line_number": "INTEGER",
}


def sf(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert SF.exists(), f"the console script {SF} is not installed (make install)"
    return subprocess.run(
        [str(SF), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def write(path: Path, lines: list[str], newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode("utf-8"))
    return path


def one_json_object(stdout: str) -> dict:
    assert stdout.endswith("\n") and stdout.count("\n") == 1, stdout
    report = json.loads(stdout)
    assert isinstance(report, dict)
    return report


def counts(report: dict) -> tuple[int, int, int, int]:
    return report["lines_read"], report["lines_blank"], report["lines_loaded"], report["lines_rejected"]


# --- detect -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("sigfaible_debits.csv", "debit"),
        ("Sigfaible_debits.csv", "debit"),  # URSSAF names before 2023
        ("SIGFAIBLE_PCOLL.CSV", "procol"),
        ("2402/sigfaible_delais.csv", "delai"),  # inside a batch folder
        ("2403/sigfaible_cotisdues.csv.gz", "cotisation"),
        ("StockEtablissement_utf8_geo.csv", "sirene"),
        ("StockEtablissementHistorique_utf8.csv", "sirene_histo"),
        ("sireneUL.csv", "sirene_ul"),
        ("StockUniteLegale_utf8.zip", "sirene_ul"),  # recognised by its single member
        ("sigfaible_effectif_siren.csv", "effectif_ent"),  # rule 4 before rule 10
        ("effectif_dom.csv", "effectif"),
        ("act_partielle_ddes_depuis2015_france.csv", "apdemande"),
        ("E_202011095813_Retro-Paydex_20201207.csv", "paydex"),
        ("ratios_inpi_bce_2402.csv", "ratios_inpi_bce"),
        ("Diane_export_2024.txt", "diane"),
    ],
)
def test_detect_prints_the_source_of_a_recognised_name(tmp_path, relative, source):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(b"header\n"))
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("StockUniteLegale_utf8.csv", "siren\n")
    else:
        path.write_text("header\n")
    result = sf("raw", "detect", relative, cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{source}\n", "")


@pytest.mark.parametrize(
    "name",
    [
        "filter_siren_2402.csv",  # a perimeter list
        "E_202011095813_Identite_20201207.csv",  # another Altares extract, not paydex
        "sigfaible_debits.csv.part",  # a transfer in progress
        "sigfaible_debits.txt",
    ],
)
def test_detect_exits_1_with_a_message_on_an_unrecognised_name(tmp_path, name):
    (tmp_path / name).write_text("header\n")
    result = sf("raw", "detect", name, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert name in result.stderr and "not recognised" in result.stderr


# --- parse ----------------------------------------------------------------------------------------


def test_parse_prints_one_json_report_and_writes_the_rows_with_their_lineage(tmp_path):
    path = write(
        tmp_path / "2402" / "sigfaible_delais.csv",
        [
            DELAI_HEADER,
            "311;31;31234567800017;090048281379700073;3110201303256;24/03/2021;28/09/2021;188;OCCITANIA;SUP;2021;5697.00;APPROB;SUR PO",
            "",
            "117;75;75123456760015;000111222333444555;7510201400001;2021-06-01;2021-09-01;92;PARIS SAS;INF;2021;1200,50;DEBUT;SUR PO",
        ],
        newline="\r\n",
    )
    out = tmp_path / "out" / "delai.parquet"
    result = sf("raw", "parse", "delai", path, "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = one_json_object(result.stdout)
    assert report.keys() >= REPORT_KEYS
    assert report["source"] == "delai"
    assert report["file"] == "sigfaible_delais.csv"
    assert report["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report["status"] == "loaded"
    assert counts(report) == (2, 1, 2, 0)
    assert report["warnings"] == {}
    assert report["rejections"] == []

    con = duckdb.connect()
    types = dict(
        con.execute(f"select column_name, column_type from (describe select * from '{out}')").fetchall()
    )
    for column, column_type in {**DELAI_OUTPUT, **LINEAGE}.items():
        assert types.get(column) == column_type, column
    assert list(types)[-4:] == list(LINEAGE)
    rows = con.execute(
        f"""select siret, siren, est_pseudo_siret, numero_compte, date_creation, montant_echeancier,
                   _batch_key, _source_file, _file_sha256, _line_number
            from '{out}' order by _line_number"""
    ).fetchall()
    assert len(rows) == report["lines_loaded"]
    assert rows == [
        (
            "31234567800017",
            "312345678",
            False,
            "090048281379700073",
            dt.date(2021, 3, 24),
            Decimal("5697.00"),
            "2402",
            "sigfaible_delais.csv",
            report["sha256"],
            2,
        ),
        (
            "75123456760015",
            "751234567",
            True,  # nic starting with 6: a URSSAF pseudo-siret
            "000111222333444555",
            dt.date(2021, 6, 1),
            Decimal("1200.50"),
            "2402",
            "sigfaible_delais.csv",
            report["sha256"],
            4,  # physical line number: the blank line counts
        ),
    ]


def test_parse_lists_rejected_lines_and_still_exits_0(tmp_path):
    path = write(
        tmp_path / "sigfaible_pcoll.csv",
        [
            PROCOL_HEADER,
            "01234567891011;012345678;26MAY2014;1;Solde_procedure_redressement",
            "55555555500011;555555555;31FEB2013;3;Ouverture_liquidation",
            "",
            "0123456789101A;012345678;04OCT2017;2;Ouverture_sauvegarde",
            '654",',
            "55555555500011;555555555;01JAN2013;3;Jugement_inconnu",
        ],
    )
    result = sf("raw", "parse", "procol", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = one_json_object(result.stdout)
    assert report["status"] == "loaded"
    assert counts(report) == (5, 1, 2, 3)
    assert report["warnings"] == {"unknown_procol_label": 1}
    assert [(r["line_number"], r["reason_code"]) for r in report["rejections"]] == [
        (3, "invalid_date"),
        (5, "invalid_identifier"),
        (6, "wrong_field_count"),
    ]
    assert all({"line_number", "reason_code", "detail"} <= r.keys() for r in report["rejections"])
    assert "Dt_effet" in report["rejections"][0]["detail"]
    assert "Siret" in report["rejections"][1]["detail"]


def test_parse_reports_only_the_first_100_rejections(tmp_path):
    bad = [f"0123456789101A;012345678;26MAY2014;1;Ouverture_sauvegarde{i}" for i in range(150)]
    path = write(tmp_path / "sigfaible_pcoll.csv", [PROCOL_HEADER, *bad])
    result = sf("raw", "parse", "procol", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = one_json_object(result.stdout)
    assert counts(report) == (150, 0, 0, 150)
    assert len(report["rejections"]) == 100
    assert [r["line_number"] for r in report["rejections"]] == list(range(2, 102))


@pytest.mark.parametrize(
    ("source", "name", "lines", "reason"),
    [
        ("procol", "sigfaible_pcoll.csv", [], "no header"),
        ("procol", "sigfaible_pcoll.csv", ["Siret;Siren;Cat_v2", "01234567891011;012345678;1"], "Dt_effet"),
        ("sirene_histo", "StockEtablissementHistorique_utf8.csv", [HISTO_HEADER, "", ""], "no data line"),
    ],
    ids=["empty-file", "missing-required-column", "stock-without-data-line"],
)
def test_parse_exits_2_with_a_one_line_reason_on_a_fatal_error(tmp_path, source, name, lines, reason):
    path = tmp_path / name
    path.write_text("\n".join(lines) + ("\n" if lines else ""))
    out = tmp_path / "rows.parquet"
    result = sf("raw", "parse", source, path, "--out", out, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and reason in result.stderr
    assert result.stderr.startswith(f"{name}: ") and result.stderr.count(name) == 1
    report = one_json_object(result.stdout)
    assert report["status"] == "fatal"
    assert (report["lines_read"], report["lines_loaded"], report["lines_rejected"]) == (0, 0, 0)
    assert report["missing_columns"] == (["Dt_effet", "Lib_actx_stdx"] if reason == "Dt_effet" else [])
    assert not out.exists()


def test_parse_exits_2_on_an_unknown_source_name(tmp_path):
    path = write(tmp_path / "sigfaible_pcoll.csv", [PROCOL_HEADER])
    result = sf("raw", "parse", "pcoll", path, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "unknown source 'pcoll'" in result.stderr
