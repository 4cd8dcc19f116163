-- Grain: one row per proceedings event (siret, date_effet, action_procol, stade_procol).
with evenements as (
    {{ flux_state('procol', ['r.siret', 'r.date_effet', 'r.action_procol', 'r.stade_procol']) }}
)

select
    siret,
    siren,
    date_effet,
    action_procol,
    stade_procol,
    libelle_brut,
    action_procol is not null and starts_with(stade_procol, 'ouverture') as est_ouverture,
    stade_procol in ('fin_procedure', 'abandon_procedure', 'inclusion_autre_procedure', 'solde_procedure')
        as est_cloture,
    starts_with(stade_procol, 'plan') as est_plan,
    _batch_key as lot_donnees
from evenements
