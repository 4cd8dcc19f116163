-- Grain: one row per legal unit (siren) and delivered version, as of var('as_of_batch'), with the
-- months it was the latest known version of the unit: [mois_debut_validite, mois_fin_validite)
-- (macro stock_line_versions). Point in time: the register as known at the end of month m is the
-- version valid at m, whatever later stocks say (moves, revisions, units missing from a stock).
with versions as (
    {{ stock_line_versions('sirene_ul', ['siren']) }}
)

select
    siren,
    raison_sociale,
    categorie_juridique,
    code_ape,
    date_creation,
    siret_siege,
    statut_diffusion,
    mois_debut_validite,
    mois_fin_validite,
    _batch_key as lot_donnees
from versions
