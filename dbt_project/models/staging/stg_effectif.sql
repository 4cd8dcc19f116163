-- Grain: one row per establishment (siret) and month: the declared headcount (URSSAF),
-- latest delivery as of var('as_of_batch').
with etat as (
    {{ stock_state('effectif') }}
)

select
    siret,
    siren,
    est_pseudo_siret,
    periode,
    effectif,
    _batch_key as lot_donnees
from etat
qualify row_number() over (partition by siret, periode order by _batch_key desc, _line_number desc) = 1
