-- Grain: one row per company (siren) and paydex value date (date_valeur), as of
-- var('as_of_batch') (raw-sources §7.1): days beyond payment terms, amount-weighted (Altares).
-- The monthly Retro files repeat and sometimes revise the last months. Point in time (model.md
-- §3.2): `nb_jours` is the value first published, usable from `mois_disponible` (from the start for
-- the first batch, which predates the delivery log); `nb_jours_dernier` is the latest publication
-- (the current state of the flux).
{%- set cle = ['siren', 'date_valeur'] %}

with versions as (
    {{ flux_versions('paydex') }}
),

premier_lot as (
    select min(_batch_key) as lot from versions
),

par_lot as (
    -- one value per key and batch: the last line of the latest file of that batch (a hash
    -- aggregate: a window sorted the 62 M national lines)
    select
        siren,
        date_valeur,
        _batch_key,
        arg_max_null(nb_jours, struct_pack(chargement := load_seq, ligne := _line_number)) as nb_jours
    from versions
    group by siren, date_valeur, _batch_key
)

select
    v.siren,
    v.date_valeur,
    cast(date_trunc('month', v.date_valeur) as date) as periode,
    arg_min(v.nb_jours, v._batch_key) as nb_jours,
    arg_max(v.nb_jours, v._batch_key) as nb_jours_dernier,
    min(v._batch_key) as lot_premiere_livraison,
    {{ mois_disponible('min(v._batch_key)', 'any_value(p.lot)') }} as mois_disponible,
    max(v._batch_key) as lot_donnees
from par_lot as v
cross join premier_lot as p
group by v.siren, v.date_valeur
