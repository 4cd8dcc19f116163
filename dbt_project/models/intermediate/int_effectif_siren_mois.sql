-- Grain: one row per company (siren) and month with at least one declared establishment headcount:
-- the sum over its establishments (pseudo-sirets included: they belong to their siren), usable
-- from the month every establishment value of that month had been delivered.
select
    siren,
    periode,
    sum(effectif) as effectif,
    max(mois_disponible) as mois_disponible,
    sum(effectif_dernier) as effectif_dernier,
    count(*) as nb_etablissements_declares
from {{ ref('stg_effectif') }}
group by siren, periode
