-- Grain: one row per establishment (siret) and history period (date_debut): the INSEE history of
-- establishments as of var('as_of_batch') (raw-sources §4.3). A period is [date_debut, date_fin],
-- both inclusive; an open period has no date_fin, and the oldest period may have no date_debut.
-- Point in time: INSEE records some changes late with a past effective date (a closure registered
-- months after the fact). `mois_disponible` is the month of the first stock that held the period,
-- `mois_fin_connue` the month of the first stock that gave it an end (both from the start for the
-- first batch, which predates the delivery log): before that month the period looked open.
with etat as (
    {{ stock_state('sirene_histo') }}
),

versions as (
    {{ stock_versions('sirene_histo') }}
),

premier_lot as (
    select min(_batch_key) as lot from versions
),

livraisons as (
    select
        siret,
        date_debut,
        min(_batch_key) as lot_premiere_livraison,
        min(_batch_key) filter (where date_fin is not null) as lot_premiere_fin
    from versions
    group by siret, date_debut
)

select
    e.siret,
    e.siren,
    e.nic,
    e.date_debut,
    e.date_fin,
    -- half-open bounds for interval joins: [debut_periode, fin_periode)
    coalesce(e.date_debut, date '0001-01-01') as debut_periode,
    cast(e.date_fin + interval 1 day as date) as fin_periode,
    e.etat_administratif,
    e.est_actif,
    e.changement_etat_administratif,
    e.activite_principale,
    e.nomenclature_activite,
    e.code_ape,
    e.changement_activite_principale,
    e.caractere_employeur,
    e.enseigne,
    e.denomination_usuelle,
    {{ mois_disponible('l.lot_premiere_livraison', 'p.lot') }} as mois_disponible,
    {{ mois_disponible('l.lot_premiere_fin', 'p.lot') }} as mois_fin_connue,
    e._batch_key as lot_donnees
from etat as e
inner join livraisons as l on l.siret = e.siret and l.date_debut is not distinct from e.date_debut
cross join premier_lot as p
-- the same period delivered twice in one stock: keep the last line
qualify row_number() over (partition by e.siret, e.date_debut order by e._batch_key desc, e._line_number desc) = 1
