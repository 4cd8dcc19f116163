-- Grain: one row per establishment (siret) and delivered version, as of var('as_of_batch'), with
-- the months it was the latest known version of the establishment: [mois_debut_validite,
-- mois_fin_validite) (macro stock_line_versions). Point in time: head office, location and state
-- as known at the end of month m.
with versions as (
    {{ stock_line_versions('sirene', ['siret']) }}
)

select
    siret,
    siren,
    est_siege,
    etat_administratif,
    est_actif,
    date_creation,
    date_debut_periode,
    code_commune,
    departement as code_departement,
    region as code_region,
    mois_debut_validite,
    mois_fin_validite,
    _batch_key as lot_donnees
from versions
