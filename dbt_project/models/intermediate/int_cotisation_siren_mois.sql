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
    -- each record spread over its months, summed per usability month (the establishments of a
    -- company mostly declare together: few groups)
    select
        e.siren,
        c.periode,
        e.nb_mois,
        e.utilisable_des,
        sum(e.du / e.nb_mois) as du_mensuel,
        max(e.periode_fin) as periode_fin
    from enregistrements as e
    inner join {{ ref('int_mois_calendrier') }} as c
        on c.periode >= e.periode_debut and c.periode < e.periode_fin
    group by all
),

couches as (
    -- one layer per periodicity: usable from its first usable record, worth the records usable
    -- then (hash aggregates: a window over the ~100 M national record-months sorted them all)
    select
        siren,
        periode,
        nb_mois,
        sum(du_mensuel) as du_total,
        max(periode_fin) as periode_fin,
        min(utilisable_des) as couche_utilisable_des,
        arg_min_null(du_mensuel, utilisable_des) as du_couche
    from mois
    group by siren, periode, nb_mois
)

select
    siren,
    periode,
    sum(du_total) as cotisation,
    max(periode_fin) as mois_disponible,
    {%- for n, nom in [(1, 'mensuelle'), (3, 'trimestrielle'), (12, 'annuelle')] %}
    sum(du_couche) filter (where nb_mois = {{ n }}) as cotisation_{{ nom }},
    min(couche_utilisable_des) filter (where nb_mois = {{ n }}) as disponible_{{ nom }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from couches
group by siren, periode
