"""The project's own hand-written raw fixtures (tests/fixtures/raw/), one per source, parsed with
every expected value worked out by hand from raw-sources.md.

The fixtures are written from the spec alone, with invented identifiers (Luhn-valid where they stand
for real sirens or sirets) and the quirks the spec lists for each source. Unlike the shared samples
they are committed, so these tests always run.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from orchestration.settings import CONTRACTS_DIR
from orchestration.sources.contract import get_contract
from orchestration.sources.parser import parse_file
from orchestration.sources.recognition import recognise_name
from tests.conftest import FIXTURES

RAW = FIXTURES / "raw"

# source -> (own fixture, under a delivery name of §2.1; rejected line -> reason code)
OWN_FIXTURES: dict[str, tuple[str, dict[int, str]]] = {
    "sirene": ("StockEtablissement_utf8_geo.csv", {10: "invalid_identifier"}),
    "sirene_ul": ("StockUniteLegale_utf8.csv", {8: "invalid_identifier"}),
    "sirene_histo": (
        "StockEtablissementHistorique_utf8.csv",
        {7: "invalid_state", 8: "empty_period", 9: "invalid_date", 10: "invalid_identifier"},
    ),
    "effectif": ("sigfaible_effectif_siret.csv", {5: "invalid_identifier"}),
    "effectif_ent": ("sigfaible_effectif_siren.csv", {5: "invalid_identifier"}),
    "debit": (
        "sigfaible_debits.csv",
        {
            10: "invalid_period",
            11: "invalid_date",
            12: "missing_required_value",
            13: "invalid_identifier",
            14: "wrong_field_count",
            15: "wrong_field_count",
        },
    ),
    "cotisation": (
        "sigfaible_cotisdues.csv",
        {9: "invalid_period", 10: "invalid_number", 11: "missing_required_value"},
    ),
    "delai": ("sigfaible_delais.csv", {4: "invalid_date"}),
    "ccsf": ("sigfaible_ccsf.csv", {4: "invalid_date", 5: "wrong_field_count"}),
    "procol": ("sigfaible_pcoll.csv", {7: "invalid_date", 8: "wrong_field_count"}),
    "apdemande": (
        "demande_ap.csv",
        {6: "invalid_number", 7: "invalid_identifier", 8: "invalid_date", 9: "wrong_field_count"},
    ),
    "apconso": ("consommation_ap.csv", {7: "invalid_date", 8: "invalid_number", 9: "invalid_identifier"}),
    "paydex": (
        "E_202401155813_Retro-Paydex_20240115.csv",
        {5: "invalid_date", 8: "missing_required_value", 9: "invalid_identifier", 10: "invalid_date"},
    ),
    "ratios_inpi_bce": ("ratios_inpi_bce.csv", {5: "invalid_identifier", 6: "invalid_date"}),
    "diane": ("Diane_export_2024.txt", {5: "wrong_field_count", 6: "invalid_identifier"}),
    "bdf": ("bdf_2024.csv", {7: "invalid_date", 8: "missing_required_value"}),
}


def parse(con, source: str) -> tuple[Any, list[dict[str, Any]]]:
    """Parse the own fixture of a source: its report, and its loaded rows as plain Python values
    (DATE -> date, TIMESTAMP -> datetime, DECIMAL -> Decimal, NULL -> None), in line order."""
    result = parse_file(con, get_contract(source), RAW / OWN_FIXTURES[source][0])
    report = result.report
    assert report.status != "fatal", report.fatal_reason
    assert report.lines_read == report.lines_loaded + report.lines_rejected
    cursor = con.execute(f"select * exclude (_line_hash) from {result.loaded} order by _line_number")
    names = [d[0] for d in cursor.description]
    return report, [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def by_line(rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["_line_number"]: row for row in rows}


def rejected(report) -> dict[int, str]:
    return {r["line_number"]: r["reason_code"] for r in report.rejections}


def counts(report) -> tuple[int, int, int, int]:
    return report.lines_read, report.lines_blank, report.lines_loaded, report.lines_rejected


# --- every source has its own fixture ------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(p.stem for p in CONTRACTS_DIR.glob("*.yaml")))
def test_every_contract_has_an_own_fixture_that_parses(con, source):
    assert source in OWN_FIXTURES, f"data_contracts/{source}.yaml has no own fixture in tests/fixtures/raw/"
    name, expected_rejections = OWN_FIXTURES[source]
    assert (RAW / name).is_file()
    recognised = recognise_name(name)
    assert recognised is not None and recognised.source == source  # a delivery name of §2.1
    report = parse_file(con, get_contract(source), RAW / name).report
    assert report.status != "fatal", report.fatal_reason
    assert report.lines_read == report.lines_loaded + report.lines_rejected
    assert report.lines_loaded >= 3
    assert rejected(report) == expected_rejections  # no unexpected rejection, none missing


# --- INSEE ----------------------------------------------------------------------------------------


def test_sirene_geo_layout(con):
    report, rows = parse(con, "sirene")
    assert counts(report) == (10, 0, 9, 1)
    assert rejected(report) == {10: "invalid_identifier"}  # provisional siren P00012345
    assert report.unknown_columns == []  # NAF 2025 column matched by name, ignored columns listed
    assert report.warnings == {"inconsistent_siret": 1, "invalid_optional_value": 5}
    assert report.warnings_by_column["invalid_optional_value"] == {
        "longitude": 2,  # NOT_VALID (line 3) and 200.5, out of range (line 6)
        "latitude": 1,  # NOT_VALID (line 3)
        "dateCreationEtablissement": 1,  # 2019-02-30 (line 11)
        "(ligne)": 1,  # state X (line 7)
    }
    line = by_line(rows)

    paris = line[2]
    assert (paris["siret"], paris["siren"], paris["nic"]) == ("55210055400013", "552100554", "00013")
    assert paris["est_siege"] is True and paris["est_pseudo_siret"] is False
    assert (paris["etat_administratif"], paris["est_actif"]) == ("A", True)
    assert paris["date_creation"] == dt.date(2001, 3, 15)
    assert paris["date_debut_periode"] == dt.date(2015, 6, 1)
    assert paris["date_dernier_traitement"] == dt.datetime(2024, 1, 15, 10, 20, 30)
    assert (paris["tranche_effectifs"], paris["annee_effectifs"]) == ("11", 2021)
    assert paris["caractere_employeur"] is True
    assert (paris["code_ape"], paris["code_ape_naf25"]) == ("4520A", "4520Y")
    assert (paris["numero_voie"], paris["indice_repetition"], paris["type_voie"]) == ("12", "BIS", "RUE")
    assert (paris["departement"], paris["region"]) == ("75", "11")  # arrondissement 75102
    assert (paris["longitude"], paris["latitude"], paris["geo_score"]) == (2.331, 48.8698, 0.97)
    assert paris["geo_type"] == "housenumber"

    bordeaux = line[3]
    assert bordeaux["siret"] == "73282932000017"  # siren + nic, not the file's 73282932000018
    assert bordeaux["est_siege"] is False and bordeaux["est_actif"] is False
    assert bordeaux["type_voie"] == "CHEMIN"  # CHE
    assert bordeaux["enseigne"] == "BOULANGERIE DU PORT, SARL"  # quoted field holding a comma
    assert (bordeaux["longitude"], bordeaux["latitude"]) == (None, None)  # NOT_VALID: NULL, never 0
    assert bordeaux["geo_score"] == 0.0
    assert (bordeaux["departement"], bordeaux["region"]) == ("33", "75")

    nafrev1 = line[4]  # old nomenclature: loaded, code_ape NULL
    assert (nafrev1["activite_principale"], nafrev1["nomenclature_activite"]) == ("17.1P", "NAFRev1")
    assert nafrev1["code_ape"] is None and nafrev1["etat_administratif"] == "F"
    assert (nafrev1["longitude"], nafrev1["latitude"]) == (None, None)  # ungeocoded: empty, no warning

    ajaccio = line[5]
    assert (ajaccio["departement"], ajaccio["region"]) == ("2A", "94")  # commune 2A004
    assert (ajaccio["type_voie"], ajaccio["indice_repetition"]) == ("AVENUE", "TER")  # full word kept

    guadeloupe = line[6]
    assert (guadeloupe["departement"], guadeloupe["region"]) == ("971", "01")  # commune 97105
    assert guadeloupe["type_voie"] == "HAMEAU"  # HAM
    assert (guadeloupe["longitude"], guadeloupe["latitude"]) == (None, 16.2411)  # 200.5 is out of range

    no_commune = line[7]
    assert no_commune["code_commune"] is None
    assert no_commune["departement"] == "2A"  # fallback on code postal 20167 (201xx)
    assert (no_commune["etat_administratif"], no_commune["est_actif"]) == (None, None)  # state X

    foreign = line[8]
    assert (foreign["code_pays_etranger"], foreign["libelle_pays_etranger"]) == ("99109", "ALLEMAGNE")
    assert (foreign["departement"], foreign["region"]) == (None, None)

    partial = line[9]  # partially diffusible: [ND] is NULL
    assert partial["statut_diffusion"] == "P"
    assert (partial["numero_voie"], partial["libelle_voie"]) == (None, None)
    assert (partial["departement"], partial["region"]) == ("13", "93")  # Marseille arrondissement 13208

    unreal = line[11]
    assert unreal["date_creation"] is None  # 2019-02-30: NULL, row kept
    assert unreal["code_ape"] == "0091U"  # well-formed, absent from NAF: kept
    assert (unreal["departement"], unreal["region"]) == ("69", "84")  # Lyon arrondissement 69383


def test_sirene_ul_current_layout(con):
    report, rows = parse(con, "sirene_ul")
    assert counts(report) == (7, 0, 6, 1)
    assert rejected(report) == {8: "invalid_identifier"}  # 8-digit siren
    assert report.unknown_columns == []
    assert report.warnings_by_column == {
        "invalid_optional_value": {
            "dateCreationUniteLegale": 1,  # 2021-02-30
            "dateDernierTraitementUniteLegale": 1,  # 25 o'clock
            "(ligne)": 1,  # state Z
        }
    }
    assert not {"sexe", "pseudonyme", "identifiant_association"} & set(rows[0])  # personal data not loaded
    line = by_line(rows)

    company = line[2]
    assert company["siren"] == "552100554"
    assert company["denomination"] == company["raison_sociale"] == "SOCIETE DU LAC, SA"
    assert (company["sigle"], company["categorie_juridique"]) == ("SDL", "5599")
    assert (company["code_ape"], company["code_ape_naf25"]) == ("4520A", "4520Y")
    assert (company["nic_siege"], company["siret_siege"]) == ("00013", "55210055400013")
    assert (company["etat_administratif"], company["est_actif"]) == ("A", True)
    assert company["date_creation"] == dt.date(1955, 1, 1)
    assert company["date_debut_periode"] == dt.date(2010, 1, 1)
    assert company["date_dernier_traitement"] == dt.datetime(2024, 2, 1, 8, 0, 0)
    assert (company["tranche_effectifs"], company["annee_effectifs"]) == ("22", 2022)
    assert (company["categorie_entreprise"], company["annee_categorie_entreprise"]) == ("PME", 2022)
    assert company["economie_sociale_solidaire"] is False and company["societe_mission"] is False
    assert company["caractere_employeur"] is True and company["unite_purgee"] is None

    person = line[3]  # sole trader: prenom usuel + nom d'usage
    assert person["denomination"] is None and person["raison_sociale"] == "JEANNE DURAND"
    assert (person["nom"], person["prenom1"], person["prenom2"]) == ("MARTIN", "JEANNE", "MARIE")
    assert (person["etat_administratif"], person["est_actif"]) == ("C", False)
    assert person["date_dernier_traitement"] == dt.datetime(2023, 11, 2, 14, 3, 59)
    assert person["code_ape_naf25"] is None

    undisclosed = line[4]  # [ND] is NULL: no name can be built
    assert undisclosed["statut_diffusion"] == "P"
    assert undisclosed["nom"] is None and undisclosed["prenom1"] is None
    assert undisclosed["raison_sociale"] is None

    purged = line[5]
    assert purged["unite_purgee"] is True and purged["societe_mission"] is True
    assert purged["date_creation"] is None and purged["date_dernier_traitement"] is None

    old = line[6]
    assert (old["nomenclature_activite"], old["code_ape"]) == ("NAFRev1", None)
    assert old["economie_sociale_solidaire"] is True and old["est_actif"] is False

    unknown_state = line[7]
    assert (unknown_state["etat_administratif"], unknown_state["est_actif"]) == (None, None)
    assert (unknown_state["nic_siege"], unknown_state["siret_siege"]) == (None, None)


def test_sirene_histo_periods(con):
    report, rows = parse(con, "sirene_histo")
    assert counts(report) == (9, 0, 5, 4)
    assert rejected(report) == {
        7: "invalid_state",  # X
        8: "empty_period",  # both dates empty
        9: "invalid_date",  # dateFin 2014-01-01 before dateDebut 2015-01-01
        10: "invalid_identifier",  # 98765A321
    }
    line = by_line(rows)
    closing = line[2]
    assert (closing["siret"], closing["date_debut"], closing["date_fin"]) == (
        "12345678900016",
        dt.date(2009, 5, 27),
        None,  # open period
    )
    assert (closing["etat_administratif"], closing["est_actif"]) == ("F", False)
    assert closing["changement_etat_administratif"] is True and closing["code_ape"] == "3212Z"
    assert (line[3]["date_debut"], line[3]["date_fin"]) == (dt.date(2008, 1, 1), dt.date(2009, 5, 26))
    assert line[3]["changement_activite_principale"] is True and line[3]["est_actif"] is True
    assert line[4]["activite_principale"] is None and line[4]["code_ape"] is None
    assert line[5]["enseigne"] == "LES ATELIERS DU PORT, SARL"
    oldest = line[6]  # empty start with an end: the oldest period, allowed
    assert (oldest["date_debut"], oldest["date_fin"]) == (None, dt.date(2010, 12, 31))
    assert (oldest["nomenclature_activite"], oldest["code_ape"]) == ("NAFRev1", None)
    assert oldest["caractere_employeur"] is True


# --- URSSAF -----------------------------------------------------------------------------------------


def test_effectif_wide_layout_windows_1252(con):
    report, rows = parse(con, "effectif")
    assert report.encoding == "windows-1252"  # the names are Windows-1252 bytes, not UTF-8
    assert counts(report) == (5, 1, 4, 1)  # trailing blank line
    assert rejected(report) == {5: "invalid_identifier"}  # 4121234570001A
    assert report.rows_out == 9 + 12 + 10 + 0
    assert report.derniere_periode_renseignee == "2023-12-01"
    assert report.warnings == {"encoding_fallback": 1, "invalid_optional_value": 2, "integer_truncated": 1}
    months = {(r["_line_number"], r["periode"]): r for r in rows}
    jan, mar, may, oct_ = (dt.date(2023, m, 1) for m in (1, 3, 5, 10))

    def series(line_number: int) -> dict[int, int]:
        return {p.month: r["effectif"] for (n, p), r in months.items() if n == line_number}

    # 089 -> 89; "1\xa0204": the non-breaking space is a thousands separator; October-December empty
    assert series(2) == {1: 89, 2: 90, 3: 1204, 4: 91, 5: 0, 6: 95, 7: 96, 8: 97, 9: 98}
    assert months[(2, jan)]["siret"] == "55210055400013" and months[(2, jan)]["siren"] == "552100554"
    assert months[(2, jan)]["numero_compte"] == "117000123456789012"
    assert months[(2, may)]["effectif"] == 0  # '000' is a real zero
    assert (2, oct_) not in months  # an empty cell is an unknown month, not 0
    assert series(3) == {1: 16, 2: 12, 3: 14} | dict.fromkeys(range(4, 13), 15)  # 16.0 -> 16, 12.5 -> 12
    assert months[(3, jan)]["est_pseudo_siret"] is True  # nic 50000
    assert series(4) == {m: 5 for m in range(1, 13) if m not in (2, 3)}  # -3 and abc: no row
    assert months[(4, jan)]["numero_compte"] is None
    assert (4, mar) not in months
    assert series(6) == {}  # a line with no value is loaded and gives no row
    assert report.lines_loaded == 4


def test_effectif_ent_name_column_last(con):
    report, rows = parse(con, "effectif_ent")
    assert counts(report) == (5, 0, 4, 1)
    assert rejected(report) == {5: "invalid_identifier"}  # 8 digits
    assert report.rows_out == 4 + 6 + 6 + 3
    assert report.derniere_periode_renseignee == "2022-06-01"
    assert report.warnings == {}
    series: dict[str, dict[int, int]] = {}
    for r in rows:
        series.setdefault(r["siren"], {})[r["periode"].month] = r["effectif"]
    assert series == {
        "552100554": {1: 120, 2: 118, 3: 16, 4: 0},  # 16.0 -> 16; a 0 is loaded; May-June empty
        "732829320": {1: 1250, 2: 1248, 3: 1251, 4: 1260, 5: 1262, 6: 1270},  # '1 250': separator removed
        "820123453": {1: 9, 2: 9, 3: 10, 4: 10, 5: 11, 6: 11},  # the quote of L"ATELIER swallowed nothing
        "412123457": {1: 3, 3: 3, 5: 3},  # '412 123 457': spaces stripped
    }


def test_debit_cents_periods_cutoff_and_malformed_lines(con):
    report, rows = parse(con, "debit")
    assert counts(report) == (15, 1, 9, 6)
    assert rejected(report) == {
        10: "invalid_period",  # 202374: 3*(7-1)+4 = 22 is no month
        11: "invalid_date",  # 1230230 = 2023-02-30
        12: "missing_required_value",  # empty Mt_PO
        13: "invalid_identifier",  # 5521005540001A
        14: "wrong_field_count",  # truncated row
        15: "wrong_field_count",  # stray fragment 654",
    }
    assert report.warnings == {"non_canonical_period": 1, "unknown_code": 3, "inconsistent_siren": 1}
    assert report.warnings_by_column["unknown_code"] == {"Etat_cpte": 1, "Cd_op_ecn": 1, "Motif_ecn": 1}
    line = by_line(rows)

    first = line[2]
    assert (first["siret"], first["siren"], first["est_pseudo_siret"]) == (
        "55210055400013",
        "552100554",
        False,
    )
    assert (first["numero_compte"], first["numero_ecart_negatif"], first["numero_historique"]) == (
        "117000123456789012",
        "101",
        1,
    )
    assert first["date_traitement"] == dt.date(2023, 1, 15)  # 1230115 + 19000000
    assert first["periode_prise_en_compte"] == dt.date(2023, 1, 1)  # day 15 <= 20
    assert (first["periode_debut"], first["periode_fin"], first["periode_code"]) == (
        dt.date(2023, 1, 1),
        dt.date(2023, 2, 1),
        "202311",
    )
    assert (first["part_ouvriere"], first["part_patronale"]) == (Decimal("1234.56"), Decimal("78900.01"))
    assert (first["etat_compte"], first["code_procedure_collective"]) == (1, "0")  # blank Cd_pro_col is 0
    assert (first["code_operation_ecart_negatif"], first["code_motif_ecart_negatif"]) == ("1", "2")
    assert first["recours_en_cours"] is False
    assert first["date_immatriculation"] == dt.date(2015, 7, 8)  # YYYYMMDD
    assert (first["urssaf_gestion"], first["dep"]) == ("117", "75")
    assert first["debit_id"] == "55210055400013" + "20230101" + "20230201" + "101"

    assert line[3]["date_traitement"] == dt.date(2023, 2, 21)
    assert line[3]["periode_prise_en_compte"] == dt.date(2023, 3, 1)  # day 21 > 20: next month
    assert line[3]["code_procedure_collective"] == "0"
    assert (line[3]["part_ouvriere"], line[3]["part_patronale"]) == (Decimal("234.56"), Decimal("0.00"))

    quarter = line[4]
    assert quarter["periode_prise_en_compte"] == dt.date(2023, 3, 1)  # day 20: still its own month
    assert (quarter["periode_debut"], quarter["periode_fin"]) == (dt.date(2023, 1, 1), dt.date(2023, 4, 1))
    assert (quarter["part_ouvriere"], quarter["part_patronale"]) == (Decimal("-150.00"), Decimal("0.03"))
    assert quarter["recours_en_cours"] is True and quarter["code_procedure_collective"] == "1"
    assert quarter["debit_id"] == "55210055400013" + "20230101" + "20230401" + "201"

    quarter0 = line[5]  # 199904: quarter 0, "month 4" -> January 1999, never April
    assert (quarter0["periode_debut"], quarter0["periode_fin"]) == (dt.date(1999, 1, 1), dt.date(1999, 2, 1))
    assert quarter0["periode_code"] == "199904"
    assert quarter0["date_traitement"] == dt.date(1999, 12, 31)  # 6 digits: 991231
    assert quarter0["periode_prise_en_compte"] == dt.date(2000, 1, 1)
    assert quarter0["date_immatriculation"] == dt.date(1985, 3, 12)  # 6-digit Dt_immat is (A)AAMMJJ
    assert (quarter0["part_ouvriere"], quarter0["part_patronale"]) == (Decimal("5.00"), Decimal("10.00"))

    year = line[6]  # 62: the whole year
    assert (year["periode_debut"], year["periode_fin"]) == (dt.date(2022, 1, 1), dt.date(2023, 1, 1))
    assert (year["part_ouvriere"], year["part_patronale"]) == (Decimal("987654.32"), Decimal("123456.78"))
    assert year["date_immatriculation"] is None and year["etat_compte"] == 3
    assert year["code_procedure_collective"] == "9"

    unknown = line[7]  # Etat_cpte 7, Cd_op_ecn 63, Motif_ecn 74: kept verbatim
    assert (unknown["etat_compte"], unknown["code_operation_ecart_negatif"]) == (7, "63")
    assert unknown["code_motif_ecart_negatif"] == "74"
    assert unknown["siren"] == "412123457"  # from the siret; the file's Siren 999999999 only warns

    assert line[8]["est_pseudo_siret"] is True and line[8]["siret"] == "41212345750006"
    assert {k: v for k, v in line[9].items() if k != "_line_number"} == {
        k: v for k, v in line[8].items() if k != "_line_number"
    }  # the same line delivered twice: both load

    after_fragment = line[16]  # the quote of 654", swallowed nothing
    assert after_fragment["date_traitement"] == dt.date(2016, 3, 18)  # 1160318
    assert (after_fragment["periode_debut"], after_fragment["periode_fin"]) == (
        dt.date(2016, 7, 1),
        dt.date(2016, 8, 1),
    )
    assert after_fragment["part_ouvriere"] == Decimal("0.42")


def test_cotisation_short_periods_euros_crlf(con):
    report, rows = parse(con, "cotisation")
    assert counts(report) == (11, 0, 8, 3)
    assert rejected(report) == {
        9: "invalid_period",  # 2374
        10: "invalid_number",  # enc_direct abc
        11: "missing_required_value",  # empty cotis_due
    }
    assert report.unknown_columns == []  # Periode_debit and ecn are known and ignored
    assert report.warnings_by_column == {"invalid_optional_value": {"mer": 1}}  # '1.234,50'
    line = by_line(rows)
    expected = {
        2: ("2311", dt.date(2023, 1, 1), dt.date(2023, 2, 1)),
        3: ("2310", dt.date(2023, 1, 1), dt.date(2023, 4, 1)),  # Y = 0: the whole quarter
        4: ("2262", dt.date(2022, 1, 1), dt.date(2023, 1, 1)),  # 62: the whole year
        5: ("9942", dt.date(1999, 11, 1), dt.date(1999, 12, 1)),  # AA >= 50: 19AA
        6: ("0232", dt.date(2002, 8, 1), dt.date(2002, 9, 1)),  # leading zero kept
        7: ("1031", dt.date(2010, 7, 1), dt.date(2010, 8, 1)),
        8: ("2341", dt.date(2023, 10, 1), dt.date(2023, 11, 1)),
        12: ("2312", dt.date(2023, 2, 1), dt.date(2023, 3, 1)),
    }
    assert {n: (r["periode_code"], r["periode_debut"], r["periode_fin"]) for n, r in line.items()} == expected
    amounts = {
        n: (r["montant_mis_en_recouvrement"], r["montant_encaisse"], r["montant_du"]) for n, r in line.items()
    }
    assert amounts[2] == (Decimal("1200.50"), Decimal("1000"), Decimal("2200"))  # euros, comma-tolerant
    assert amounts[3] == (Decimal("0"), Decimal("3000.50"), Decimal("9000"))
    assert amounts[4] == (None, Decimal("-68231"), Decimal("-21099"))  # empty mer is NULL
    assert amounts[8] == (Decimal("12.50"), Decimal("10"), Decimal("22.75"))
    assert amounts[12] == (None, Decimal("5"), Decimal("5"))  # invalid optional mer: NULL, row kept
    assert line[7]["siret"] == "41212345700019"  # '412 123 457 00019': spaces stripped
    assert line[8]["est_pseudo_siret"] is True
    assert line[2]["numero_compte"] == "117000123456789012" and line[2]["urssaf_gestion"] == "117"


def test_delai_day_first_dates(con):
    report, rows = parse(con, "delai")
    assert counts(report) == (4, 1, 3, 1)
    assert rejected(report) == {4: "invalid_date"}  # 01/15/2021: never read month first
    assert report.warnings_by_column == {
        "invalid_optional_value": {"Duree_delai": 1},  # abc: NULL, row kept
        "unknown_code": {"Indic_6M": 1},  # XYZ kept verbatim
    }
    line = by_line(rows)
    example = line[2]  # the example of §5.5
    assert (example["siret"], example["siren"]) == ("31234567800017", "312345678")
    assert (example["numero_compte"], example["numero_contentieux"]) == (
        "090048281379700073",
        "3110201303256",
    )
    assert (example["date_creation"], example["date_echeance"]) == (
        dt.date(2021, 3, 24),
        dt.date(2021, 9, 28),
    )
    assert (example["date_echeance"] - example["date_creation"]).days == example["duree_delai_jours"] == 188
    assert (example["indic_6mois"], example["annee_creation"]) == ("SUP", 2021)
    assert example["montant_echeancier"] == Decimal("5697.00")
    assert (example["stade"], example["action"], example["denomination"]) == ("APPROB", "SUR PO", "OCCITANIA")
    iso = line[3]  # ISO fallback, comma decimal
    assert (iso["date_creation"], iso["date_echeance"]) == (dt.date(2021, 6, 1), dt.date(2021, 9, 1))
    assert iso["montant_echeancier"] == Decimal("1200.50")
    odd = line[5]  # inconsistent but well-formed: loaded
    assert odd["duree_delai_jours"] is None and odd["indic_6mois"] == "XYZ" and odd["annee_creation"] == 5647
    assert odd["montant_echeancier"] == Decimal("10000")


def test_ccsf_dates_and_stages(con):
    report, rows = parse(con, "ccsf")
    assert counts(report) == (5, 0, 3, 2)
    assert rejected(report) == {4: "invalid_date", 5: "wrong_field_count"}  # 1190230; 5 fields
    line = by_line(rows)
    assert (line[2]["siret"], line[2]["date_traitement"], line[2]["stade"], line[2]["action"]) == (
        "00000000000000",
        dt.date(2018, 1, 30),
        "DEBUT",
        "CCSF",
    )
    assert (line[3]["date_traitement"], line[3]["stade"]) == (dt.date(1999, 4, 1), "APPROB")
    assert line[3]["numero_compte"] == "450359886246036238"
    assert (line[6]["date_traitement"], line[6]["stade"]) == (dt.date(2019, 3, 15), "REJ")
    assert line[6]["est_pseudo_siret"] is True  # 10th digit 6
    assert report.warnings == {}


def test_procol_labels_split(con):
    report, rows = parse(con, "procol")
    assert counts(report) == (7, 0, 5, 2)
    assert rejected(report) == {7: "invalid_date", 8: "wrong_field_count"}  # 31FEB2013; 654",
    assert report.warnings == {"inconsistent_siren": 1, "unknown_procol_label": 1}
    line = by_line(rows)
    got = {
        n: (r["date_effet"], r["action_procol"], r["stade_procol"], r["categorie"]) for n, r in line.items()
    }
    assert got == {
        2: (dt.date(2014, 5, 26), "redressement", "solde_procedure", "1"),
        3: (dt.date(2017, 10, 4), "sauvegarde", "ouverture", "2"),
        4: (dt.date(2014, 2, 24), "sauvegarde", "plan_continuation", None),
        5: (dt.date(2012, 12, 31), "liquidation", "fin_procedure", "3"),
        6: (dt.date(2013, 1, 1), None, "jugement_inconnu", "3"),  # no action named: loaded, warned
    }
    assert line[2]["libelle_brut"] == "Solde_procedure_redressement"
    assert (line[2]["siret"], line[2]["siren"]) == ("01234567891011", "012345678")
    assert line[2]["est_pseudo_siret"] is True  # 10th digit 9
    assert line[6]["siren"] == "555555555"  # from the siret, not the file's 999999999


# --- DGEFP ------------------------------------------------------------------------------------------


def test_apdemande_full_export_inconsistent_quoting(con):
    report, rows = parse(con, "apdemande")
    assert counts(report) == (7, 1, 3, 4)  # a blank line between rows, CRLF
    assert rejected(report) == {
        6: "invalid_number",  # MOTIF_RECOURS_SE 1.5 must be an integer
        7: "invalid_identifier",  # empty ETAB_SIRET
        8: "invalid_date",  # DATE_DEB 2021-02-30
        9: "wrong_field_count",  # 19 fields for 20
    }
    assert report.unknown_columns == ["COLONNE_NOUVELLE"]  # CODE_NAF2 and ETAB_VILLE are known, ignored
    assert report.warnings == {"unknown_column": 1, "integer_truncated": 1, "unknown_code": 1}
    line = by_line(rows)

    first = line[2]
    assert (first["id_demande"], first["siret"], first["siren"]) == (
        "0752023001",
        "55210055400013",
        "552100554",
    )
    assert (first["effectif_entreprise"], first["effectif_etablissement"]) == (559, 120)  # 559.0 -> 559
    assert first["date_statut"] == dt.date(2023, 1, 10)
    assert (first["periode_debut"], first["periode_fin"]) == (dt.date(2023, 1, 2), dt.date(2023, 6, 30))
    assert first["heures_autorisees"] == 12000.5
    assert first["montant_autorise"] == Decimal("123456.78")  # "123456,78"
    assert (first["effectif_autorise"], first["motif_recours"], first["perimetre"]) == (40, 1, 2)
    assert (first["recours_anterieur"], first["avis_ce"]) == (3, 1)
    assert (first["heures_consommees"], first["effectif_consomme"]) == (3000.0, 35)
    assert first["montant_consomme"] == Decimal("45000.50")

    bare = line[3]  # unquoted dates and numbers; quoted ETAB_VILLE holding a comma
    assert (bare["date_statut"], bare["periode_debut"], bare["periode_fin"]) == (
        dt.date(2023, 2, 1),
        dt.date(2023, 2, 1),
        dt.date(2023, 3, 31),
    )
    assert bare["effectif_etablissement"] == 12  # 12.5 truncated, with a warning
    assert (bare["montant_autorise"], bare["perimetre"], bare["avis_ce"]) == (Decimal("8000.00"), 3, 0)
    assert (bare["heures_consommees"], bare["effectif_consomme"], bare["montant_consomme"]) == (
        None,
        None,
        None,
    )

    old = line[5]  # 2020 date forms; motif 7 undocumented but kept; L"HAY-LES-ROSES read literally
    assert old["date_statut"] == dt.date(2020, 3, 15)  # DD/MM/YYYY
    assert old["periode_debut"] == dt.date(2020, 3, 16)
    assert old["periode_fin"] == dt.date(2020, 6, 30)  # DD/MM/YY read as 20YY
    assert (old["motif_recours"], old["perimetre"], old["avis_ce"]) == (7, 4, 3)
    assert (old["montant_autorise"], old["montant_consomme"]) == (Decimal("15000.00"), Decimal("12000.50"))
    assert old["est_pseudo_siret"] is True  # nic 50000

    codes = get_contract("apdemande")  # code labels holding commas are read whole
    assert set(codes.column("motif_recours").codes or {}) == {"1", "2", "3", "4", "5"}
    assert set(codes.column("perimetre").codes or {}) == {"1", "2", "3", "4"}
    assert codes.column("perimetre").codes["3"] == "fermeture temporaire, tout l'établissement"


def test_apconso_months_and_repeated_payments(con):
    report, rows = parse(con, "apconso")
    assert counts(report) == (8, 0, 5, 3)
    assert rejected(report) == {
        7: "invalid_date",  # 2020-13-01
        8: "invalid_number",  # HEURES abc
        9: "invalid_identifier",  # empty ETAB_SIRET
    }
    assert report.unknown_columns == []  # DEP, REG, Naf5_code: known export columns, ignored
    assert report.warnings_by_column == {"day_in_month_field": {"MOIS": 1}}
    got = {
        r["_line_number"]: (
            r["id_demande"],
            r["heures"],
            r["montant"],
            r["effectif"],
            r["periode"],
            r["mois_brut"],
        )
        for r in rows
    }
    assert got == {
        2: ("0752023001", 151.67, Decimal("1234.56"), 1, dt.date(2023, 1, 1), "2023-01-01"),
        3: ("0752023001", 303.34, Decimal("2469.12"), 2, dt.date(2023, 2, 1), "2023-02-01"),  # "2469,12"
        4: ("0752023001", 10.5, Decimal("80.00"), 1, dt.date(2023, 2, 1), "2023-02-01"),  # same month again
        5: ("0332020042", 780.0, Decimal("62.00"), 16, dt.date(2020, 12, 1), "2020-12-30"),  # truncated
        6: ("0332020042", 0.0, Decimal("0.00"), 0, dt.date(2020, 4, 1), "04/2020"),  # MM/YYYY
    }
    assert [r["est_pseudo_siret"] for r in rows] == [False, False, False, True, True]


# --- Altares, INPI/BCE, Bureau van Dijk, Banque de France -------------------------------------------


def test_paydex_day_first_and_rejections(con):
    report, rows = parse(con, "paydex")
    assert counts(report) == (10, 1, 6, 4)
    assert rejected(report) == {
        5: "invalid_date",  # 01/15/2024: month 15, never swapped
        8: "missing_required_value",  # empty NB_JOURS
        9: "invalid_identifier",  # 8-digit siren
        10: "invalid_date",  # 31/04/2024 does not exist
    }
    got = {r["_line_number"]: (r["siren"], r["date_valeur"], r["nb_jours"], r["libelle"]) for r in rows}
    assert got == {
        2: ("552100554", dt.date(2023, 12, 15), 12, "12 jours"),
        3: ("552100554", dt.date(2024, 1, 15), 0, "0 jours"),  # 0 days is a value
        4: ("732829320", dt.date(2024, 1, 15), 45, "45 jours"),
        6: ("820123453", dt.date(2023, 11, 15), 3, None),
        7: ("820123453", dt.date(2023, 11, 15), 3, None),  # a Retro file repeats history
        11: ("302487152", dt.date(2024, 4, 30), 7, "7 jours"),
    }


def test_ratios_inpi_bce_bom_and_units(con):
    report, rows = parse(con, "ratios_inpi_bce")
    assert counts(report) == (5, 0, 3, 2)
    assert rejected(report) == {5: "invalid_identifier", 6: "invalid_date"}  # '123'; 2024-13-30
    assert report.header[0] == "siren"  # the UTF-8 BOM is not part of the first column name
    line = by_line(rows)
    complete = line[2]
    assert (complete["siren"], complete["date_cloture_exercice"], complete["type_bilan"]) == (
        "552100554",
        dt.date(2023, 12, 31),
        "C",
    )
    assert [complete[c] for c in ("chiffre_d_affaires", "marge_brute", "ebe", "ebit", "resultat_net")] == [
        Decimal("1250000"),
        Decimal("420000"),
        Decimal("-114410"),
        Decimal("-130000"),
        Decimal("-150000"),
    ]  # euros as published, never rescaled
    assert (complete["marge_ebe"], complete["taux_d_endettement"]) == (-9.153, 85.2)  # percentages
    assert (complete["rotation_des_stocks_jours"], complete["credit_fournisseurs_jours"]) == (0.0, 61.0)
    assert complete["confidentiality"] == "Public"
    consolidated = line[3]  # same siren and closing date, consolidated accounts: its own row
    assert (consolidated["type_bilan"], consolidated["ebe"]) == ("K", Decimal("120000"))
    confidential = line[4]
    assert (
        confidential["type_bilan"] == "S" and confidential["confidentiality"] == "Partiellement confidentiel"
    )
    assert confidential["chiffre_d_affaires"] is None and confidential["marge_ebe"] is None


def test_diane_utf16_wide_years(con):
    report, rows = parse(con, "diane")
    assert report.encoding == "utf-16le"
    assert counts(report) == (5, 0, 3, 2)
    assert rejected(report) == {5: "wrong_field_count", 6: "invalid_identifier"}  # 5 fields of 33; 8 digits
    assert report.rows_out == 3 + 2 + 2  # one row per company and year with a value
    assert report.unknown_columns == ["Ratio inventé kEUR 2023"]  # a yearly label not in §7.3
    assert report.warnings_by_column["invalid_optional_value"] == {
        "Procédure collective": 1,  # 'En cours' is neither Oui nor Non
        "Indépendance fin. % AAAA": 1,  # n.d.
    }
    # the fixture carries 14 of the 80 labels of §7.3 (6 static, 8 yearly): the others are missing
    assert report.warnings["missing_optional_column"] == 80 - 14
    assert "Taille de la Composition du Groupe" in report.missing_columns
    got = {(r["siren"], r["exercice"]): r for r in rows}
    assert sorted(got) == [
        ("552100554", 2021),
        ("552100554", 2022),
        ("552100554", 2023),
        ("732829320", 2022),  # 2021 is empty for this company: no row
        ("732829320", 2023),
        ("820123453", 2021),
        ("820123453", 2022),
    ]
    lac = got[("552100554", 2023)]
    assert lac["nom_entreprise"] == "SOCIETE DU LAC"
    assert lac["statut_juridique"] == "SA"  # label "Statut juridique " has a trailing space
    assert lac["procedure_collective"] is False  # Non
    assert (lac["nombre_etablissements_secondaires"], lac["nombre_filiales"]) == (3, 2)  # Nombre d’ES
    assert lac["date_cloture"] == dt.date(2023, 12, 31) and lac["nombre_mois"] == 12
    assert lac["chiffre_affaires"] == Decimal("1234500.00")  # '01234,5' kEUR
    assert lac["concours_bancaires_courants"] == Decimal("12000.00")  # label with a double space
    assert lac["dotations_amortissements_provisions"] == Decimal("-12750.00")  # '-12,75' kEUR
    assert lac["independance_financiere"] == 9.42  # '09,42'
    assert (lac["effectif_consolide"], lac["credit_clients_jours"]) == (45, 62.0)
    lac_2021 = got[("552100554", 2021)]
    assert lac_2021["chiffre_affaires"] == Decimal("980000.00")
    assert lac_2021["concours_bancaires_courants"] is None  # empty cell
    assert lac_2021["independance_financiere"] == 11.5  # label "Indépendance fin.  % 2021"
    assert lac_2021["statut_juridique"] == "SA"  # static fields copied on every year
    lac_2022 = got[("552100554", 2022)]
    assert lac_2022["concours_bancaires_courants"] == Decimal("0.00")  # "... cr.  kEUR 2022"
    assert lac_2022["credit_clients_jours"] == 60.0  # label written in NFD: matched after NFC
    assert lac_2022["chiffre_affaires"] == Decimal("1105250.00")
    martin = got[("732829320", 2022)]
    assert martin["procedure_collective"] is True  # Oui
    assert martin["independance_financiere"] is None  # n.d.
    assert (martin["nombre_mois"], martin["date_cloture"]) == (18, dt.date(2022, 6, 30))
    assert got[("732829320", 2023)]["independance_financiere"] == -20.51
    durand = got[("820123453", 2022)]
    assert durand["procedure_collective"] is None and durand["nombre_filiales"] is None
    assert durand["chiffre_affaires"] == Decimal("3650500.00")  # '3650,5' kEUR


def test_bdf_spaced_siren_and_french_months(con):
    report, rows = parse(con, "bdf")
    assert counts(report) == (7, 1, 5, 2)  # trailing blank line
    assert rejected(report) == {
        7: "invalid_date",  # 31APR2015 does not exist
        8: "missing_required_value",  # empty ANNEE
    }
    assert report.warnings_by_column == {"invalid_optional_value": {"POIDS_DFISC_SOC": 1}}  # abc
    line = by_line(rows)
    first = line[2]
    assert first["siren"] == "552100554"  # '552 100 554'
    assert (first["annee_bdf"], first["arrete_bilan"]) == (2013, dt.date(2012, 12, 31))  # 31DEC2012
    assert (first["raison_sociale"], first["code_postal"], first["region_libelle"]) == (
        "SOCIETE DU LAC",
        "75008",
        "ILE DE FRANCE",
    )
    assert first["secteur"] == "01 Industrie et Transports (Hors TRM)"
    assert [
        first[c]
        for c in (
            "poids_frng",
            "taux_marge",
            "delai_fournisseurs_jours",
            "poids_dettes_fiscales_sociales",
            "poids_financement_court_terme",
            "poids_frais_financiers",
        )
    ] == [-37.5, -63.1, 88.5, 561.0, 5.2, -9.4]
    assert line[3]["arrete_bilan"] == dt.date(2013, 12, 31)  # 31déc2013
    assert (line[3]["poids_frng"], line[3]["poids_dettes_fiscales_sociales"]) == (12.0, 235.0)  # integers
    assert line[4]["arrete_bilan"] == dt.date(2014, 6, 30)  # 30juin2014
    assert line[4]["poids_frng"] is None and line[4]["poids_dettes_fiscales_sociales"] is None
    assert line[5]["arrete_bilan"] == dt.date(2015, 2, 28)  # 28févr.2015: trailing dot tolerated
    assert line[6]["arrete_bilan"] == dt.date(2015, 3, 31)  # 31MAR2015
