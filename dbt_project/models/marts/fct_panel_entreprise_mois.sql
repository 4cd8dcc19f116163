{#-
  Grain: one row per company (siren) and month m with an active establishment on the last day of m.
  Every value is point-in-time: it uses only records available at the end of m (model.md §3).
  Windows run on a complete calendar spine, so a lag of k rows is a lag of k calendar months.
-#}
{%- set lambda_eff = var('lambda_effectif_mois') | int -%}

with calendrier as (
    select periode from {{ ref('int_mois_calendrier') }}
),

entreprises as (
    select * from {{ ref('int_entreprise_caracteristiques') }}
),

premier_mois_10_salaries as (
    -- P3 point in time: the first month m at which a headcount >= 10 is both delivered and usable
    select siren, min(greatest(mois_disponible, cast(periode + to_months({{ lambda_eff }}) as date))) as premier_mois
    from {{ ref('int_effectif_siren_mois') }}
    where effectif >= 10
    group by siren
),

premier_debit as (
    select siren, min(periode_prise_en_compte) as premier_mois_debit
    from {{ ref('stg_urssaf_debit') }}
    group by siren
),

extraction_procol as (
    -- E: month the proceedings extract was received; L = E - g - 18 (model.md §2.3)
    select
        {{ batch_month('max(batch_key)') }} as mois_extraction,
        cast({{ batch_month('max(batch_key)') }}
             - to_months({{ var('marge_declaration_mois') }} + 18) as date) as limite_observation
    from {{ source('raw', 'files') }}
    where source = 'procol' and applied and batch_key <= '{{ var("as_of_batch") }}'
),

spine as (
    select e.siren, c.periode
    from entreprises as e
    cross join calendrier as c
),

series as (
    select
        s.siren,
        s.periode,
        d.dette_part_ouvriere,
        d.dette_part_patronale,
        ct.cotisation,
        ct.mois_disponible as cotisation_disponible,
        ef.effectif,
        ef.mois_disponible as effectif_disponible,
        coalesce(ea.nb_etablissements_actifs, 0) as nb_etablissements_actifs,
        pd.premier_mois_debit,
        p10.premier_mois as premier_mois_10_salaries
    from spine as s
    left join {{ ref('int_dette_urssaf_siren_mois') }} as d on d.siren = s.siren and d.periode = s.periode
    left join {{ ref('int_cotisation_siren_mois') }} as ct on ct.siren = s.siren and ct.periode = s.periode
    left join {{ ref('int_effectif_siren_mois') }} as ef on ef.siren = s.siren and ef.periode = s.periode
    left join {{ ref('int_etablissements_actifs_mois') }} as ea on ea.siren = s.siren and ea.periode = s.periode
    left join premier_debit as pd on pd.siren = s.siren
    left join premier_mois_10_salaries as p10 on p10.siren = s.siren
),

fenetres as (
    select
        siren,
        periode,
        nb_etablissements_actifs,
        dette_part_ouvriere,
        dette_part_patronale,
        -- contributions of month m-k, only if every record of that month had ended by m
        {%- for k in range(1, 16) %}
        case when lag(cotisation_disponible, {{ k }}) over w <= periode
             then lag(cotisation, {{ k }}) over w end as cotisation_m{{ k }},
        {%- endfor %}
        coalesce(premier_mois_debit <= periode, false) as a_historique_debit,
        -- headcount of month m-k, only if it had been delivered by m
        {%- for k in range(lambda_eff, lambda_eff + 13) %}
        case when lag(effectif_disponible, {{ k }}) over w <= periode
             then lag(effectif, {{ k }}) over w end as effectif_m{{ k }},
        {%- endfor %}
        coalesce(premier_mois_10_salaries <= periode, false) as a_eu_10_salaries
    from series
    window w as (partition by siren order by periode)
),

urssaf as (
    select
        *,
        -- headcount: anchor a = m - lambda, carried forward at most 2 months
        coalesce(effectif_m{{ lambda_eff }}, effectif_m{{ lambda_eff + 1 }}, effectif_m{{ lambda_eff + 2 }}) as effectif_a,
        effectif_m{{ lambda_eff + 6 }} as effectif_a_6,
        effectif_m{{ lambda_eff + 12 }} as effectif_a_12,
        ({% for k in range(lambda_eff, lambda_eff + 12) %}cast(effectif_m{{ k }} is not null as integer){% if not loop.last %} + {% endif %}{% endfor %}) as nb_effectifs_12m,
        {%- set m12 = [] %}{% for k in range(1, 13) %}{% do m12.append('cotisation_m' ~ k) %}{% endfor %}
        {%- set m3 = ['cotisation_m1', 'cotisation_m2', 'cotisation_m3'] %}
        {%- set m3_12 = ['cotisation_m13', 'cotisation_m14', 'cotisation_m15'] %}
        {{ mean_if_enough(m12, 9) }} as cotisation_mean12m,
        {{ mean_if_enough(m3, 3) }} as cotisation_mean3m,
        {{ mean_if_enough(m3_12, 3) }} as cotisation_mean3m_a12,
        ({% for c in m12 %}{{ c }} is not null or {% endfor %}a_historique_debit) as urssaf_couvert
    from fenetres
),

dettes as (
    select
        *,
        case when urssaf_couvert then coalesce(dette_part_ouvriere, 0) end as dette_po,
        case when urssaf_couvert then coalesce(dette_part_patronale, 0) end as dette_pp,
        case when urssaf_couvert
             then coalesce(dette_part_ouvriere, 0) + coalesce(dette_part_patronale, 0) end as dette
    from urssaf
),

consecutifs as (
    select
        *,
        sum(case when dette > 0 then 0 else 1 end) over (
            partition by siren order by periode rows between unbounded preceding and current row
        ) as groupe_dette
    from dettes
),

features as (
    select
        c.siren,
        c.periode,
        -- theme dette_urssaf
        c.dette_po as urssaf_dette_po,
        lag(c.dette_po, 3) over w as urssaf_dette_po_lag3,
        lag(c.dette_po, 12) over w as urssaf_dette_po_lag12,
        c.dette_pp as urssaf_dette_pp,
        lag(c.dette_pp, 3) over w as urssaf_dette_pp_lag3,
        lag(c.dette_pp, 12) over w as urssaf_dette_pp_lag12,
        c.cotisation_mean3m as urssaf_cotisation_mean3m,
        c.cotisation_mean12m as urssaf_cotisation_mean12m,
        {{ safe_div('c.cotisation_mean3m', 'c.cotisation_mean3m_a12') }} - 1 as urssaf_cotisation_var12m,
        {{ safe_div('c.dette', 'c.cotisation_mean12m') }} as urssaf_dette_sur_cotisation,
        case when c.dette is not null then least(24, count(*) filter (where c.dette > 0) over (
            partition by c.siren, c.groupe_dette order by c.periode rows between unbounded preceding and current row
        )) end as urssaf_mois_consecutifs_dette,
        cast(c.urssaf_couvert as integer) as urssaf_a_donnees,
        -- theme effectif_contexte
        c.effectif_a as eff_effectif,
        c.effectif_a_6 as eff_effectif_lag6,
        c.effectif_a_12 as eff_effectif_lag12,
        {{ safe_div('c.effectif_a - c.effectif_a_12', 'c.effectif_a_12') }} as eff_var12m,
        cast(c.effectif_a is not null as integer) as eff_a_effectif,
        c.nb_etablissements_actifs as eff_nb_etablissements,
        c.a_eu_10_salaries,
        c.nb_effectifs_12m,
        c.dette
    from consecutifs as c
    window w as (partition by c.siren order by c.periode)
)

select
    f.siren,
    f.periode,
    -- perimeter (model.md §1), point in time
    (f.eff_nb_etablissements > 0
        and e.siege_en_france
        and f.a_eu_10_salaries
        and f.nb_effectifs_12m > 0
        and coalesce(e.naf_section, '') not in ('O', 'P')
        and not e.categorie_juridique_exclue) as dans_perimetre,
    case
        when f.eff_nb_etablissements = 0 then 'aucun_etablissement_actif'
        when not e.siege_en_france then 'siege_hors_france'
        when not f.a_eu_10_salaries then 'jamais_10_salaries'
        when f.nb_effectifs_12m = 0 then 'effectif_inconnu'
        when coalesce(e.naf_section, '') in ('O', 'P') then 'administration_enseignement'
        when e.categorie_juridique_exclue then 'forme_juridique_publique'
    end as motif_hors_perimetre,
    -- target (model.md §2)
    o.date_premiere_ouverture,
    coalesce(o.ouverture_imputee, false) as ouverture_imputee,
    case
        when o.mois_premiere_ouverture <= f.periode then 'post_ouverture'
        when f.periode > x.limite_observation then 'non_observable'
        when o.mois_premiere_ouverture <= cast(f.periode + interval 18 month as date) then 'positif'
        else 'negatif'
    end as statut_cible,
    case
        when o.mois_premiere_ouverture <= f.periode or f.periode > x.limite_observation then null
        when o.mois_premiere_ouverture <= cast(f.periode + interval 18 month as date) then 1
        else 0
    end as cible,
    x.limite_observation,
    -- features
    cast(f.urssaf_dette_po as double) as urssaf_dette_po,
    cast(f.urssaf_dette_po_lag3 as double) as urssaf_dette_po_lag3,
    cast(f.urssaf_dette_po_lag12 as double) as urssaf_dette_po_lag12,
    cast(f.urssaf_dette_pp as double) as urssaf_dette_pp,
    cast(f.urssaf_dette_pp_lag3 as double) as urssaf_dette_pp_lag3,
    cast(f.urssaf_dette_pp_lag12 as double) as urssaf_dette_pp_lag12,
    f.urssaf_cotisation_mean3m,
    f.urssaf_cotisation_mean12m,
    f.urssaf_cotisation_var12m,
    f.urssaf_dette_sur_cotisation,
    cast(f.urssaf_mois_consecutifs_dette as integer) as urssaf_mois_consecutifs_dette,
    f.urssaf_a_donnees,
    cast(f.eff_effectif as double) as eff_effectif,
    cast(f.eff_effectif_lag6 as double) as eff_effectif_lag6,
    cast(f.eff_effectif_lag12 as double) as eff_effectif_lag12,
    f.eff_var12m,
    f.eff_a_effectif,
    cast(f.eff_nb_etablissements as integer) as eff_nb_etablissements,
    coalesce(e.naf_section, 'INCONNU') as ctx_naf_section,
    coalesce(e.naf_division, 'INCONNU') as ctx_naf_division,
    coalesce(e.code_region, 'INCONNU') as ctx_region,
    coalesce(left(e.categorie_juridique, 2), 'INCONNU') as ctx_forme_juridique,
    case when e.date_creation <= last_day(f.periode)
         then datediff('day', e.date_creation, last_day(f.periode)) / 365.25 end as ctx_age_annees
from features as f
inner join entreprises as e on e.siren = f.siren
cross join extraction_procol as x
left join {{ ref('int_ouverture_procol') }} as o on o.siren = f.siren
where f.periode >= cast('{{ var("debut_panel") }}' as date)
  and f.eff_nb_etablissements > 0
