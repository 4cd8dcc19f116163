-- Grain: one row per legal unit (siren), INSEE register as of var('as_of_batch').
with etat as (
    {{ stock_state('sirene_ul') }}
)

select
    siren,
    raison_sociale,
    sigle,
    categorie_juridique,
    code_ape,
    activite_principale,
    nomenclature_activite,
    date_creation,
    etat_administratif,
    est_actif,
    date_debut_periode,
    siret_siege,
    statut_diffusion,
    tranche_effectifs,
    categorie_entreprise,
    _batch_key as lot_donnees
from etat
qualify row_number() over (partition by siren order by _batch_key desc, _line_number desc) = 1
