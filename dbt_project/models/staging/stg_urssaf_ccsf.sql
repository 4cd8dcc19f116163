-- Grain: one row per CCSF event (siret, numero_compte, date_traitement, stade) as of
-- var('as_of_batch') (raw-sources §5.6): stades DEBUT, APPROB, REFUS, FIN, REJ.
-- Point in time: an event counts from the cut-off after its processing date (20th rule) once
-- delivered (`mois_disponible`).
with courant as (
    {{ flux_state('ccsf', ['siret', 'numero_compte', 'date_traitement', 'stade'], premiere_livraison=true) }}
)

select
    siret,
    siren,
    est_pseudo_siret,
    numero_compte,
    date_traitement,
    stade,
    action,
    {{ mois_prise_en_compte('date_traitement') }} as periode_prise_en_compte,
    lot_premiere_livraison,
    mois_disponible,
    _batch_key as lot_donnees
from courant
