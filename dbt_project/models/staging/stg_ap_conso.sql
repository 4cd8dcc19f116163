-- Grain: one row per partial-activity consumption (id_demande, siret, periode) and delivered
-- version of it, every month delivered up to var('as_of_batch') (raw-sources §6.2). Several
-- payment lines of one key are summed.
-- Vintages (model.md §3.2): the DGEFP export is a full re-delivery whose past months get revised
-- (late claims). Each version is the total of the key in the latest export holding it, over the
-- months [mois_debut_validite, mois_fin_validite) (end exclusive, NULL for the current version),
-- so row m uses the latest export received by the end of m; a key missing from a later export
-- keeps its last delivered total. The first batch predates the delivery log: its versions count
-- as known from the start. Consecutive exports with the same total form one version.
{%- set cle = ['id_demande', 'siret', 'periode'] %}

with lignes as (
    {{ stock_rows_with_end('apconso') }}
),

premier_lot as (
    select min(_batch_key) as lot from lignes
),

lots as (
    -- the batches where one of the key's lines arrived in or left the stock
    select {{ cle | join(', ') }}, _batch_key as lot from lignes
    union
    select {{ cle | join(', ') }}, _lot_fin as lot from lignes where _lot_fin is not null
),

etats as (
    -- the key's lines in the stock of each such batch, summed (none: the export dropped the key)
    select
        {% for k in cle %}l.{{ k }}, {% endfor %}
        b.lot,
        sum(l.heures) as heures,
        sum(l.montant) as montant
    from lots as b
    inner join lignes as l
        on {% for k in cle %}l.{{ k }} = b.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
       and l._batch_key <= b.lot
       and (l._lot_fin is null or b.lot < l._lot_fin)
    group by {% for k in cle %}l.{{ k }}, {% endfor %}b.lot
),

versions as (
    -- the exports holding the key (an export without any of its lines changes nothing)
    select
        e.*,
        {{ mois_disponible('e.lot', 'p.lot') }} as mois_debut_validite,
        lead({{ batch_month('e.lot') }}) over (partition by {% for k in cle %}e.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %} order by e.lot)
            as mois_fin_validite
    from etats as e
    cross join premier_lot as p
),

identite as (
    select {{ cle | join(', ') }}, any_value(siren) as siren, bool_or(est_pseudo_siret) as est_pseudo_siret
    from lignes
    group by {{ cle | join(', ') }}
)

select
    v.id_demande,
    v.siret,
    i.siren,
    i.est_pseudo_siret,
    v.periode,
    v.heures,
    v.montant,
    v.mois_debut_validite,
    v.mois_fin_validite
from ({{ fusion_versions('versions', cle, ['heures', 'montant']) }}) as v
inner join identite as i using ({{ cle | join(', ') }})
