-- Grain: one row per company (siren) and contribution month: the contributions due, a record over
-- n months adding du / n to each of them (model.md §4.5). mois_disponible is the first month at
-- which every record of that month is complete (its period has ended).
-- Point in time (§3.1): a record is usable at m once its whole period has ended and it has been
-- delivered. The panel therefore reads a month by periodicity (layers of monthly, quarterly and
-- yearly records), each layer usable from the first month one of its records is; records of a
-- layer delivered after that (late declarations) do not revise it, so that the value a row saw
-- never depends on later deliveries.
with enregistrements as (
    select
        siren,
        periode_debut,
        periode_fin,
        nb_mois,
        du,
        greatest(periode_fin, mois_disponible) as utilisable_des
    from {{ ref('stg_urssaf_cotisation') }}
    where nb_mois between 1 and 12
),

mois as (
    select
        e.siren,
        c.periode,
        e.nb_mois,
        e.du / e.nb_mois as du_mensuel,
        e.periode_fin,
        e.utilisable_des,
        min(e.utilisable_des) over (partition by e.siren, c.periode, e.nb_mois) as couche_utilisable_des
    from enregistrements as e
    inner join {{ ref('int_mois_calendrier') }} as c
        on c.periode >= e.periode_debut and c.periode < e.periode_fin
)

select
    siren,
    periode,
    sum(du_mensuel) as cotisation,
    max(periode_fin) as mois_disponible,
    {%- for n, nom in [(1, 'mensuelle'), (3, 'trimestrielle'), (12, 'annuelle')] %}
    sum(du_mensuel) filter (where nb_mois = {{ n }} and utilisable_des = couche_utilisable_des)
        as cotisation_{{ nom }},
    min(couche_utilisable_des) filter (where nb_mois = {{ n }}) as disponible_{{ nom }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from mois
group by siren, periode
