-- Grain: one row per establishment history period (siret, date_debut) and delivered version, as of
-- var('as_of_batch'), with the months it was the latest known version of the period:
-- [mois_debut_validite, mois_fin_validite) (macro stock_line_versions). A period is [date_debut,
-- date_fin], both inclusive; an open period has no date_fin. Point in time: INSEE records some
-- closures late with a past effective date; until the stock that closed the period, the version
-- valid at m shows it open.
with versions as (
    {{ stock_line_versions('sirene_histo', ['siret', 'date_debut']) }}
)

select
    siret,
    siren,
    date_debut,
    date_fin,
    etat_administratif,
    est_actif,
    mois_debut_validite,
    mois_fin_validite,
    _batch_key as lot_donnees
from versions
