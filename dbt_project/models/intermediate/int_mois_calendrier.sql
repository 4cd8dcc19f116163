-- Grain: one row per calendar month, from the start of the usable history to the latest batch
-- month (the last month a list can score), as of var('as_of_batch').
with lots as (
    select
        min({{ batch_month('batch_key') }}) as premier_lot,
        max({{ batch_month('batch_key') }}) as dernier_lot
    from {{ source('raw', 'files') }}
    where applied and batch_key <= '{{ var("as_of_batch") }}'
)

select cast(mois as date) as periode
from lots,
    generate_series(
        cast(greatest(date '2013-01-01', premier_lot - interval 36 month) as timestamp),
        cast(dernier_lot as timestamp),
        interval 1 month
    ) as t(mois)
