-- Grain: one row per proceedings event (siret, date_effet, action_procol, stade_procol).
-- `mois_disponible`: month of the first delivery holding the event (from the start for the first
-- batch, which predates the delivery log); point-in-time uses of the events (the sector opening
-- rate) need it, the target does not (model.md §3.1).
{%- set cle = ['siret', 'date_effet', 'action_procol', 'stade_procol'] %}

with evenements as (
    {{ flux_state('procol', ['r.siret', 'r.date_effet', 'r.action_procol', 'r.stade_procol']) }}
),

versions as (
    {{ flux_versions('procol') }}
),

livraisons as (
    -- action_procol may be NULL: joined below with "is not distinct from"
    {{ premieres_livraisons('versions', cle) }}
)

select
    e.siret,
    e.siren,
    e.date_effet,
    e.action_procol,
    e.stade_procol,
    e.libelle_brut,
    e.action_procol is not null and starts_with(e.stade_procol, 'ouverture') as est_ouverture,
    e.stade_procol in ('fin_procedure', 'abandon_procedure', 'inclusion_autre_procedure', 'solde_procedure')
        as est_cloture,
    starts_with(e.stade_procol, 'plan') as est_plan,
    l.lot_premiere_livraison,
    l.mois_disponible,
    e._batch_key as lot_donnees
from evenements as e
inner join livraisons as l
    on l.siret = e.siret
   and l.date_effet = e.date_effet
   and l.action_procol is not distinct from e.action_procol
   and l.stade_procol = e.stade_procol
