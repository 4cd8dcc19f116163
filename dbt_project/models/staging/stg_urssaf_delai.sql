-- Grain: one row per payment plan (siret, numero_compte, numero_contentieux, date_creation): its
-- latest version as of var('as_of_batch') (raw-sources §5.5), amounts in euros.
-- Point in time: a plan counts from the URSSAF cut-off after its creation (the 20th rule:
-- `periode_prise_en_compte`) once delivered (`mois_disponible`); a later delivery can move it to
-- the stade CADUC (lapsed), known only from the month of that delivery (`mois_caducite`).
{%- set cle = ['siret', 'numero_compte', 'numero_contentieux', 'date_creation'] %}

with versions as (
    {{ flux_versions('delai') }}
),

courant as (
    {{ flux_state('delai', ['r.siret', 'r.numero_compte', 'r.numero_contentieux', 'r.date_creation']) }}
),

livraisons as (
    {{ premieres_livraisons('versions', cle, ["min(_batch_key) filter (where stade = 'CADUC') as lot_caducite"]) }}
)

select
    c.siret,
    c.siren,
    c.est_pseudo_siret,
    c.numero_compte,
    c.numero_contentieux,
    c.date_creation,
    c.date_echeance,
    c.duree_delai_jours as duree_delai,
    c.montant_echeancier,
    c.indic_6mois,
    c.stade,
    c.action,
    -- created after the 20th: first counted in the next month's cut-off (as debits)
    cast(date_trunc('month', c.date_creation)
         + case when day(c.date_creation) > 20 then interval 1 month else interval 0 month end as date)
        as periode_prise_en_compte,
    l.lot_premiere_livraison,
    l.mois_disponible,
    {{ batch_month('l.lot_caducite') }} as mois_caducite,
    c._batch_key as lot_donnees
from courant as c
inner join livraisons as l using ({{ cle | join(', ') }})
