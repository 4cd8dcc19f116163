{#-
  Post-hooks of the incremental panel. The rows of the months a run did not rebuild keep their
  features (point in time) and their labels (the months whose labels could change were rebuilt,
  see `recalcul` in the model), but they also repeat two facts that are not point in time and are
  brought up to date here: the observation limit L and the company's first opening.
-#}

{#- The last month is rebuilt whenever L changes, so its rows carry the current L. -#}
{% macro panel_limite_observation_courante() -%}
{%- if is_incremental() -%}
update {{ this }}
set limite_observation = dernier_mois.limite
from (
    select max(limite_observation) as limite
    from {{ this }}
    where periode = (select max(periode) from {{ this }})
) as dernier_mois
where limite_observation is distinct from dernier_mois.limite
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}

{#- Companies already in the panel whose first opening appeared, moved or disappeared since it was
    built: the stored and the current opening. -#}
{% macro ouvertures_modifiees() -%}
    select
        a.siren as siren_modifiee,
        a.date_premiere_ouverture as ancienne_date,
        n.date_premiere_ouverture as nouvelle_date,
        n.mois_premiere_ouverture as nouveau_mois,
        coalesce(n.ouverture_imputee, false) as nouvelle_imputee
    from (select distinct siren, date_premiere_ouverture, ouverture_imputee from {{ this }}) as a
    left join {{ ref('int_ouverture_procol') }} as n on n.siren = a.siren
    where a.date_premiere_ouverture is distinct from n.date_premiere_ouverture
       or a.ouverture_imputee is distinct from coalesce(n.ouverture_imputee, false)
{%- endmacro %}

{% macro panel_ouverture_courante() -%}
{%- if is_incremental() -%}
update {{ this }}
set date_premiere_ouverture = modifiee.nouvelle_date,
    ouverture_imputee = modifiee.nouvelle_imputee
from ({{ ouvertures_modifiees() }}) as modifiee
where siren = modifiee.siren_modifiee
{%- else -%}
select 1
{%- endif -%}
{%- endmacro %}
