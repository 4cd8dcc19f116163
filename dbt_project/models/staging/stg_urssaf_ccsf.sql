-- Grain: one row per CCSF event (siret, numero_compte, date_traitement, stade) as of
-- var('as_of_batch') (raw-sources §5.6): stades DEBUT, APPROB, REFUS, FIN, REJ.
-- Point in time: an event counts from the cut-off after its processing date (20th rule) once
-- delivered (`mois_disponible`).
{%- set cle = ['siret', 'numero_compte', 'date_traitement', 'stade'] %}

with versions as (
    {{ flux_versions('ccsf') }}
),

courant as (
    {{ flux_state('ccsf', ['r.siret', 'r.numero_compte', 'r.date_traitement', 'r.stade']) }}
),

livraisons as (
    {{ premieres_livraisons('versions', cle) }}
)

select
    c.siret,
    c.siren,
    c.est_pseudo_siret,
    c.numero_compte,
    c.date_traitement,
    c.stade,
    c.action,
    cast(date_trunc('month', c.date_traitement)
         + case when day(c.date_traitement) > 20 then interval 1 month else interval 0 month end as date)
        as periode_prise_en_compte,
    l.lot_premiere_livraison,
    l.mois_disponible,
    c._batch_key as lot_donnees
from courant as c
inner join livraisons as l using ({{ cle | join(', ') }})
