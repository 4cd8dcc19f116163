-- Grain: one row per company (siren) and month with at least one declared establishment headcount:
-- the sum over its establishments (pseudo-sirets included: they belong to their siren).
select
    siren,
    periode,
    sum(effectif) as effectif,
    count(*) as nb_etablissements_declares
from {{ ref('stg_effectif') }}
group by siren, periode
