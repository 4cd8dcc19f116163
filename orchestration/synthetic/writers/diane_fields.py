"""The yearly fields of a Diane export, computed from statements (raw-sources §7.3).

Each contract column of the wide-years layout maps to a formula on the statement table and a
format: `keur` (thousands of euros, integers), `ratio` (two decimals), `int` or `date`. Amounts
that simplified accounts leave out (R&D, concessions, exports) are empty when zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from orchestration.synthetic import ratios as r

Formula = Callable[[dict[str, np.ndarray]], np.ndarray]


def _keur(name: str) -> Formula:
    return lambda s: s[name]


def _optional(name: str) -> Formula:
    return lambda s: np.where(s[name] != 0, s[name], np.nan)


KEUR: dict[str, Formula] = {
    "dettes_fiscales_sociales": _keur("dettes_fiscales_sociales"),
    "frais_recherche_developpement": _optional("recherche"),
    "concessions_brevets": _optional("concessions"),
    "concours_bancaires_courants": _keur("concours_bancaires"),
    "ca_par_effectif": lambda s: r.div(s["ca"], s["headcount"]),
    "efficacite_economique": lambda s: r.div(s["va"], s["headcount"]),
    "chiffre_affaires": _keur("ca"),
    "chiffre_affaires_export": _optional("export"),
    "achats_marchandises_approvisionnements": _keur("achats_marchandises"),
    "achats_marchandises": _keur("achats_marchandises"),
    "achats_matieres_premieres": _keur("achats_matieres"),
    "production_exercice": lambda s: s["ca"] - s["ventes_marchandises"],
    "marge_commerciale": lambda s: s["ventes_marchandises"] - s["achats_marchandises"],
    "consommation_exercice": lambda s: s["achats_matieres"] + s["autres_achats"],
    "autres_achats_charges_externes": _keur("autres_achats"),
    "valeur_ajoutee": _keur("va"),
    "charges_personnel": _keur("charges_personnel"),
    "impots_taxes": _keur("impots_taxes"),
    "subventions_exploitation": _keur("subventions"),
    "excedent_brut_exploitation": _keur("ebe"),
    "autres_produits_charges_reprises": _keur("autres_produits"),
    "dotations_amortissements_provisions": _keur("dotations"),
    "resultat_exploitation": _keur("resultat_exploitation"),
    "operations_en_commun": lambda s: np.zeros(len(s["ca"])),
    "produits_financiers": _keur("produits_financiers"),
    "charges_financieres": _keur("charges_financieres"),
    "interets_charges_assimilees": r.interest,
    "resultat_courant_avant_impots": _keur("rcai"),
    "produits_exceptionnels": _keur("produits_exceptionnels"),
    "charges_exceptionnelles": _keur("charges_exceptionnelles"),
    "participation_salaries": _keur("participation"),
    "impot_benefices": _keur("impot_benefices"),
    "benefice_ou_perte": _keur("resultat_net"),
}

RATIO: dict[str, Formula] = {
    "equilibre_financier": lambda s: r.div(
        s["capitaux_propres"] + 0.8 * s["dettes_financieres"], s["immobilisations"]
    ),
    "independance_financiere": lambda s: r.div(
        s["capitaux_propres"], s["capitaux_propres"] + s["dettes_financieres"], 100
    ),
    "endettement": lambda s: r.div(s["dettes_financieres"], s["capitaux_propres"], 100),
    "autonomie_financiere": lambda s: r.div(s["capitaux_propres"], r.total_assets(s), 100),
    "degre_amortissement_immobilisations": lambda s: (
        35 + 30 * np.tanh(s["dotations"] / np.maximum(s["ca"], 1) * 8)
    ),
    "financement_actif_circulant": lambda s: r.div(r.working_capital(s), r.current_assets(s)),
    "liquidite_generale": lambda s: r.div(r.current_assets(s), r.short_term_debt(s)),
    "liquidite_reduite": lambda s: r.div(r.current_assets(s) - s["stocks"], r.short_term_debt(s)),
    "rotation_stocks_jours": lambda s: r.div(s["stocks"], s["ca"], 360),
    "credit_clients_jours": lambda s: r.div(s["creances"], s["ca"], 360),
    "credit_fournisseurs_jours": lambda s: r.div(s["dettes_fournisseurs"], r.purchases(s), 360),
    "taux_interet_financier": lambda s: r.div(s["charges_financieres"], s["dettes_financieres"], 100),
    "interets_sur_ca": lambda s: r.div(r.interest(s), s["ca"], 100),
    "endettement_global_jours": lambda s: r.div(
        s["dettes_financieres"]
        + s["dettes_fournisseurs"]
        + s["dettes_fiscales_sociales"]
        + s["concours_bancaires"],
        s["ca"],
        360,
    ),
    "taux_endettement": lambda s: r.div(
        s["dettes_financieres"] + s["concours_bancaires"], s["capitaux_propres"], 100
    ),
    "capacite_remboursement": lambda s: r.div(s["dettes_financieres"], s["caf"]),
    "capacite_autofinancement": lambda s: r.div(s["caf"], s["ca"], 100),
    "couverture_ca_fdr_jours": lambda s: r.div(r.working_capital(s), s["ca"], 360),
    "couverture_ca_bfr_jours": lambda s: r.div(r.working_capital_need(s), s["ca"], 360),
    "poids_bfr_exploitation": lambda s: r.div(r.working_capital_need(s), s["ca"], 100),
    "part_export": lambda s: r.div(s["export"], s["ca"], 100),
    "productivite_potentiel_production": lambda s: r.div(s["va"], s["immobilisations"]),
    "productivite_capital_financier": lambda s: r.div(
        s["va"], s["immobilisations"] + r.working_capital_need(s)
    ),
    "productivite_capital_investi": lambda s: r.div(s["va"], r.total_assets(s)),
    "taux_investissement_productif": lambda s: r.div(s["investissements"], s["va"], 100),
    "rentabilite_economique": lambda s: r.div(
        s["ebe"], s["immobilisations"] + r.working_capital_need(s), 100
    ),
    "performance": lambda s: r.div(s["resultat_exploitation"], s["ca"], 100),
    "rendement_brut_fonds_propres": lambda s: r.div(s["ebe"], s["capitaux_propres"], 100),
    "rentabilite_nette": lambda s: r.div(s["resultat_net"], s["ca"], 100),
    "rendement_capitaux_propres": lambda s: r.div(s["resultat_net"], s["capitaux_propres"], 100),
    "rendement_ressources_durables": lambda s: r.div(
        s["resultat_net"] + s["charges_financieres"], s["capitaux_propres"] + s["dettes_financieres"], 100
    ),
    "taux_marge_commerciale": lambda s: r.div(
        s["ventes_marchandises"] - s["achats_marchandises"], s["ventes_marchandises"], 100
    ),
    "taux_valeur_ajoutee": lambda s: r.div(s["va"], s["ca"], 100),
    "part_salaries": lambda s: r.div(s["charges_personnel"], s["va"], 100),
    "part_etat": lambda s: r.div(s["impots_taxes"], s["va"], 100),
    "part_preteurs": lambda s: r.div(s["charges_financieres"], s["va"], 100),
    "part_autofinancement": lambda s: r.div(s["caf"], s["va"], 100),
}

INTEGER: dict[str, Formula] = {
    "effectif_consolide": lambda s: np.rint(s["headcount"]),
    "nombre_mois": lambda s: s["months"].astype(np.float64),
}
