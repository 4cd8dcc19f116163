"""Acceptance 4: every alerted company of a published list has a waterfall that adds up (base value
+ the five theme contributions = probability) and three French reasons (model.md §8.3-§8.4)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from models.dictionary import THEMES, FeatureDictionary, FeatureSpec
from models.french import NARROW_NBSP
from models.scoring import score_list
from models.training import fit

MONTH = dt.date(2024, 3, 1)
T_FORT, T_MODERE = 0.75, 0.4


def spec(feature, base, theme, template="", unit="", when_null="", categorical=False):
    return FeatureSpec(feature, base, theme, categorical, feature, template, when_null, False, unit)


DICTIONARY = FeatureDictionary(
    (
        spec(
            "urssaf_dette_sur_cotisation",
            "dette_sur_cotisation",
            "dette_urssaf",
            "Dette sociale URSSAF équivalente à {valeur} mois de cotisations (situation au 20 {mois})",
            "months",
        ),
        spec(
            "urssaf_mois_consecutifs_dette",
            "mois_consecutifs_dette",
            "dette_urssaf",
            "Dette sociale présente depuis {valeur} mois consécutifs",
            "months",
        ),
        spec(
            "fourn_paydex_jours",
            "paydex",
            "retards_paiement",
            "Retards de paiement fournisseurs de {valeur} jours en moyenne ({mois})",
            "count",
        ),
        spec(
            "ap_etp_conso_mean3m",
            "ap_etp",
            "activite_partielle",
            "Activité partielle : {valeur} salariés en équivalent temps plein ({mois})",
            "employees",
        ),
        spec(
            "fin_capitaux_propres",
            "capitaux_propres",
            "sante_financiere",
            "Capitaux propres de {valeur} € au dernier bilan",
            "euros",
            when_null="Aucun bilan disponible",
        ),
        spec(
            "eff_var12m",
            "effectif",
            "effectif_contexte",
            "Effectif en évolution de {valeur} sur un an",
            "ratio",
        ),
        spec("ctx_naf_section", "secteur", "effectif_contexte", categorical=True),
    ),
    "test",
)
PREFIXES = (
    "Dette sociale URSSAF équivalente à ",
    "Dette sociale présente depuis ",
    "Retards de paiement fournisseurs de ",
    "Activité partielle : ",
    "Capitaux propres de ",
    "Aucun bilan disponible",
    "Effectif en évolution de ",
)


@pytest.fixture(scope="module")
def published():
    """A small model on a seeded panel whose risk grows with the number of stressed themes."""
    rng = np.random.default_rng(4)
    n = 6000
    stress = rng.random((n, 5)) < 0.25
    capitaux = np.where(stress[:, 3], -rng.gamma(2, 40_000, n), rng.gamma(2, 200_000, n))
    capitaux[rng.random(n) < 0.1] = np.nan  # no usable accounts
    frame = pd.DataFrame(
        {
            "siren": [f"{400_000_000 + i:09d}" for i in range(n)],
            "periode": pd.Timestamp(MONTH),
            "urssaf_dette_sur_cotisation": np.where(
                stress[:, 0], rng.uniform(1.5, 6, n), rng.uniform(0, 0.3, n)
            ),
            "urssaf_mois_consecutifs_dette": np.where(stress[:, 0], rng.integers(3, 24, n), 0).astype(float),
            "fourn_paydex_jours": np.where(stress[:, 1], rng.uniform(30, 90, n), rng.uniform(0, 10, n)),
            "ap_etp_conso_mean3m": np.where(stress[:, 2], rng.uniform(2, 30, n), 0.0),
            "fin_capitaux_propres": capitaux,
            "eff_var12m": np.where(stress[:, 4], rng.uniform(-0.6, -0.2, n), rng.uniform(-0.05, 0.1, n)),
            "ctx_naf_section": rng.choice(["C", "F", "G", "I"], n),
        }
    )
    logit = -9.0 + 3.0 * stress.sum(axis=1)  # stressed themes: 2 -> p = 0.05, 3 -> 0.5, 4 -> 0.95
    frame["cible"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    model = fit(frame, DICTIONARY, iterations=300, params={"thread_count": 1}, negative_share=None)
    return score_list(
        model,
        frame.drop(columns="cible"),
        DICTIONARY,
        t_fort=T_FORT,
        t_modere=T_MODERE,
        month=MONTH,
        model_version="test",
        features_version="test",
        data_versions={},
    ).to_frame()


def test_every_row_adds_up_on_the_probability_scale(published):
    assert set(published["liste_id"]) == {"2024-03"} and set(published["liste_libelle"]) == {"Mars 2024"}
    themes = published[[f"contrib_{t}" for t in THEMES]].sum(axis=1)
    np.testing.assert_allclose(
        published["contrib_base"] + themes, published["probabilite"], rtol=0, atol=1e-6
    )
    assert published["contrib_base"].nunique() == 1  # one base rate per model
    details = published["contrib_detail"].map(json.loads)
    by_variable = details.map(lambda d: sum(v["contribution"] for v in d))
    np.testing.assert_allclose(by_variable, themes, atol=1e-9)  # variables add up to their themes


def test_every_alerted_company_gets_three_french_reasons(published):
    alerted = published[published["niveau_alerte"] != "aucune"]
    assert len(alerted) >= 100 and (alerted["niveau_alerte"] == "fort").any()
    for _, row in alerted.iterrows():
        reasons = [row["raison_1"], row["raison_2"], row["raison_3"]]
        assert all(isinstance(r, str) and r.startswith(PREFIXES) for r in reasons), reasons
        assert len(set(reasons)) == 3
        detail = json.loads(row["raisons_detail"])
        assert [d["rang"] for d in detail] == [1, 2, 3]
        assert max(sum(d["theme"] == t for d in detail) for t in THEMES) <= 2  # at most 2 per theme
    quiet = published[published["niveau_alerte"] == "aucune"]
    assert quiet[["raison_1", "raison_2", "raison_3"]].isna().all().all()


def test_reasons_use_french_number_formats(published):
    texts = published[["raison_1", "raison_2", "raison_3"]].stack()
    months = texts[texts.str.startswith("Dette sociale URSSAF équivalente")]
    assert (
        len(months) and months.str.contains(r"\d,\d mois de cotisations \(situation au 20 mars 2024\)").all()
    )
    euros = texts[texts.str.startswith("Capitaux propres de")]
    assert len(euros) and euros.str.contains(f"−?\\d{{1,3}}(?:{NARROW_NBSP}\\d{{3}})* €").all()


def _two_companies():
    from models.scoring import ScoredList

    variables = pd.DataFrame(
        {
            "ordre": np.arange(3, dtype=np.int16),
            "theme": ["dette_urssaf", "retards_paiement", "effectif_contexte"],
            "variable": ["dette", "paydex", "secteur"],
            "confidentiel": [True, False, False],
        }
    )
    detail = pd.DataFrame(
        {
            "ligne": np.repeat(np.arange(2, dtype=np.int32), 3),
            "ordre": np.tile(np.arange(3, dtype=np.int16), 2),
            "contribution": [0.125, -1e-05, 0.0, 0.3333333333333333, 2.5e-07, -0.04],
            "valeur_nombre": [1234.5, np.nan, np.nan, 0.0, 12.0, np.nan],
            "valeur_texte": pd.Categorical([None, None, 'C "x" \\ y', None, None, "G"]),
        }
    )
    rows = pd.DataFrame({"ligne": np.arange(2, dtype=np.int32), "siren": ["000000001", "000000002"]})
    return ScoredList(rows, detail, variables, dt.date(2024, 3, 1))


def test_contrib_detail_is_valid_json_with_values_nulls_and_escaped_texts():
    scored = _two_companies()
    first, second = [json.loads(text) for text in scored.contrib_detail().to_pylist()]
    assert first == [
        {
            "theme": "dette_urssaf",
            "variable": "dette",
            "contribution": 0.125,
            "valeur": 1234.5,
            "date_reference": "2024-03-01",
            "confidentiel": True,
        },
        {
            "theme": "retards_paiement",
            "variable": "paydex",
            "contribution": -1e-05,
            "valeur": None,
            "date_reference": "2024-03-01",
            "confidentiel": False,
        },
        {
            "theme": "effectif_contexte",
            "variable": "secteur",
            "contribution": 0.0,
            "valeur": 'C "x" \\ y',
            "date_reference": "2024-03-01",
            "confidentiel": False,
        },
    ]
    assert [d["contribution"] for d in second] == [0.3333333333333333, 2.5e-07, -0.04]
    assert [d["valeur"] for d in second] == [0.0, 12.0, "G"]
    # only the second company, as a chunked insert reads it
    assert json.loads(scored.contrib_detail(1, 2).to_pylist()[0]) == second


def test_a_list_is_stored_whole_or_not_at_all():
    import duckdb

    scored = _two_companies()
    con = duckdb.connect()
    con.execute("create table scores (siren varchar primary key, contrib_detail json)")
    scored.insert_into(con, "scores", chunk=1)
    stored = con.execute("select siren, contrib_detail->>'$[2].valeur' from scores order by siren").fetchall()
    assert stored == [("000000001", 'C "x" \\ y'), ("000000002", "G")]
    con.execute("delete from scores where siren = '000000001'")
    # the second chunk collides with a stored row: the first chunk, already inserted, is rolled back
    with pytest.raises(duckdb.ConstraintException):
        scored.insert_into(con, "scores", chunk=1)
    assert con.execute("select siren from scores").fetchall() == [("000000002",)]
    con.execute("insert into scores values ('000000003', '[]')")  # the connection is usable again
