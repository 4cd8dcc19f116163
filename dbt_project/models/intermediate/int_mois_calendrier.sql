-- Grain: one row per calendar month, from the start of the usable history to the latest batch
-- month (the last month a list can score), as of var('as_of_batch').
-- The history starts 36 months before the first batch (lags and 12-month windows need it), or
-- earlier when the deliveries reach further back: a platform going live receives a historical
-- extract whose contributions and headcounts cover years before its first batch. That earliest
-- month is read from the raw rows of the applied files (a column scan) rather than from the
-- deduplicated staging views, which would be rebuilt whole for one minimum.
with lots as (
    select
        min({{ batch_month('batch_key') }}) as premier_lot,
        max({{ batch_month('batch_key') }}) as dernier_lot
    from {{ source('raw', 'files') }}
    where applied and batch_key <= '{{ var("as_of_batch") }}'
),

fichiers_appliques as (
    select sha256 from {{ source('raw', 'files') }}
    where applied and batch_key <= '{{ var("as_of_batch") }}'
),

historique as (
    select least(
        (select min(periode_debut) from {{ source('raw', 'cotisation') }}
         where _file_sha256 in (select sha256 from fichiers_appliques)
           and {{ is_canonical_period('periode_code') }}),
        (select min(periode) from {{ source('raw', 'effectif') }}
         where _file_sha256 in (select sha256 from fichiers_appliques))
    ) as premier_mois_livre
)

select cast(mois as date) as periode
from lots, historique,
    generate_series(
        cast(
            greatest(
                date '2013-01-01',
                least(
                    premier_lot - interval 36 month,
                    coalesce(date_trunc('month', premier_mois_livre), premier_lot - interval 36 month)
                )
            ) as timestamp
        ),
        cast(dernier_lot as timestamp),
        interval 1 month
    ) as t(mois)
