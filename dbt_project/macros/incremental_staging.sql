{#-
  The relation an incremental run stages its new rows in, before delete+insert into the target.
  dbt-duckdb stages them in a TEMPORARY table, which lives in the in-memory temp catalog: at
  national scale the panel's ~19 rebuilt months (6.2 M rows of 90 columns, several GB) would share
  the DuckDB memory budget with the query that computes them. A regular table beside the target is
  written to the database file like the target itself; the materialization drops it at the end (it
  drops every non-temporary staging relation).
-#}
{% macro duckdb__dispatch_temporary_relation(target_relation, batch_id='') %}
    {%- set suffix = '__dbt_tmp' ~ (('_' ~ batch_id) if batch_id else '') -%}
    {% do return({
        'relation': target_relation.incorporate(path={'identifier': target_relation.identifier ~ suffix}),
        'temporary': false
    }) %}
{% endmacro %}
