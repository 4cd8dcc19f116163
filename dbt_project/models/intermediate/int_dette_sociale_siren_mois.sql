{#-
  Grain: one row per company (siren) with URSSAF records and calendar month m, from the later of
  its first record and 24 months before var('debut_panel'): the features of theme "dette sociale
  URSSAF" (model.md §4.5), point in time. Debts are those at the cut-off of m (the 20th); a
  contribution record of month m-k counts once its whole period has ended (anchor m-1: a quarterly
  or yearly record only after its quarter or year); lags are exact calendar months on the spine.
  Why the spine can start there without changing any value of the panel: before a company's first
  record every feature is NULL (no coverage), which the panel reads as a missing row; and no
  feature of month m reaches further back than m-24 (lag 12 of a 12-month mean; the run of months
  in debt is capped at 24), so months before debut_panel - 24 are never read.
  Structural zero (§4.3): under URSSAF coverage (a contribution record in [m-12, m-1] or any earlier
  debit) debts, plans and CCSF flags are 0 when nothing is open; without coverage, or before the
  plan or CCSF file was ever delivered, they are NULL.
  Per-employee ratios (cross-theme) are computed in the panel.
-#}
with calendrier as (
    select periode
    from {{ ref('int_mois_calendrier') }}
    where periode >= cast(cast('{{ var("debut_panel") }}' as date) - interval 24 month as date)
),

premier_debit as (
    select siren, min(periode_prise_en_compte) as premier_mois_debit
    from {{ ref('stg_urssaf_debit') }}
    group by siren
),

entreprises as (
    -- each company with a record, from the month of its first one (debts, contributions, plans,
    -- CCSF events, debit history)
    select siren, min(premier_mois) as premier_mois
    from (
        select siren, min(periode) as premier_mois from {{ ref('int_dette_urssaf_siren_mois') }} group by siren
        union all
        select siren, min(periode) from {{ ref('int_cotisation_siren_mois') }} group by siren
        union all
        select siren, min(periode) from {{ ref('int_delai_urssaf_siren_mois') }} group by siren
        union all
        select siren, min(periode) from {{ ref('int_ccsf_siren_mois') }} group by siren
        union all
        select siren, premier_mois_debit from premier_debit
    )
    group by siren
),

sources_livrees as (
    -- payment plans and CCSF are structural zeros only once their file has been delivered (a
    -- source holding no record at all is taken as not delivered yet)
    select
        exists (select 1 from {{ ref('stg_urssaf_delai') }}) as delais_livres,
        exists (select 1 from {{ ref('stg_urssaf_ccsf') }}) as ccsf_livres
),

series as (
    select
        e.siren,
        c.periode,
        d.dette_part_ouvriere,
        d.dette_part_patronale,
        ct.cotisation_mensuelle,
        ct.disponible_mensuelle,
        ct.cotisation_trimestrielle,
        ct.disponible_trimestrielle,
        ct.cotisation_annuelle,
        ct.disponible_annuelle,
        dl.nb_delais_en_cours,
        dl.montant_delais_en_cours,
        cc.nb_evenements_ccsf_24m,
        coalesce(pd.premier_mois_debit <= c.periode, false) as a_historique_debit,
        l.delais_livres,
        l.ccsf_livres
    from entreprises as e
    inner join calendrier as c on c.periode >= e.premier_mois
    cross join sources_livrees as l
    left join {{ ref('int_dette_urssaf_siren_mois') }} as d on d.siren = e.siren and d.periode = c.periode
    left join {{ ref('int_cotisation_siren_mois') }} as ct on ct.siren = e.siren and ct.periode = c.periode
    left join {{ ref('int_delai_urssaf_siren_mois') }} as dl on dl.siren = e.siren and dl.periode = c.periode
    left join {{ ref('int_ccsf_siren_mois') }} as cc on cc.siren = e.siren and cc.periode = c.periode
    left join premier_debit as pd on pd.siren = e.siren
),

fenetres as (
    select
        *,
        -- contributions of month m-k as known at m: the records whose whole period had ended
        -- (and been delivered) by m, monthly, quarterly and yearly ones each in turn
        {%- for k in range(1, 16) %}
        {{ cotisation_connue(k) }} as cotisation_m{{ k }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from series
    window w as (partition by siren order by periode)
),

couverture as (
    select
        *,
        {%- set m12 = [] %}{% for k in range(1, 13) %}{% do m12.append('cotisation_m' ~ k) %}{% endfor %}
        {{ mean_if_enough(m12, 9) }} as cotisation_mean12m,
        {{ mean_if_enough(['cotisation_m1', 'cotisation_m2', 'cotisation_m3'], 3) }} as cotisation_mean3m,
        {{ mean_if_enough(['cotisation_m13', 'cotisation_m14', 'cotisation_m15'], 3) }} as cotisation_mean3m_a12,
        ({% for c in m12 %}{{ c }} is not null or {% endfor %}a_historique_debit) as urssaf_couvert
    from fenetres
),

dettes as (
    select
        siren,
        periode,
        urssaf_couvert,
        cotisation_mean3m,
        cotisation_mean12m,
        cotisation_mean3m_a12,
        case when urssaf_couvert then coalesce(dette_part_ouvriere, 0) end as dette_po,
        case when urssaf_couvert then coalesce(dette_part_patronale, 0) end as dette_pp,
        case when urssaf_couvert
             then coalesce(dette_part_ouvriere, 0) + coalesce(dette_part_patronale, 0) end as dette,
        case when urssaf_couvert and delais_livres then coalesce(montant_delais_en_cours, 0) end as montant_delais_en_cours,
        case when urssaf_couvert and delais_livres then cast(coalesce(nb_delais_en_cours, 0) > 0 as integer) end
            as delai_en_cours,
        case when urssaf_couvert and ccsf_livres then cast(coalesce(nb_evenements_ccsf_24m, 0) > 0 as integer) end
            as ccsf_24m
    from couverture
),

ratios as (
    select
        *,
        {{ safe_div('dette', 'cotisation_mean12m') }} as dette_sur_cotisation,
        year(periode) * 12 + month(periode) as rang_mois
    from dettes
)

select
    siren,
    periode,
    cast(dette_po as double) as urssaf_dette_po,
    {%- for k in [1, 2, 3, 6, 12] %}
    cast(lag(dette_po, {{ k }}) over w as double) as urssaf_dette_po_lag{{ k }},
    {%- endfor %}
    cast(dette_pp as double) as urssaf_dette_pp,
    {%- for k in [1, 2, 3, 6, 12] %}
    cast(lag(dette_pp, {{ k }}) over w as double) as urssaf_dette_pp_lag{{ k }},
    {%- endfor %}
    cotisation_mean3m as urssaf_cotisation_mean3m,
    cotisation_mean12m as urssaf_cotisation_mean12m,
    {{ safe_div('cotisation_mean3m', 'cotisation_mean3m_a12') }} - 1 as urssaf_cotisation_var12m,
    dette_sur_cotisation as urssaf_dette_sur_cotisation,
    lag(dette_sur_cotisation, 3) over w as urssaf_dette_sur_cotisation_lag3,
    lag(dette_sur_cotisation, 12) over w as urssaf_dette_sur_cotisation_lag12,
    dette_sur_cotisation - lag(dette_sur_cotisation, 3) over w as urssaf_dette_sur_cotisation_delta3m,
    dette_sur_cotisation - lag(dette_sur_cotisation, 12) over w as urssaf_dette_sur_cotisation_delta12m,
    -- consecutive months with a positive debt: months since the last one without (a month before
    -- the company's first row counts as without); in the window of the lags, so one sort only
    case
        when dette > 0 then least(24, rang_mois - coalesce(
            max(case when not coalesce(dette > 0, false) then rang_mois end) over w,
            min(rang_mois) over w - 1
        ))
        when dette is not null then 0
    end as urssaf_mois_consecutifs_dette,
    delai_en_cours as urssaf_delai_en_cours,
    {{ safe_div('montant_delais_en_cours', 'cotisation_mean12m') }} as urssaf_delai_montant_sur_cotisation,
    ccsf_24m as urssaf_ccsf_24m,
    cast(urssaf_couvert as integer) as urssaf_a_donnees,
    -- helpers for the per-employee ratios of the panel
    cast(dette as double) as dette,
    cast(lag(dette, 3) over w as double) as dette_m3
from ratios
window w as (partition by siren order by periode)
