{#- The grain of a model: no two rows share the combination of these columns.
    Grouping by one 64-bit hash of the key keeps the hash table small (no key strings stored, no
    spill on the national panels); only the rows of a repeated hash, normally none, are then grouped
    by their real key, so a hash collision cannot report a false duplicate. -#}
{% test unique_grain(model, columns) %}
{%- set key = columns | join(', ') %}
with hachages_repetes as (
    select hash({{ key }}) as hachage
    from {{ model }}
    group by hachage
    having count(*) > 1
)

select {{ key }}, count(*) as n
from {{ model }}
where hash({{ key }}) in (select hachage from hachages_repetes)
group by {{ key }}
having count(*) > 1
{% endtest %}
