-- Grain: one row per NAF division and calendar month m: the share of the division's companies that
-- opened collective proceedings in the 12 months [m-11, m] (model.md §4.8,
-- ctx_taux_ouverture_division_12m), point in time.
-- Population: the companies in scope at m-12 (perimeter of that month, NAF division as known then)
-- not already known, at m, to have opened proceedings before m-11; an opening counts once its
-- judgment date is <= τ(m) and the record has been delivered by m. A cohort rate, so a company
-- that failed and left the perimeter still counts in the numerator.
with cohorte as (
    select
        p.siren,
        e.naf_division,
        cast(p.periode + interval 12 month as date) as periode
    from {{ ref('int_perimetre_effectif_mois') }} as p
    inner join {{ ref('int_entreprise_caracteristiques') }} as e
        on e.siren = p.siren and {{ version_valide('e', 'p.periode') }}
    where p.dans_perimetre
      and e.naf_division is not null
),

ouvertures as (
    select
        siren,
        cast(date_trunc('month', date_effet) as date) as mois_ouverture,
        mois_disponible
    from {{ ref('stg_procol') }}
    where est_ouverture
),

statuts as (
    select
        c.naf_division,
        c.periode,
        c.siren,
        coalesce(bool_or(o.mois_ouverture < cast(c.periode - interval 11 month as date)), false) as deja_ouverte,
        coalesce(bool_or(o.mois_ouverture >= cast(c.periode - interval 11 month as date)), false) as ouverte_12m
    from cohorte as c
    left join ouvertures as o
        on o.siren = c.siren
       and o.mois_ouverture <= c.periode
       and o.mois_disponible <= c.periode
    group by c.naf_division, c.periode, c.siren
)

select
    naf_division,
    periode,
    count(*) filter (where not deja_ouverte) as nb_entreprises,
    count(*) filter (where not deja_ouverte and ouverte_12m) as nb_ouvertures_12m,
    {{ safe_div('count(*) filter (where not deja_ouverte and ouverte_12m)', 'count(*) filter (where not deja_ouverte)') }}
        as taux_ouverture_12m
from statuts
group by naf_division, periode
