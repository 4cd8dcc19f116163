-- Grain: one row per establishment (siret), INSEE register as of var('as_of_batch').
with etat as (
    {{ stock_state('sirene') }}
)

select
    siret,
    siren,
    nic,
    est_siege,
    etat_administratif,
    est_actif,
    date_creation,
    date_debut_periode,
    code_ape,
    activite_principale,
    nomenclature_activite,
    enseigne,
    denomination_usuelle,
    concat_ws(' ', numero_voie, indice_repetition, type_voie, libelle_voie) as adresse_voie,
    complement_adresse,
    code_postal,
    code_commune,
    libelle_commune,
    code_pays_etranger,
    departement as code_departement,
    region as code_region,
    longitude,
    latitude,
    statut_diffusion,
    tranche_effectifs,
    _batch_key as lot_donnees
from etat
qualify row_number() over (partition by siret order by _batch_key desc, _line_number desc) = 1
