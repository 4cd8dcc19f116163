-- Grain: one row per company (siren) and contribution month: the contributions due, a record over
-- n months adding du / n to each of them (model.md §4.5). mois_disponible is the first month at
-- which every record of that month is complete (its period has ended): usable at m iff <= m.
with enregistrements as (
    select siren, periode_debut, periode_fin, nb_mois, du
    from {{ ref('stg_urssaf_cotisation') }}
    where nb_mois between 1 and 12
)

select
    e.siren,
    c.periode,
    sum(e.du / e.nb_mois) as cotisation,
    max(e.periode_fin) as mois_disponible
from enregistrements as e
inner join {{ ref('int_mois_calendrier') }} as c
    on c.periode >= e.periode_debut and c.periode < e.periode_fin
group by e.siren, c.periode
