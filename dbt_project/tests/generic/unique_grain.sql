{#- The grain of a model: no two rows share the combination of these columns. -#}
{% test unique_grain(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
