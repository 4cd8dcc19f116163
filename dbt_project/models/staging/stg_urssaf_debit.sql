-- Grain: one row per ECN history line (debit_id, numero_compte, numero_historique).
-- Amounts were converted from cents exactly once, at parsing. Non-canonical period codes
-- (quarter 0, month outside 1-3) are excluded here, never normalised (model.md §10).
with lignes as (
    {{ flux_state('debit', ['debit_id', 'numero_compte', 'numero_historique']) }}
)

select
    debit_id,
    numero_compte,
    siret,
    siren,
    est_pseudo_siret,
    periode_debut,
    periode_fin,
    periode_code,
    numero_ecart_negatif,
    numero_historique,
    date_traitement,
    periode_prise_en_compte,
    part_ouvriere,
    part_patronale,
    code_operation_ecart_negatif,
    code_motif_ecart_negatif,
    _batch_key as lot_donnees
from lignes
where {{ is_canonical_period('periode_code') }}
