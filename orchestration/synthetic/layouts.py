"""Column headers of the delivered files, taken from the data contracts.

The contracts list every column a parser reads or knowingly ignores, but not the order INSEE
publishes. The two INSEE stock layouts are therefore written out once here, in INSEE order
(raw-sources.md §4.1 and §4.2), and checked against the contracts: every contract column must
appear, and every header column must be known to the contract (read or ignored).
"""

from __future__ import annotations

from orchestration.sources.contract import Contract, get_contract

# raw-sources.md §4.1: current INSEE establishment layout (53 columns) + 9 geocoding columns.
SIRENE_GEO_HEADER: tuple[str, ...] = (
    "siren",
    "nic",
    "siret",
    "statutDiffusionEtablissement",
    "dateCreationEtablissement",
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
    "dateDernierTraitementEtablissement",
    "etablissementSiege",
    "nombrePeriodesEtablissement",
    "complementAdresseEtablissement",
    "numeroVoieEtablissement",
    "indiceRepetitionEtablissement",
    "dernierNumeroVoieEtablissement",
    "indiceRepetitionDernierNumeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "libelleCommuneEtrangerEtablissement",
    "distributionSpecialeEtablissement",
    "codeCommuneEtablissement",
    "codeCedexEtablissement",
    "libelleCedexEtablissement",
    "codePaysEtrangerEtablissement",
    "libellePaysEtrangerEtablissement",
    "identifiantAdresseEtablissement",
    "coordonneeLambertAbscisseEtablissement",
    "coordonneeLambertOrdonneeEtablissement",
    "complementAdresse2Etablissement",
    "numeroVoie2Etablissement",
    "indiceRepetition2Etablissement",
    "typeVoie2Etablissement",
    "libelleVoie2Etablissement",
    "codePostal2Etablissement",
    "libelleCommune2Etablissement",
    "libelleCommuneEtranger2Etablissement",
    "distributionSpeciale2Etablissement",
    "codeCommune2Etablissement",
    "codeCedex2Etablissement",
    "libelleCedex2Etablissement",
    "codePaysEtranger2Etablissement",
    "libellePaysEtranger2Etablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "longitude",
    "latitude",
    "geo_score",
    "geo_type",
    "geo_adresse",
    "geo_id",
    "geo_ligne",
    "geo_l4",
    "geo_l5",
)

# raw-sources.md §4.2: current INSEE legal-unit layout (35 columns).
SIRENE_UL_HEADER: tuple[str, ...] = (
    "siren",
    "statutDiffusionUniteLegale",
    "unitePurgeeUniteLegale",
    "dateCreationUniteLegale",
    "sigleUniteLegale",
    "sexeUniteLegale",
    "prenom1UniteLegale",
    "prenom2UniteLegale",
    "prenom3UniteLegale",
    "prenom4UniteLegale",
    "prenomUsuelUniteLegale",
    "pseudonymeUniteLegale",
    "identifiantAssociationUniteLegale",
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "nomUniteLegale",
    "nomUsageUniteLegale",
    "denominationUniteLegale",
    "denominationUsuelle1UniteLegale",
    "denominationUsuelle2UniteLegale",
    "denominationUsuelle3UniteLegale",
    "categorieJuridiqueUniteLegale",
    "activitePrincipaleUniteLegale",
    "nomenclatureActivitePrincipaleUniteLegale",
    "nicSiegeUniteLegale",
    "economieSocialeSolidaireUniteLegale",
    "societeMissionUniteLegale",
    "caractereEmployeurUniteLegale",
    "activitePrincipaleNAF25UniteLegale",
)

# raw-sources.md §4.3: the establishment history (18 columns; dateFin comes before dateDebut).
SIRENE_HISTO_HEADER: tuple[str, ...] = (
    "siren",
    "nic",
    "siret",
    "dateFin",
    "dateDebut",
    "etatAdministratifEtablissement",
    "changementEtatAdministratifEtablissement",
    "enseigne1Etablissement",
    "enseigne2Etablissement",
    "enseigne3Etablissement",
    "changementEnseigneEtablissement",
    "denominationUsuelleEtablissement",
    "changementDenominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "nomenclatureActivitePrincipaleEtablissement",
    "changementActivitePrincipaleEtablissement",
    "caractereEmployeurEtablissement",
    "changementCaractereEmployeurEtablissement",
)

# Columns INSEE added in December 2025 (NAF 2025 in parallel with NAF rév. 2): absent before.
NAF25_COLUMNS = {
    "sirene": "activitePrincipaleNAF25Etablissement",
    "sirene_ul": "activitePrincipaleNAF25UniteLegale",
}
NAF25_FIRST_MONTH = 2025 * 12 + 11


# raw-sources.md §5.5 and §5.6: exact URSSAF headers (the contracts do not fix the column order).
DELAI_HEADER: tuple[str, ...] = (
    "Urssaf_gestion",
    "Dep",
    "Siret",
    "Numero_compte_externe",
    "Numero_structure",
    "Date_creation",
    "Date_echeance",
    "Duree_delai",
    "Denomination_premiere_ligne",
    "Indic_6M",
    "Annee_creation",
    "Montant_global_echeancier",
    "Code_externe_stade",
    "Code_externe_action",
)
CCSF_HEADER: tuple[str, ...] = (
    "Urssaf_gestion",
    "Dep",
    "Siret",
    "Compte",
    "Date_de_traitement",
    "Code_externe_stade",
    "Code_externe_action",
)
# raw-sources.md §5.2 (current layout: months, then the name) and §6.1-§7.4.
EFFECTIF_ENT_OLD_PREFIX: tuple[str, ...] = ("compte", "siren", "rais_soc", "ape_ins", "dep")
EFFECTIF_ENT_OLD_SUFFIX: tuple[str, ...] = ("base", "UR_EMET")
APDEMANDE_HEADER: tuple[str, ...] = (
    "ID_DA",
    "ETAB_SIRET",
    "EFF_ENT",
    "EFF_ETAB",
    "DATE_STATUT",
    "DATE_DEB",
    "DATE_FIN",
    "HTA",
    "MTA",
    "EFF_AUTO",
    "MOTIF_RECOURS_SE",
    "PERIMETRE_AP",
    "S_HEURE_CONSOM_TOT",
    "S_EFF_CONSOM_TOT",
    "S_MONTANT_CONSOM_TOT",
    "RECOURS_ANTERIEUR",
    "AVIS_CE",
)
APCONSO_HEADER: tuple[str, ...] = ("ID_DA", "ETAB_SIRET", "HEURES", "MONTANTS", "EFFECTIFS", "MOIS")
PAYDEX_HEADER: tuple[str, ...] = ("SIREN", "NB_JOURS", "NB_JOURS_LIB", "DATE_VALEUR")
RATIOS_HEADER: tuple[str, ...] = (
    "siren",
    "date_cloture_exercice",
    "chiffre_d_affaires",
    "marge_brute",
    "ebe",
    "ebit",
    "resultat_net",
    "taux_d_endettement",
    "ratio_de_liquidite",
    "ratio_de_vetuste",
    "autonomie_financiere",
    "poids_bfr_exploitation_sur_ca",
    "couverture_des_interets",
    "caf_sur_ca",
    "capacite_de_remboursement",
    "marge_ebe",
    "resultat_courant_avant_impots_sur_ca",
    "poids_bfr_exploitation_sur_ca_jours",
    "rotation_des_stocks_jours",
    "credit_clients_jours",
    "credit_fournisseurs_jours",
    "type_bilan",
    "confidentiality",
)
BDF_HEADER: tuple[str, ...] = (
    "D1",
    "ANNEE",
    "ARRETE_BILAN",
    "DENOM",
    "CP",
    "REGION",
    "SECTEUR",
    "POIDS_FRNG",
    "TX_MARGE",
    "DELAI_FRS",
    "POIDS_DFISC_SOC",
    "POIDS_FIN_CT",
    "POIDS_FRAIS_FIN",
)


def checked_header(source: str, header: tuple[str, ...]) -> list[str]:
    """A fixed header, checked against the contract: every column it holds is read or knowingly
    ignored, and every column the contract reads is present."""
    contract = get_contract(source)
    reads = contract_columns(contract)
    known = {c.lower() for c in reads} | set(contract.ignored_columns)
    unknown = [c for c in header if c.lower() not in known]
    missing = [c for c in reads if c.lower() not in {h.lower() for h in header}]
    if unknown or missing:
        raise ValueError(
            f"{source}: header out of step with its contract (unknown {unknown}, missing {missing})"
        )
    return list(header)


def contract_columns(contract: Contract) -> list[str]:
    """Source columns of a contract, in contract order, each once."""
    seen: list[str] = []
    for column in contract.columns:
        names = column.source if isinstance(column.source, list) else [column.source]
        for name in names:
            if name and name not in seen:
                seen.append(str(name))
    return seen


def ignored_columns(contract: Contract) -> list[str]:
    """Columns the contract knowingly ignores, with the contract's own spelling."""
    for item in contract.raw.get("customProperties", []) or []:
        if item.get("property") == "ignoredColumns":
            return [str(name) for name in item["value"]]
    return []


def check_insee_header(source: str, header: tuple[str, ...]) -> None:
    contract = get_contract(source)
    known = {c.lower() for c in contract_columns(contract)} | set(contract.ignored_columns)
    unknown = [c for c in header if c.lower() not in known]
    missing = [c for c in contract_columns(contract) if c not in header and c != NAF25_COLUMNS.get(source)]
    if unknown or missing:
        raise ValueError(
            f"{source}: header out of step with its contract (unknown {unknown}, missing {missing})"
        )


def insee_header(source: str, month: int) -> list[str]:
    """The INSEE layout delivered in `month` (month index), with the NAF 2025 column from 2025-12."""
    base = SIRENE_GEO_HEADER if source == "sirene" else SIRENE_UL_HEADER
    check_insee_header(source, base)
    header = [c for c in base if c != NAF25_COLUMNS[source]]
    if month >= NAF25_FIRST_MONTH:
        header.append(NAF25_COLUMNS[source])
    return header


def urssaf_header(source: str) -> list[str]:
    """URSSAF long files: every column the contract reads, in contract order."""
    return contract_columns(get_contract(source))


def effectif_header(month_columns: list[str]) -> list[str]:
    """Wide headcount file: identifiers and descriptive columns, then one column per month."""
    contract = get_contract("effectif")
    return contract_columns(contract) + ignored_columns(contract) + month_columns
