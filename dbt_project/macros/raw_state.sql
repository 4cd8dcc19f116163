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

{#- The applied, not superseded files of a flux source (alias f) joined to its rows (alias r). -#}
{% macro flux_fichiers_appliques(table_name) -%}
    from {{ source('raw', table_name) }} as r
    inner join {{ source('raw', 'files') }} as f
        on f.source = '{{ table_name }}'
       and f.batch_key = r._batch_key
       and f.sha256 = r._file_sha256
       and f.applied
       and not f.superseded
    where r._batch_key <= '{{ var("as_of_batch") }}'
{%- endmacro %}

{#-
  The order in which a flux source's versions of a row win: latest batch, then latest file (its
  load_seq), then last line of the file, as one integer (batch keys are YYMM digits).
-#}
{% macro ordre_livraison() -%}
    ((cast(r._batch_key as hugeint) << 64) + f.load_seq * 4294967296 + r._line_number)
{%- endmacro %}

{#-
  Current state of a flux source: for each natural key (column names of the raw table), every
  column of its winning version (latest batch, then latest file, then last line: macro
  ordre_livraison), with optional aggregates over the key's versions (`extra`, over alias r). With
  `premiere_livraison`, also the batch that first delivered the key (`lot_premiere_livraison`) and
  the month it became usable (`mois_disponible`, macro mois_disponible: the source's first batch
  predates the delivery log).
  One hash aggregate, each column taken by arg_max on the integer order: a window over the wide
  rows sorted the 71 M national contribution lines through 29 GB of disk (> 8 minutes), and
  choosing a line id first then fetching its row read the source twice and joined 71 M rows back.
-#}
{% macro flux_state(table_name, natural_key, extra=[], premiere_livraison=false) -%}
    {%- set cle = [] -%}
    {%- for k in natural_key %}{% do cle.append('r.' ~ k) %}{% endfor -%}
    select
        {{ cle | join(', ') }},
        arg_max(columns(r.* exclude ({{ natural_key | join(', ') }})), {{ ordre_livraison() }}){% for e in extra %},
        {{ e }}{% endfor %}{% if premiere_livraison %},
        min(r._batch_key) as lot_premiere_livraison,
        {{ mois_disponible('min(r._batch_key)', '(select min(r._batch_key) ' ~ flux_fichiers_appliques(table_name) ~ ')') }}
            as mois_disponible{% endif %}
    {{ flux_fichiers_appliques(table_name) }}
    group by {{ cle | join(', ') }}
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

{#-
  Every version of a flux source's rows up to var('as_of_batch'), without collapsing the natural
  key: the rows of the applied, not superseded files, with the file's loading order (load_seq).
  Used where a feature needs what was known at an earlier batch (first publication, a later stade).
-#}
{% macro flux_versions(table_name) -%}
    select r.*, f.load_seq
    {{ flux_fichiers_appliques(table_name) }}
{%- endmacro %}

{#-
  First month a delivered row could be used (point in time, model.md §3.2): the month of the batch
  that first delivered it. Rows of a source's very first batch predate the delivery log: their
  reception is unknown, so they count as available from the start and only the source's fixed lag
  (the anchor of its features) applies.
-#}
{% macro mois_disponible(batch_key, first_batch_key) -%}
    (case when {{ batch_key }} = {{ first_batch_key }} then date '1900-01-01'
          else {{ batch_month(batch_key) }} end)
{%- endmacro %}

{#-
  Every delivered version of each line of a stock source (one line per `key`), each with the months
  it was the latest known version of its line, as of var('as_of_batch'): [mois_debut_validite,
  mois_fin_validite), the end exclusive and NULL while it is still the latest. Point in time
  (model.md §3.1, Sirene "state valid on the last day of m"): row m may use the version of each line
  delivered by the batch of month m. A line missing from a later stock (a line rejected by the
  parser, a transient gap of the file) keeps its last delivered version instead of vanishing for
  a month; a changed line starts a new version. The versions of the source's first batch predate
  the delivery log and count as known from the start (macro mois_disponible).
-#}
{% macro stock_line_versions(table_name, key) -%}
    select
        v.*,
        {{ mois_disponible('v._batch_key', '(select min(_batch_key) from ' ~ source('raw', table_name) ~ ' where _batch_key <= \'' ~ var("as_of_batch") ~ '\')') }}
            as mois_debut_validite,
        lead({{ batch_month('v._batch_key') }}) over (partition by {% for k in key %}v.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %} order by v._batch_key)
            as mois_fin_validite
    from (
        select * exclude (_row_hash, _row_occurrence, _valid_to_batch)
        from {{ source('raw', table_name) }}
        where _batch_key <= '{{ var("as_of_batch") }}'
        -- a line delivered twice in one stock: keep the last one
        qualify row_number() over (partition by {{ key | join(', ') }}, _batch_key order by _line_number desc) = 1
    ) as v
{%- endmacro %}

{#-
  The version of a row of `alias` (columns mois_debut_validite, mois_fin_validite, NULL bounds
  meaning unbounded) valid at month `periode`: an interval join on the version's validity.
-#}
{% macro version_valide(alias, periode) -%}
    ({{ alias }}.mois_debut_validite is null or {{ alias }}.mois_debut_validite <= {{ periode }})
    and ({{ alias }}.mois_fin_validite is null or {{ periode }} < {{ alias }}.mois_fin_validite)
{%- endmacro %}

{#-
  Merge the consecutive versions of each `key` (columns mois_debut_validite, mois_fin_validite,
  end exclusive, NULL while current) whose `columns` are identical, so that interval joins on the
  validity touch few versions (a yearly refresh of an unused column creates none). Versions that
  do not touch (a gap) are never merged.
-#}
{% macro fusion_versions(relation, key, columns) -%}
    {%- set k = key | join(', ') -%}
    {%- set c = columns | join(', ') -%}
    select
        {{ k }},
        {{ c }},
        min(mois_debut_validite) as mois_debut_validite,
        nullif(max(coalesce(mois_fin_validite, date '9999-12-01')), date '9999-12-01') as mois_fin_validite
    from (
        select
            *,
            sum(cast(nouvelle_version as integer)) over (
                partition by {{ k }} order by mois_debut_validite rows unbounded preceding
            ) as numero_version
        from (
            select
                *,
                coalesce(
                    struct_pack({{ c }}) is distinct from lag(struct_pack({{ c }})) over w
                    or mois_debut_validite is distinct from lag(mois_fin_validite) over w,
                    true
                ) as nouvelle_version
            from {{ relation }}
            window w as (partition by {{ k }} order by mois_debut_validite)
        )
    )
    group by {{ k }}, numero_version, {{ c }}
{%- endmacro %}

{#-
  The URSSAF cut-off month of an event dated `jour` (model.md §4.5, the 20th rule): its own month
  up to the 20th, the next month after it.
-#}
{% macro mois_prise_en_compte(jour) -%}
    cast(date_trunc('month', {{ jour }})
         + case when day({{ jour }}) > 20 then interval 1 month else interval 0 month end as date)
{%- endmacro %}
