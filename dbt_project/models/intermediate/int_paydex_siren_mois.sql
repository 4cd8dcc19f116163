-- Grain: one row per company (siren) and value month p: the paydex of the latest value date of the
-- month (model.md §4.6), as first published, and the month from which it is usable. The panel uses
-- p only when p <= m-1 (published at p+1) and the value is delivered by m.
select
    siren,
    periode,
    arg_max(nb_jours, date_valeur) as nb_jours,
    arg_max(mois_disponible, date_valeur) as mois_disponible,
    max(date_valeur) as date_valeur
from {{ ref('stg_paydex') }}
group by siren, periode
