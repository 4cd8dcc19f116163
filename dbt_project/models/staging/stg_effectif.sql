-- Grain: one row per establishment (siret) and month: the declared headcount (URSSAF).
-- Point in time: `effectif` is the value of the first delivery that held the month, usable from
-- `mois_disponible` (the month of that delivery); later deliveries may revise it
-- (`effectif_dernier`) or drop the month from their sliding window, which never erases it.
with versions as (
    {{ stock_versions('effectif') }}
)

select
    siret,
    any_value(siren) as siren,
    bool_or(est_pseudo_siret) as est_pseudo_siret,
    periode,
    arg_min(effectif, _batch_key) as effectif,
    min(_batch_key) as lot_premiere_livraison,
    {{ batch_month('min(_batch_key)') }} as mois_disponible,
    arg_max(effectif, _batch_key) as effectif_dernier,
    max(_batch_key) as lot_derniere_livraison
from versions
group by siret, periode
