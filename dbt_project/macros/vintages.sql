{#-
  Every row version of a stock source delivered up to var('as_of_batch'), with the batch that
  removed it from the stock (`_lot_fin`, NULL while it is still in the stock as of that batch).
  For sources whose natural key spans several lines (payment lines of one consumption), where the
  state of a key at a batch is the set of its lines in that batch's stock.
-#}
{% macro stock_rows_with_end(table_name) -%}
    select
        * exclude (_row_hash, _row_occurrence, _valid_to_batch),
        case when _valid_to_batch <= '{{ var("as_of_batch") }}' then _valid_to_batch end as _lot_fin
    from {{ source('raw', table_name) }}
    where _batch_key <= '{{ var("as_of_batch") }}'
{%- endmacro %}

{#-
  Delivered versions of one value per `key` of a stock source that is re-delivered in full with
  revised past values (headcount, model.md §3.2), as of var('as_of_batch'): each version is the
  value of the latest delivery holding the key, over the months [mois_debut_validite,
  mois_fin_validite) (end exclusive, NULL for the current version). A key missing from a later
  delivery keeps its last delivered value; consecutive deliveries of the same value form one
  version; the last line of a delivery wins. The first batch predates the delivery log: its
  versions count as known from the start (macro mois_disponible). `attributs` are constant per key
  (any value is kept).
  Cost: one aggregation over the raw rows (like a plain "latest value" query); only the keys whose
  value was actually revised (a few percent) go through a sort of their deliveries.
-#}
{% macro versions_valeur(table_name, key, valeur, attributs=[]) -%}
    {%- set k = key | join(', ') -%}
    {%- set lot_max = var("as_of_batch") -%}
    with lignes as (
        select {{ k }}, {% for a in attributs %}{{ a }}, {% endfor %}{{ valeur }}, _batch_key, _line_number
        from {{ source('raw', table_name) }}
        where _batch_key <= '{{ lot_max }}'
    ),

    premier_lot as (
        select min(_batch_key) as lot from lignes
    ),

    cles as (
        select
            {{ k }},
            {%- for a in attributs %}
            any_value({{ a }}) as {{ a }},
            {%- endfor %}
            min({{ valeur }}) as {{ valeur }},
            min({{ valeur }}) = max({{ valeur }}) as valeur_unique,
            min(_batch_key) as premier_lot_cle
        from lignes
        group by {{ k }}
    ),

    lignes_revisees as (
        -- the deliveries of the revised keys; a line starts a version when its value differs from
        -- the previous delivered line's
        select
            l.*,
            l.{{ valeur }} is distinct from lag(l.{{ valeur }}) over (
                partition by {% for c in key %}l.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
                order by l._batch_key, l._line_number
            ) as nouvelle_valeur
        from lignes as l
        semi join (select {{ k }} from cles where not valeur_unique) as r
            using ({{ k }})
    ),

    versions_revisees as (
        select
            *,
            lead(_batch_key) over (partition by {{ k }} order by _batch_key, _line_number) as lot_suivant
        from lignes_revisees
        where nouvelle_valeur
    )

    select
        {{ k }},
        {%- for a in attributs %}
        c.{{ a }},
        {%- endfor %}
        c.{{ valeur }},
        {{ mois_disponible('c.premier_lot_cle', 'p.lot') }} as mois_debut_validite,
        cast(null as date) as mois_fin_validite
    from cles as c
    cross join premier_lot as p
    where c.valeur_unique
    union all
    select
        {{ k }},
        {%- for a in attributs %}
        c.{{ a }},
        {%- endfor %}
        v.{{ valeur }},
        {{ mois_disponible('v._batch_key', 'p.lot') }} as mois_debut_validite,
        {{ batch_month('v.lot_suivant') }} as mois_fin_validite
    from versions_revisees as v
    inner join cles as c using ({{ k }})
    cross join premier_lot as p
    -- a value replaced within its own delivery never holds
    where v.lot_suivant is null or v.lot_suivant > v._batch_key
{%- endmacro %}
