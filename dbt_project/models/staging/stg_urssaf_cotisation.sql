-- Grain: one row per (siret, numero_compte, periode_code): contributions due for a period of
-- 1, 3 or 12 months, latest delivery winning. Non-canonical period codes are excluded.
-- `mois_disponible`: month of the first delivery holding the record (from the start for the first
-- batch, which predates the delivery log): a record is usable once delivered and ended.
{%- set cle = ['siret', 'numero_compte', 'periode_code'] %}

with lignes as (
    {{ flux_state('cotisation', ['r.siret', 'r.numero_compte', 'r.periode_code']) }}
),

versions as (
    {{ flux_versions('cotisation') }}
),

livraisons as (
    {{ premieres_livraisons('versions', cle) }}
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
    v.mois_disponible,
    l._batch_key as lot_donnees
from lignes as l
inner join livraisons as v using ({{ cle | join(', ') }})
where {{ is_canonical_period('l.periode_code') }}
