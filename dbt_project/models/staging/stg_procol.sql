-- Grain: one row per proceedings event (siret, date_effet, action_procol, stade_procol).
-- `mois_disponible`: month of the first delivery holding the event (from the start for the first
-- batch, which predates the delivery log); point-in-time uses of the events (the sector opening
-- rate) need it, the target does not (model.md §3.1).
with evenements as (
    {{ flux_state('procol', ['siret', 'date_effet', 'action_procol', 'stade_procol'], premiere_livraison=true) }}
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
    lot_premiere_livraison,
    mois_disponible,
    _batch_key as lot_donnees
from evenements
