-- Grain: one row per company (siren), month (periode) and version of the sum of its establishment
-- headcounts (pseudo-sirets included: they belong to their siren), with the months
-- [mois_debut_validite, mois_fin_validite) over which it is the sum known at the end of m (end
-- exclusive, NULL for the current version).
-- Vintages (model.md §3.2): at m, each establishment counts with the value of the latest delivery
-- received by m that holds the month (stg_effectif); an establishment whose month arrives in a
-- later delivery, or a revised value, starts a new version of the sum from that delivery on.
-- Computed as a running sum of the establishment versions' changes (+value at the start of a
-- version, -value at its end): one aggregation and one sort of the few change months of each
-- (siren, periode).
with etablissements as (
    select siren, periode, effectif, mois_debut_validite, mois_fin_validite
    from {{ ref('stg_effectif') }}
),

variations as (
    select siren, periode, mois_debut_validite as mois, effectif as variation, 1 as variation_nb
    from etablissements
    union all
    select siren, periode, mois_fin_validite as mois, -effectif as variation, -1 as variation_nb
    from etablissements
    where mois_fin_validite is not null
),

par_mois as (
    -- (a month where the changes cancel out starts no version)
    select siren, periode, mois, sum(variation) as variation, sum(variation_nb) as variation_nb
    from variations
    group by siren, periode, mois
    having sum(variation) <> 0 or sum(variation_nb) <> 0
)

select
    siren,
    periode,
    cast(sum(variation) over w as bigint) as effectif,
    cast(sum(variation_nb) over w as bigint) as nb_etablissements_declares,
    mois as mois_debut_validite,
    lead(mois) over w as mois_fin_validite
from par_mois
-- (mois is unique in its partition: the default frame is the running total)
window w as (partition by siren, periode order by mois)
