-- Grain: one row per (siret, numero_compte, periode_code): contributions due for a period of
-- 1, 3 or 12 months, latest delivery winning. Non-canonical period codes are excluded.
-- `mois_disponible`: month of the first delivery holding the record (from the start for the first
-- batch, which predates the delivery log): a record is usable once delivered and ended.
with lignes as (
    {{ flux_state('cotisation', ['siret', 'numero_compte', 'periode_code'], premiere_livraison=true) }}
)

select
    siret,
    siren,
    numero_compte,
    periode_debut,
    periode_fin,
    periode_code,
    {{ months_between('periode_debut', 'periode_fin') }} as nb_mois,
    montant_du as du,
    montant_encaisse,
    mois_disponible,
    _batch_key as lot_donnees
from lignes
where {{ is_canonical_period('periode_code') }}
