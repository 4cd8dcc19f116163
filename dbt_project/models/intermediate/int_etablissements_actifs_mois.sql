-- Grain: one row per company (siren) and month with at least one establishment active on the last
-- day of the month (model.md §1 P1), rebuilt from the Sirene state: created by then and not yet
-- closed (a closed establishment's current period starts on its closing date).
with etablissements as (
    select
        siren,
        siret,
        coalesce(date_creation, date '1900-01-01') as date_debut,
        case when etat_administratif = 'F' then coalesce(date_debut_periode, date '1900-01-01') end as date_fermeture
    from {{ ref('stg_sirene') }}
)

select
    e.siren,
    c.periode,
    count(*) as nb_etablissements_actifs
from etablissements as e
inner join {{ ref('int_mois_calendrier') }} as c
    on e.date_debut <= last_day(c.periode)
   and (e.date_fermeture is null or e.date_fermeture > last_day(c.periode))
group by e.siren, c.periode
