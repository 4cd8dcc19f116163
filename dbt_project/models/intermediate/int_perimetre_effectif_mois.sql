{#-
  DuckDB estimates the company spine (companies x calendar months, a range join) at 1.2 M rows
  where it holds 40 M, then builds its hash tables on the spine's wide rows instead of the small
  tables joined to it: at national scale the query ran out of memory even with 16 GB. With the
  build-side swap turned off while this model runs, each hash table is built on the side written
  last: the small tables after the window (revisions, company versions); 44 s within 8 GB. A
  global DuckDB setting: with several dbt threads, the node running beside it shares it.
-#}
{{ config(
    pre_hook="set disabled_optimizers = 'build_side_probe_side'",
    post_hook="reset disabled_optimizers",
) }}
{#-
  Grain: one row per company (siren) and calendar month m with an establishment active on the last
  day of m: the perimeter of model.md §1 and the headcount features of §4.8, point in time.
  Headcount of month p as known at m: the version of int_effectif_entreprise_mois valid at m (the
  latest delivery received by m, model.md §3.2: the company value once delivered, else the sum over
  the establishments, §4.2), else unknown. Anchor a = m - lambda_eff, carried forward at most 2
  months; lags are exact calendar months, computed on each company's complete monthly spine before
  keeping the active rows.
  Rows start 12 months before var('debut_panel') (the sector rate of the panel's first month reads
  the perimeter 12 months earlier). The spine starts lambda + 12 months before that (the furthest
  lag, and the 3-month change of the anchor reaches no further), or at the company's first
  headcount month or first active month if later (every earlier month is empty), and ends at its
  last active month (lags only look back, and inactive months are not output). Month p is used by the rows m in
  [p + lambda, p + lambda + 12]: its version valid at p + lambda (or its first one after), with the
  span of its later versions of the same value, is read through lags of the spine; a revision to
  another value inside that window (rare) is read from `revisions`, one row per (company, row
  month), so the cost stays that of the spine.
  The Sirene attributes of row m (P2, P5, P6) are those of the company's version valid at m
  (int_entreprise_caracteristiques); a month before the first stock that held the company has no
  version, hence no row (P1: the SIREN is in Sirene at τ(m)).
-#}
{%- set lambda_eff = var('lambda_effectif_mois') | int -%}

{%- set debut_lignes = "cast(cast('" ~ var('debut_panel') ~ "' as date) - interval 12 month as date)" -%}

with calendrier as (
    select periode
    from {{ ref('int_mois_calendrier') }}
    where periode >= cast({{ debut_lignes }} - to_months({{ lambda_eff + 12 }}) as date)
),

entreprises as (
    select * from {{ ref('int_entreprise_caracteristiques') }}
),

effectifs as (
    select siren, periode, effectif, mois_debut_validite, mois_fin_validite
    from {{ ref('int_effectif_entreprise_mois') }}
),

bornes as (
    -- each company's spine: from its first headcount month or first active month to its last
    -- active month (companies never active have no row)
    select siren, min(debut) as debut, max(fin) as fin
    from (
        select siren, min(periode) as debut, max(periode) as fin
        from {{ ref('int_etablissements_actifs_mois') }}
        where nb_etablissements_actifs > 0
        group by siren
        union all
        select siren, min(periode), null from effectifs group by siren
    )
    group by siren
    having max(fin) is not null
),

premier_mois_10_salaries as (
    -- P3 point in time: the first month m at which a headcount >= 10 of a month p <= m - lambda
    -- is the one known at m (a version valid at m)
    select
        siren,
        min(greatest(mois_debut_validite, cast(periode + to_months({{ lambda_eff }}) as date))) as premier_mois
    from effectifs
    where effectif >= 10
      and (mois_fin_validite is null
           or greatest(mois_debut_validite, cast(periode + to_months({{ lambda_eff }}) as date)) < mois_fin_validite)
    group by siren
),

usages as (
    -- the versions of month p valid at some row m in [p + lambda, p + lambda + 12]
    select *
    from effectifs
    where (mois_fin_validite is null or mois_fin_validite > cast(periode + to_months({{ lambda_eff }}) as date))
      and mois_debut_validite <= cast(periode + to_months({{ lambda_eff + 12 }}) as date)
),

premieres as (
    -- month p's first version in use, spanning its later versions when they all have the same
    -- value (almost always: the aggregates stay cheap); a month revised to another value is
    -- flagged and its first version taken from `premieres_revisees`
    select
        siren,
        periode,
        min(effectif) as effectif,
        min(mois_debut_validite) as mois_debut_validite,
        case when bool_or(mois_fin_validite is null) then null else max(mois_fin_validite) end as mois_fin_validite,
        min(effectif) <> max(effectif) as est_revise
    from usages
    group by siren, periode
),

premieres_revisees as (
    select u.siren, u.periode, u.effectif, u.mois_debut_validite, u.mois_fin_validite
    from usages as u
    inner join premieres as r
        on r.siren = u.siren
       and r.periode = u.periode
       and r.est_revise
       and u.mois_debut_validite = r.mois_debut_validite
),

revisions as (
    -- the later versions of the revised months, spread over their row months
    select
        u.siren,
        c.periode,
        {%- for k in range(lambda_eff, lambda_eff + 13) %}
        max(u.effectif) filter (where u.periode = cast(c.periode - to_months({{ k }}) as date)) as revision_m{{ k }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from usages as u
    inner join premieres as r
        on r.siren = u.siren
       and r.periode = u.periode
       and r.est_revise
       and u.mois_debut_validite > r.mois_debut_validite
    inner join calendrier as c
        on c.periode >= u.mois_debut_validite
       and (u.mois_fin_validite is null or c.periode < u.mois_fin_validite)
       and c.periode between cast(u.periode + to_months({{ lambda_eff }}) as date)
                         and cast(u.periode + to_months({{ lambda_eff + 12 }}) as date)
    group by u.siren, c.periode
),

series as (
    select
        e.siren,
        c.periode,
        coalesce(u.effectif, p.effectif) as effectif,
        p.mois_debut_validite,
        case when p.est_revise then u.mois_fin_validite else p.mois_fin_validite end as mois_fin_validite,
        coalesce(ea.nb_etablissements_actifs, 0) as nb_etablissements_actifs,
        p10.premier_mois as premier_mois_10_salaries
    from bornes as e
    inner join calendrier as c on c.periode between e.debut and e.fin
    left join premieres as p on p.siren = e.siren and p.periode = c.periode
    left join premieres_revisees as u on u.siren = e.siren and u.periode = c.periode
    left join {{ ref('int_etablissements_actifs_mois') }} as ea on ea.siren = e.siren and ea.periode = c.periode
    left join premier_mois_10_salaries as p10 on p10.siren = e.siren
),

fenetres as (
    select
        siren,
        periode,
        nb_etablissements_actifs,
        coalesce(premier_mois_10_salaries <= periode, false) as a_eu_10_salaries,
        -- headcount of month m-k as known at m, from its first version in use while it is valid
        {%- for k in range(lambda_eff, lambda_eff + 13) %}
        case when lag(mois_debut_validite, {{ k }}) over w <= periode
              and (lag(mois_fin_validite, {{ k }}) over w is null or periode < lag(mois_fin_validite, {{ k }}) over w)
             then lag(effectif, {{ k }}) over w
        end as premiere_m{{ k }},
        {%- endfor %}
        -- the same, as known at row m-3, for the anchor of row m-3 (3-month changes of the
        -- per-employee ratios): in this window rather than a second sort of the wide rows
        {%- for k in range(lambda_eff, lambda_eff + 3) %}
        case when lag(mois_debut_validite, {{ k + 3 }}) over w <= cast(periode - interval 3 month as date)
              and (lag(mois_fin_validite, {{ k + 3 }}) over w is null
                   or cast(periode - interval 3 month as date) < lag(mois_fin_validite, {{ k + 3 }}) over w)
             then lag(effectif, {{ k + 3 }}) over w
        end as premiere_m3_m{{ k }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from series
    window w as (partition by siren order by periode)
),

connus as (
    -- else from its revision valid at m (the two never overlap)
    select
        f.siren,
        f.periode,
        f.nb_etablissements_actifs,
        f.a_eu_10_salaries,
        {%- for k in range(lambda_eff, lambda_eff + 13) %}
        coalesce(f.premiere_m{{ k }}, r.revision_m{{ k }}) as effectif_m{{ k }},
        {%- endfor %}
        {%- for k in range(lambda_eff, lambda_eff + 3) %}
        coalesce(f.premiere_m3_m{{ k }}, r3.revision_m{{ k }}) as effectif_m3_m{{ k }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from fenetres as f
    left join revisions as r on r.siren = f.siren and r.periode = f.periode
    -- row m-3 of the spine (the spine is every calendar month of the company: lags are exact)
    left join revisions as r3 on r3.siren = f.siren and r3.periode = cast(f.periode - interval 3 month as date)
),

courant as (
    select
        *,
        -- anchor a = m - lambda, carried forward at most 2 months (model.md §4.3)
        coalesce(effectif_m{{ lambda_eff }}, effectif_m{{ lambda_eff + 1 }}, effectif_m{{ lambda_eff + 2 }}) as effectif_a,
        ({% for k in range(lambda_eff, lambda_eff + 12) %}cast(effectif_m{{ k }} is not null as integer){% if not loop.last %} + {% endif %}{% endfor %})
            as nb_effectifs_12m
    from connus
),

features as (
    select
        siren,
        periode,
        nb_etablissements_actifs,
        a_eu_10_salaries,
        nb_effectifs_12m,
        effectif_a as eff_effectif,
        effectif_m{{ lambda_eff + 6 }} as eff_effectif_lag6,
        effectif_m{{ lambda_eff + 12 }} as eff_effectif_lag12,
        {{ safe_div('effectif_a - effectif_m' ~ (lambda_eff + 3), 'effectif_m' ~ (lambda_eff + 3)) }} as eff_var3m,
        {{ safe_div('effectif_a - effectif_m' ~ (lambda_eff + 12), 'effectif_m' ~ (lambda_eff + 12)) }} as eff_var12m,
        cast(effectif_a is not null as integer) as eff_a_effectif,
        -- the current headcount of row m-3 (its anchor as known then), for 3-month changes of
        -- per-employee ratios
        coalesce(effectif_m3_m{{ lambda_eff }}, effectif_m3_m{{ lambda_eff + 1 }}, effectif_m3_m{{ lambda_eff + 2 }})
            as eff_effectif_m3
    from courant
)

select
    f.siren,
    f.periode,
    -- perimeter (model.md §1), point in time
    (f.nb_etablissements_actifs > 0
        and e.siege_en_france
        and f.a_eu_10_salaries
        and f.nb_effectifs_12m > 0
        and coalesce(e.naf_section, '') not in ('O', 'P')
        and not e.categorie_juridique_exclue) as dans_perimetre,
    case
        when f.nb_etablissements_actifs = 0 then 'aucun_etablissement_actif'
        when not e.siege_en_france then 'siege_hors_france'
        when not f.a_eu_10_salaries then 'jamais_10_salaries'
        when f.nb_effectifs_12m = 0 then 'effectif_inconnu'
        when coalesce(e.naf_section, '') in ('O', 'P') then 'administration_enseignement'
        when e.categorie_juridique_exclue then 'forme_juridique_publique'
    end as motif_hors_perimetre,
    f.eff_effectif,
    f.eff_effectif_lag6,
    f.eff_effectif_lag12,
    f.eff_var3m,
    f.eff_var12m,
    f.eff_a_effectif,
    f.nb_etablissements_actifs as eff_nb_etablissements,
    f.eff_effectif_m3
from features as f
inner join entreprises as e on e.siren = f.siren and {{ version_valide('e', 'f.periode') }}
where f.nb_etablissements_actifs > 0
  and f.periode >= {{ debut_lignes }}
