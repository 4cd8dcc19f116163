-- Grain: one row per company (siren) and month m with a CCSF record of stade DEBUT or APPROB
-- processed in the 24 months [m-23, m] (model.md §4.5), counted from the cut-off after its
-- processing date (20th rule) and once delivered.
with evenements as (
    select siren, greatest(periode_prise_en_compte, mois_disponible) as premier_mois, periode_prise_en_compte
    from {{ ref('stg_urssaf_ccsf') }}
    where stade in ('DEBUT', 'APPROB')
)

select
    e.siren,
    c.periode,
    count(*) as nb_evenements_ccsf_24m
from evenements as e
inner join {{ ref('int_mois_calendrier') }} as c
    on c.periode >= e.premier_mois
   and e.periode_prise_en_compte >= cast(c.periode - interval 23 month as date)
group by e.siren, c.periode
