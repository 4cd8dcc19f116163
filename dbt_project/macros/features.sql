{#- div(u, v) of model.md: u / v when v > 0, else NULL (never +-inf, never 0-filled). -#}
{% macro safe_div(numerator, denominator) -%}
    (case when ({{ denominator }}) > 0 then ({{ numerator }}) / ({{ denominator }}) end)
{%- endmacro %}

{#- Mean of the non-null values of a fixed window of columns, NULL with fewer than `minimum`. -#}
{% macro mean_if_enough(columns, minimum) -%}
    (case when ({% for c in columns %}cast({{ c }} is not null as integer){% if not loop.last %} + {% endif %}{% endfor %}) >= {{ minimum }}
          then ({% for c in columns %}coalesce({{ c }}, 0){% if not loop.last %} + {% endif %}{% endfor %})
               / ({% for c in columns %}cast({{ c }} is not null as integer){% if not loop.last %} + {% endif %}{% endfor %})
     end)
{%- endmacro %}

{#-
  Contributions due of month m-k as known at row m (model.md §3.1): the sum of the periodicity
  layers (monthly, quarterly, yearly records, int_cotisation_siren_mois) usable by m; NULL when
  none is. To be used in a query with `window w as (partition by siren order by periode)` over a
  complete calendar spine.
-#}
{% macro cotisation_connue(k, couches=['mensuelle', 'trimestrielle', 'annuelle']) -%}
    (case when {% for c in couches %}coalesce(lag(disponible_{{ c }}, {{ k }}) over w <= periode, false){% if not loop.last %}
               or {% endif %}{% endfor %}
          then {% for c in couches %}coalesce(case when lag(disponible_{{ c }}, {{ k }}) over w <= periode
                             then lag(cotisation_{{ c }}, {{ k }}) over w end, 0){% if not loop.last %}
               + {% endif %}{% endfor %}
     end)
{%- endmacro %}
