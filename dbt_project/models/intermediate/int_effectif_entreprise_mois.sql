-- Grain: one row per company (siren), month (periode) and version of its headcount as known at
-- the end of a row month m: the version holds over the months [mois_debut_validite,
-- mois_fin_validite) (end exclusive, NULL for the current version).
-- The company value (effectif_ent) wins from the first delivery that holds it; until then the sum
-- over the establishments is the fallback (model.md §4.2). Each source follows its own vintages:
-- the latest delivery received by m (model.md §3.2; stg_effectif_ent, int_effectif_siren_mois).
-- The versions of a month are contiguous from its first delivery on: once known, a month stays
-- known.
with entreprise as (
    select siren, periode, effectif, mois_debut_validite, mois_fin_validite
    from {{ ref('stg_effectif_ent') }}
),

debut_entreprise as (
    select siren, periode, min(mois_debut_validite) as debut
    from entreprise
    group by siren, periode
),

etablissements as (
    -- the establishment sum until the company value is delivered
    select
        s.siren,
        s.periode,
        s.effectif,
        s.mois_debut_validite,
        case when d.debut is not null and (s.mois_fin_validite is null or s.mois_fin_validite > d.debut)
             then d.debut else s.mois_fin_validite end as mois_fin_validite
    from {{ ref('int_effectif_siren_mois') }} as s
    left join debut_entreprise as d on d.siren = s.siren and d.periode = s.periode
    where d.debut is null or s.mois_debut_validite < d.debut
)

select
    siren,
    periode,
    'entreprise' as source_effectif,
    cast(effectif as bigint) as effectif,
    mois_debut_validite,
    mois_fin_validite
from entreprise
union all
select
    siren,
    periode,
    'etablissements' as source_effectif,
    cast(effectif as bigint) as effectif,
    mois_debut_validite,
    mois_fin_validite
from etablissements
