"""The real-format samples of ../shared/data/fixtures, parsed with values checked by hand against
raw-sources.md (§10 lists what each one exercises)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orchestration.sources.contract import get_contract
from orchestration.sources.parser import parse_file
from tests.conftest import shared_path


def parse(con, source: str, fixture: str):
    result = parse_file(con, get_contract(source), shared_path("fixtures", fixture))
    report = result.report
    assert report.lines_read == report.lines_loaded + report.lines_rejected
    rows = (
        con.sql(f"select * exclude (_line_hash) from {result.loaded} order by _line_number").df()
        if result.loaded
        else None
    )
    return report, rows


def exact(con, column: str, line: int):
    """One value as DuckDB returns it to Python (Decimal stays Decimal)."""
    return con.execute(f'select "{column}" from _sf_loaded where _line_number = ?', [line]).fetchall()[0][0]


def test_debit_cents_dates_periods_and_cutoff(con):
    report, rows = parse(con, "debit", "debit.csv")
    assert (report.status, report.lines_read, report.lines_blank, report.lines_rejected) == (
        "loaded",
        3,
        1,
        0,
    )
    first = rows.iloc[0]
    assert first.siret == "00000000000000" and first.numero_compte == "111982477292496174"
    assert first.numero_ecart_negatif == "659" and first.numero_historique == 9
    assert first.date_traitement.date() == dt.date(1999, 5, 5)
    assert first.periode_prise_en_compte.date() == dt.date(1999, 5, 1)
    assert (first.periode_debut.date(), first.periode_fin.date()) == (
        dt.date(2017, 2, 1),
        dt.date(2017, 3, 1),
    )
    assert (exact(con, "part_ouvriere", 2), exact(con, "part_patronale", 2)) == (
        Decimal("1959.07"),
        Decimal("8644.97"),
    )
    assert first.etat_compte == 5 and first.code_procedure_collective == "0" and not first.recours_en_cours
    assert first.debit_id == "000000000000002017020120170301659"
    second = rows.iloc[1]
    assert second.date_traitement.date() == dt.date(2005, 8, 24)
    assert second.periode_prise_en_compte.date() == dt.date(2005, 9, 1)  # day 24 > 20
    assert second.periode_debut.date() == dt.date(2015, 1, 1)
    assert exact(con, "part_ouvriere", 3) == Decimal("0.03")
    third = rows.iloc[2]
    assert third.periode_code == "199904" and third.periode_debut.date() == dt.date(1999, 1, 1)  # not April
    assert report.warnings["non_canonical_period"] == 1
    assert report.warnings_by_column["unknown_code"]["Cd_op_ecn"] == 2  # 63 and 43 are not in §11.1
    assert report.warnings_by_column["unknown_code"]["Etat_cpte"] == 2  # 5 and 4: kept with a warning


def test_cotisation_short_periods_and_negative_euros(con):
    report, rows = parse(con, "cotisation", "cotisation.csv")
    assert (report.lines_read, report.lines_blank, report.lines_rejected) == (3, 0, 0)
    assert rows.periode_code.tolist() == ["1031", "1022", "0232"]
    assert [d.date() for d in rows.periode_debut] == [
        dt.date(2010, 7, 1),
        dt.date(2010, 5, 1),
        dt.date(2002, 8, 1),
    ]
    assert [exact(con, c, 2) for c in ("montant_mis_en_recouvrement", "montant_encaisse", "montant_du")] == [
        Decimal("5"),
        Decimal("-68231"),
        Decimal("-21099"),
    ]


def test_effectif_wide_layout_melted_with_reporting_lag(con):
    report, rows = parse(con, "effectif", "effectif.csv")
    assert (report.lines_read, report.lines_loaded, report.rows_out) == (3, 3, 317)
    assert report.derniere_periode_renseignee == "2019-04-01"
    first = rows[rows.siret == "54236870268934"].set_index("periode").effectif
    assert first[dt.datetime(2010, 7, 1)] == 89  # '089'
    per_siret = rows.groupby("siret").size().sort_values()
    assert per_siret.iloc[0] == 112 - 19  # the third siret's last 19 months are empty


def test_sirene_geo_layout_quirks(con):
    report, rows = parse(con, "sirene", "sirene.csv")
    assert (report.lines_read, report.lines_rejected) == (5, 0)
    by_siret = rows.set_index("siret")
    first = by_siret.loc["95652057344947"]
    assert first.type_voie == "CHEMIN" and first.code_ape == "5221Z"
    assert report.warnings["inconsistent_siret"] >= 1
    second = by_siret.loc["96979276956291"]
    assert second.departement == "94"  # the commune wins over code postal 08079
    assert second.code_ape == "0091U"  # unreal but well-formed: kept
    nafrev1 = rows[rows.nomenclature_activite == "NAFRev1"]
    assert len(nafrev1) == 1 and nafrev1.code_ape.isna().all()  # loaded, code_ape NULL
    assert set(rows.etat_administratif) == {"A", "F"}
    assert (rows.longitude.fillna(1) != 0).all() and (rows.latitude.fillna(1) != 0).all()  # never 0


def test_sirene_ul_invalid_optional_values_become_null(con):
    report, rows = parse(con, "sirene_ul", "sirene_ul.csv")
    assert (report.lines_read, report.lines_loaded) == (4, 4)
    by_siren = rows.set_index("siren")
    assert (
        by_siren.loc["789211558"].date_creation is None
        or str(by_siren.loc["789211558"].date_creation) == "NaT"
    )
    assert str(by_siren.loc["138426539"].date_dernier_traitement) == "NaT"  # 95 seconds
    assert by_siren.loc["238307776"].code_ape is None or str(by_siren.loc["238307776"].code_ape) in (
        "nan",
        "None",
    )
    assert by_siren.loc["112233445"].raison_sociale == "companyname"
    assert by_siren.loc["138426539"].raison_sociale == "vaghuyy jjqcmkg"
    assert by_siren.loc["112233445"].tranche_effectifs == "8"
    assert set(rows.etat_administratif) == {"A", "C"}
