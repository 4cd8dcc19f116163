-- Grain: one row per company (siren) with proceedings records: the month of its first opening
-- judgment (model.md §2.1), over all its establishments. A company whose records hold no opening
-- (its history starts after it) gets its earliest non-closing record, flagged ouverture_imputee.
with evenements as (
    select * from {{ ref('stg_procol') }}
),

ouvertures as (
    select siren, min(date_effet) as date_ouverture
    from evenements
    where est_ouverture
    group by siren
),

imputees as (
    select siren, min(date_effet) as date_ouverture
    from evenements
    where action_procol is not null and not est_cloture
    group by siren
)

select
    coalesce(o.siren, i.siren) as siren,
    coalesce(o.date_ouverture, i.date_ouverture) as date_premiere_ouverture,
    cast(date_trunc('month', coalesce(o.date_ouverture, i.date_ouverture)) as date) as mois_premiere_ouverture,
    o.siren is null as ouverture_imputee
from ouvertures as o
full outer join imputees as i on o.siren = i.siren
