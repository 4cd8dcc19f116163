-- Grain: one row per payment plan (siret, numero_compte, numero_contentieux, date_creation): its
-- latest version as of var('as_of_batch') (raw-sources §5.5), amounts in euros.
-- Point in time: a plan counts from the URSSAF cut-off after its creation (the 20th rule:
-- `periode_prise_en_compte`) once delivered (`mois_disponible`); a later delivery can move it to
-- the stade CADUC (lapsed), known only from the month of that delivery (`mois_caducite`).
with courant as (
    {{ flux_state(
        'delai',
        ['siret', 'numero_compte', 'numero_contentieux', 'date_creation'],
        extra=["min(r._batch_key) filter (where r.stade = 'CADUC') as lot_caducite"],
        premiere_livraison=true,
    ) }}
)

select
    siret,
    siren,
    est_pseudo_siret,
    numero_compte,
    numero_contentieux,
    date_creation,
    date_echeance,
    duree_delai_jours as duree_delai,
    montant_echeancier,
    indic_6mois,
    stade,
    action,
    -- created after the 20th: first counted in the next month's cut-off (as debits)
    {{ mois_prise_en_compte('date_creation') }} as periode_prise_en_compte,
    lot_premiere_livraison,
    mois_disponible,
    {{ batch_month('lot_caducite') }} as mois_caducite,
    _batch_key as lot_donnees
from courant
