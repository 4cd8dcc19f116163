{#-
  The relation an incremental run stages its new rows in, before delete+insert into the target.
  dbt-duckdb stages them in a TEMPORARY table, which lives in the in-memory temp catalog: at
  national scale the panel's ~20 rebuilt months (7 M rows of 170 columns) do not fit the DuckDB
  memory budget ("failed to pin block"). A regular table beside the target is written to the
  database file and can spill like any other; the materialization drops it at the end (it drops
  every non-temporary staging relation).
-#}
{% macro duckdb__dispatch_temporary_relation(target_relation, batch_id='') %}
    {%- set suffix = '__dbt_tmp' ~ (('_' ~ batch_id) if batch_id else '') -%}
    {% do return({
        'relation': target_relation.incorporate(path={'identifier': target_relation.identifier ~ suffix}),
        'temporary': false
    }) %}
{% endmacro %}
