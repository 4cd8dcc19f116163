"""The real-format samples of ../shared/data/fixtures, parsed with values checked by hand against
raw-sources.md (§10 lists what each one exercises)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orchestration.sources.contract import get_contract
from orchestration.sources.parser import parse_file
from orchestration.sources.recognition import recognise_name
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


def python_rows(con) -> list[dict]:
    """The loaded rows as plain Python values (DATE -> date, DECIMAL -> Decimal, NULL -> None)."""
    cursor = con.execute("select * exclude (_line_hash) from _sf_loaded order by _line_number")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def columns(rows: list[dict], expected: dict[str, list]) -> dict[str, list]:
    """The loaded values of the expected columns, one list per column in line order."""
    return {name: [row[name] for row in rows] for name in expected}


def test_apconso_day_in_month_truncated_with_warning(con):
    report, _ = parse(con, "apconso", "apconso.csv")
    assert (report.status, report.lines_read, report.lines_blank) == ("loaded", 3, 0)
    assert (report.lines_loaded, report.lines_rejected) == (3, 0)
    assert report.warnings_by_column == {"day_in_month_field": {"MOIS": 1}}
    rows = python_rows(con)
    expected = {
        "_line_number": [2, 3, 4],
        "id_demande": ["d363954866", "u90q913412", "p95a076375"],
        "siret": ["61433760225578", "65272073959845", "53312397597505"],
        "siren": ["614337602", "652720739", "533123975"],
        "est_pseudo_siret": [False, True, True],  # 10th digits 2, 5 and 9
        "heures": [311.54, 44.11, 780.0],
        "montant": [Decimal("214.00"), Decimal("659.00"), Decimal("62.00")],
        "effectif": [0, 2, 16],  # 0.0, 2.0, 16.0
        "periode": [dt.date(2004, 12, 1), dt.date(2019, 1, 1), dt.date(2020, 12, 1)],  # 2020-12-30 -> 12-01
        "mois_brut": ["2004-12-01", "2019-01-01", "2020-12-30"],
        "_avertissements": [[], [], ["day_in_month_field|MOIS"]],
    }
    assert columns(rows, expected) == expected


# The three rows of apdemande.csv, worked out from the raw lines (§6.1).
APDEMANDE_EXPECTED = {
    "id_demande": ["f288626887", "j354624024", "m80v947695"],
    "siret": ["15756082097503", "50930194570891", "99508628226971"],
    "siren": ["157560820", "509301945", "995086282"],
    "est_pseudo_siret": [True, True, False],  # 10th digits 9, 7 and 2
    "effectif_entreprise": [559, 20, 949],  # 559.0 -> 559
    "effectif_etablissement": [0, 82, 535],  # 0.0 -> 0
    "date_statut": [dt.date(2012, 2, 11), dt.date(2012, 3, 11), dt.date(2012, 4, 11)],
    "periode_debut": [dt.date(2017, 8, 9), dt.date(2005, 8, 29), dt.date(2014, 4, 29)],
    "periode_fin": [dt.date(2017, 9, 9), dt.date(2005, 9, 29), dt.date(2014, 5, 29)],  # 1st: unquoted
    "heures_autorisees": [42078.52, 178.0, 345.0],
    "montant_autorise": [Decimal("666113.56"), Decimal("953.96"), Decimal("72697.76")],
    "effectif_autorise": [99, 9, 83],
    "motif_recours": [1, 3, 4],
    "perimetre": [2, 2, 1],
    "heures_consommees": [48512.0, 81.0, 6165.0],
    "effectif_consomme": [319, 8, 64],  # 319.0, 8 (bare integer), 64.0
    "montant_consomme": [Decimal("689663.30"), Decimal("820.94"), Decimal("1456.27")],
    "recours_anterieur": [3, 1, 2],
    "avis_ce": [None, None, None],  # the column is absent
}


def test_apdemande_inconsistent_quoting_and_floats_for_integers(con):
    report, _ = parse(con, "apdemande", "apdemande.csv")
    assert (report.status, report.lines_read, report.lines_blank) == ("loaded", 3, 0)
    assert (report.lines_loaded, report.lines_rejected) == (3, 0)
    assert report.missing_columns == ["AVIS_CE"]  # optional: NULL and a warning
    assert report.warnings == {"missing_optional_column": 1}  # 559.0, 99.0...: no truncation warning
    rows = python_rows(con)
    assert columns(rows, APDEMANDE_EXPECTED) == APDEMANDE_EXPECTED
    assert [row["_line_number"] for row in rows] == [2, 3, 4]


def test_apdemande_blank_lines_give_the_same_rows(con):
    crlf_report, _ = parse(con, "apdemande", "apdemande.csv")
    lineage = {"_line_number", "_avertissements"}
    crlf_rows = [{k: v for k, v in row.items() if k not in lineage} for row in python_rows(con)]
    report, _ = parse(con, "apdemande", "apdemande_blank_lines.csv")
    assert (report.lines_read, report.lines_blank, report.lines_loaded, report.lines_rejected) == (3, 3, 3, 0)
    rows = python_rows(con)
    assert [row["_line_number"] for row in rows] == [3, 5, 7]  # physical numbers count the blank lines
    assert [{k: v for k, v in row.items() if k not in lineage} for row in rows] == crlf_rows
    assert columns(rows, APDEMANDE_EXPECTED) == APDEMANDE_EXPECTED
    assert report.warnings == crlf_report.warnings


def test_paydex_month_day_inversion_rejected(con):
    report, _ = parse(con, "paydex", "paydex.csv")
    assert (report.lines_read, report.lines_blank, report.lines_loaded, report.lines_rejected) == (6, 0, 5, 1)
    assert [(r["line_number"], r["reason_code"]) for r in report.rejections] == [(4, "invalid_date")]
    assert "DATE_VALEUR" in report.rejections[0]["detail"]  # 01/15/2019: month 15, never swapped
    expected = {
        "_line_number": [2, 3, 5, 6, 7],
        "siren": ["000000001", "000000001", "000000001", "000000002", "000000002"],
        "nb_jours": [2, 1, 3, 4, 5],
        "libelle": ["2 jours", "1 jours", "3 jours", "4 jours", "5 jours"],
        "date_valeur": [
            dt.date(2018, 12, 15),
            dt.date(2018, 1, 15),
            dt.date(2019, 1, 15),
            dt.date(2018, 12, 15),
            dt.date(2019, 1, 15),
        ],
    }
    assert columns(python_rows(con), expected) == expected


def test_bdf_spaced_siren_and_ratios(con):
    report, _ = parse(con, "bdf", "bdf.csv")
    assert (report.lines_read, report.lines_blank, report.lines_loaded, report.lines_rejected) == (3, 1, 3, 0)
    assert report.warnings == {}
    expected = {
        "_line_number": [2, 3, 4],
        "siren": ["000111222", "000111223", "000111224"],  # '000 111 222': spaces stripped
        "annee_bdf": [2013, 2014, 2015],
        "arrete_bilan": [dt.date(2012, 12, 31), dt.date(2013, 12, 31), dt.date(2014, 12, 31)],
        "raison_sociale": ["SOCIETE", "SOCIETE", "SOCIETE"],
        "code_postal": ["87000", "75000", "44100"],
        "region_libelle": ["NOUVELLE-AQUITAINE", "ILE DE FRANCE", "PAYS DE LA LOIRE"],
        "secteur": ["01 Industrie et Transports (Hors TRM)"] * 3,
        "poids_frng": [-37.5, -77.1, 64.5],
        "taux_marge": [-63.1, -13.9, 103.5],
        "delai_fournisseurs_jours": [88.5, 203.8, 22.9],
        "poids_dettes_fiscales_sociales": [561.0, 204.0, 235.0],  # '235': an integer ratio
        "poids_financement_court_terme": [5.2, 9.2, 7.3],
        "poids_frais_financiers": [-9.4, 7.3, 20.3],
    }
    assert columns(python_rows(con), expected) == expected


def test_effectif_ent_name_column_last_and_zero_loaded(con):
    report, _ = parse(con, "effectif_ent", "effectif_ent.csv")
    assert (report.lines_read, report.lines_loaded, report.lines_rejected, report.rows_out) == (1, 1, 0, 5)
    assert report.derniere_periode_renseignee == "2010-05-01"
    assert report.unknown_columns == [] and report.warnings == {}  # rais_soc is known, ignored
    rows = python_rows(con)
    assert {row["siren"] for row in rows} == {"542368702"}
    assert {row["periode"]: row["effectif"] for row in rows} == {
        dt.date(2010, 1, 1): 629,  # eff201011
        dt.date(2010, 2, 1): 536,  # eff201012
        dt.date(2010, 3, 1): 209,  # eff201013
        dt.date(2010, 4, 1): 0,  # eff201021: a 0 is loaded
        dt.date(2010, 5, 1): 585,  # eff201022
    }
    # under its fixture name the file would be taken for effectif (rule 10), hence the delivery name
    assert recognise_name("effectif_ent.csv").source == "effectif"
    assert recognise_name("sigfaible_effectif_siren.csv").source == "effectif_ent"


def test_diane_utf16_wide_years_out_of_order(con):
    report, _ = parse(con, "diane", "diane.txt")
    assert (report.status, report.encoding) == ("loaded", "utf-16le")
    assert (report.lines_read, report.lines_loaded, report.lines_rejected) == (3, 3, 0)
    assert len(report.header) == 447 and report.unknown_columns == [] and report.missing_columns == []
    # 'sky', 'cuz', 'ylw' are neither Oui nor Non: NULL with a warning, the row is kept
    assert report.warnings_by_column == {"invalid_optional_value": {"Procédure collective": 3}}
    rows = {(row["siren"], row["exercice"]): row for row in python_rows(con)}
    assert report.rows_out == 15  # the third company has no value at all for 2015-2017: 6 + 6 + 3
    assert sorted(rows) == sorted(
        [(siren, year) for siren in ("839244082", "604713366") for year in range(2012, 2018)]
        + [("313829771", year) for year in (2012, 2013, 2014)]
    )
    first_2016 = rows[("839244082", 2016)]
    name = "bysmsnh awkvsuik tupkif djyoguh cfe bwhkxnc ocbknhd mo kmgbd hquxb"
    assert first_2016["nom_entreprise"] == name
    assert first_2016["statut_juridique"] == "byfnw"  # "Statut juridique " (trailing space)
    assert first_2016["procedure_collective"] is None
    assert first_2016["nombre_etablissements_secondaires"] == 67  # "Nombre d’ES" (typographic apostrophe)
    assert (first_2016["nombre_filiales"], first_2016["taille_groupe"]) == (5, 4)
    assert first_2016["effectif_consolide"] == 9  # '09'
    assert first_2016["date_cloture"] == dt.date(2014, 5, 9)  # "Date de clôture 2016" = 09/05/2014
    assert first_2016["nombre_mois"] == 81
    assert first_2016["dettes_fiscales_sociales"] == Decimal("995000")  # 995 kEUR
    assert first_2016["ca_par_effectif"] == Decimal("1000")  # '01' kEUR
    assert first_2016["equilibre_financier"] == 2.17  # 2016 comes after 2015 in the header
    first_2012 = rows[("839244082", 2012)]
    assert first_2012["independance_financiere"] == 9.42  # '09,42'
    assert first_2012["frais_recherche_developpement"] == Decimal("8000")  # 2012 column before 2013
    assert first_2012["benefice_ou_perte"] == Decimal("0")
    first_2017 = rows[("839244082", 2017)]
    assert first_2017["chiffre_affaires"] == Decimal("213000")  # '0213' kEUR
    assert first_2017["ca_par_effectif"] == Decimal("49000")  # "C. A.  par effectif ..." (double space)
    assert first_2017["concours_bancaires_courants"] is None  # empty in every year
    assert first_2017["couverture_ca_bfr_jours"] is None
    second_2012 = rows[("604713366", 2012)]
    assert second_2012["dotations_amortissements_provisions"] == Decimal("4000")  # "et  prov." every year
    assert second_2012["nombre_etablissements_secondaires"] == 7
    third_2012, third_2013, third_2014 = (rows[("313829771", year)] for year in (2012, 2013, 2014))
    assert third_2013["concours_bancaires_courants"] == Decimal("91000")
    assert third_2012["concours_bancaires_courants"] == Decimal("949000")
    assert third_2012["rendement_brut_fonds_propres"] == -61.54  # '-061,54'
    assert third_2014["independance_financiere"] == -20.51  # "Indépendance fin.  % 2014"
    assert third_2014["excedent_brut_exploitation"] == Decimal("-877000")
    assert third_2014["date_cloture"] == dt.date(2016, 5, 9)
    assert third_2013["effectif_consolide"] == 49 and third_2013["taux_marge_commerciale"] == 25.56
