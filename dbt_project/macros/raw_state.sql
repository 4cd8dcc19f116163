{#-
  State of a raw source as of the batch var('as_of_batch') (default: the current state).
  Stock sources: the row versions valid at that batch (raw-sources §8: a stock replaces the state).
  Flux sources: the union of the applied, not superseded files of batches <= as_of_batch, one row
  per natural key, the latest batch winning (then the last line of the file).
-#}
{% macro stock_state(table_name) -%}
    select * exclude (_row_hash, _row_occurrence, _valid_to_batch)
    from {{ source('raw', table_name) }}
    where _batch_key <= '{{ var("as_of_batch") }}'
      and (_valid_to_batch is null or _valid_to_batch > '{{ var("as_of_batch") }}')
{%- endmacro %}

{% macro flux_state(table_name, natural_key) -%}
    select r.*
    from {{ source('raw', table_name) }} as r
    inner join {{ source('raw', 'files') }} as f
        on f.source = '{{ table_name }}'
       and f.batch_key = r._batch_key
       and f.sha256 = r._file_sha256
       and f.applied
       and not f.superseded
    where r._batch_key <= '{{ var("as_of_batch") }}'
    qualify row_number() over (
        partition by {{ natural_key | join(', ') }}
        order by r._batch_key desc, f.load_seq desc, r._line_number desc
    ) = 1
{%- endmacro %}

{#- Latest batch received (YYMM) as the first day of its month, within as_of_batch. -#}
{% macro batch_month(batch_key) -%}
    make_date(2000 + cast(left({{ batch_key }}, 2) as integer), cast(right({{ batch_key }}, 2) as integer), 1)
{%- endmacro %}

{#- A canonical URSSAF period code: quarter 1-4 and month 0-3, or 62 (model.md §10). -#}
{% macro is_canonical_period(code) -%}
    (regexp_full_match({{ code }}, '([0-9]{2}|[0-9]{4})([1-4][0-3]|62)'))
{%- endmacro %}

{#- Whole calendar months between two month dates (b - a). -#}
{% macro months_between(a, b) -%}
    ((year({{ b }}) - year({{ a }})) * 12 + month({{ b }}) - month({{ a }}))
{%- endmacro %}

{#-
  Every row version of a stock source delivered up to var('as_of_batch'), whether or not it is
  still in the latest stock: a month that left the sliding window of a later delivery stays known.
-#}
{% macro stock_versions(table_name) -%}
    select * exclude (_row_hash, _row_occurrence, _valid_to_batch)
    from {{ source('raw', table_name) }}
    where _batch_key <= '{{ var("as_of_batch") }}'
{%- endmacro %}
