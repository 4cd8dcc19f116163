-- Grain: one row per (siret, numero_compte, periode_code): contributions due for a period of
-- 1, 3 or 12 months, latest delivery winning. Non-canonical period codes are excluded.
-- `mois_disponible`: month of the first delivery holding the record (from the start for the first
-- batch, which predates the delivery log): a record is usable once delivered and ended.

-- The winner and the first delivery of each key come from one aggregate (macro flux_gagnants).
with gagnants as (
    {{ flux_gagnants(
        'cotisation',
        ['r.siret', 'r.numero_compte', 'r.periode_code'],
        extra=['min(r._batch_key) as lot_premiere_livraison'],
    ) }}
)

select
    l.siret,
    l.siren,
    l.numero_compte,
    l.periode_debut,
    l.periode_fin,
    l.periode_code,
    {{ months_between('l.periode_debut', 'l.periode_fin') }} as nb_mois,
    l.montant_du as du,
    l.montant_encaisse,
    {{ mois_disponible('g.lot_premiere_livraison', '(select min(lot_premiere_livraison) from gagnants)') }}
        as mois_disponible,
    l._batch_key as lot_donnees
from (
    select r.*, {{ id_ligne() }} as _id_ligne
    {{ flux_fichiers_appliques('cotisation') }}
) as l
inner join gagnants as g using (_id_ligne)
where {{ is_canonical_period('l.periode_code') }}
