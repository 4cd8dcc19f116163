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
