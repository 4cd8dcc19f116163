{#-
  Grain: one row per company (siren) and month m with at least one establishment active on the last
  day of m (model.md §1 P1), as known at the end of m: each history period and each register line
  counts in the version delivered by the batch of m (stg_*_versions), so a closure INSEE records
  late with a past effective date, or a line a later stock no longer holds, never changes a past
  month.
  An establishment uses its INSEE history intervals (state A on that day: start <= day < end, an
  open end counting as active) in the months its known history is complete, i.e. holds an open
  period: a history whose periods are all closed lost its current line and would wrongly close the
  establishment. In the other months (no history known yet, or incomplete) it falls back on the
  register line: created by then and not yet closed (a closed establishment's current period starts
  on its closing date).
  Everything is computed on month intervals [debut, fin) (end exclusive): each establishment's
  active intervals are merged, counted per company as a step function, and only the company's
  steps are expanded on the calendar, at the end.
-#}
{%- set toujours = "date '1900-01-01'" -%}
{%- set jamais = "date '9999-12-01'" -%}

with periodes as (
    select
        siren,
        siret,
        date_debut,
        date_fin,
        est_actif,
        mois_debut_validite,
        coalesce(mois_fin_validite, {{ jamais }}) as mois_fin_validite
    from {{ ref('stg_sirene_histo_versions') }}
),

periodes_ouvertes as (
    -- validity of the open periods, islands of overlapping or touching intervals marked
    select
        siret,
        mois_debut_validite as debut,
        mois_fin_validite as fin,
        coalesce(
            mois_debut_validite > max(mois_fin_validite) over (
                partition by siret order by mois_debut_validite, mois_fin_validite
                rows between unbounded preceding and 1 preceding
            ),
            true
        ) as nouvel_ilot
    from periodes
    where date_fin is null
),

historique_complet as (
    -- months in which the known history of the establishment holds an open period
    select siret, min(debut) as debut, max(fin) as fin
    from (
        select *, sum(cast(nouvel_ilot as integer)) over (
            partition by siret order by debut, fin rows unbounded preceding
        ) as ilot
        from periodes_ouvertes
    )
    group by siret, ilot
),

registre as (
    select
        siren,
        siret,
        coalesce(date_creation, {{ toujours }}) as debut_periode,
        case when etat_administratif = 'F' then coalesce(date_debut_periode, {{ toujours }}) end as fin_periode,
        mois_debut_validite,
        coalesce(mois_fin_validite, {{ jamais }}) as mois_fin_validite
    from {{ ref('stg_sirene_versions') }}
),

historique_incomplet as (
    -- the other months: before, between and after the complete islands; all months without history
    select siret, coalesce(lag(fin) over (partition by siret order by debut), {{ toujours }}) as debut, debut as fin
    from historique_complet
    union all
    select siret, max(fin), {{ jamais }}
    from historique_complet
    group by siret
    having max(fin) < {{ jamais }}
    union all
    select distinct r.siret, {{ toujours }}, {{ jamais }}
    from registre as r
    anti join historique_complet as h on h.siret = r.siret
),

intervalles_historique as (
    -- active periods in the months their version is known and the history complete; the period
    -- covers the last day of m from the month of its start to the month of the day after its end
    select
        p.siren,
        p.siret,
        greatest(p.mois_debut_validite, h.debut, cast(date_trunc('month', coalesce(p.date_debut, {{ toujours }})) as date)) as debut,
        least(p.mois_fin_validite, h.fin, coalesce(cast(date_trunc('month', p.date_fin + 1) as date), {{ jamais }})) as fin
    from periodes as p
    inner join historique_complet as h
        on h.siret = p.siret
       and h.debut < p.mois_fin_validite
       and p.mois_debut_validite < h.fin
    where p.est_actif
),

intervalles_registre as (
    select
        r.siren,
        r.siret,
        greatest(r.mois_debut_validite, i.debut, cast(date_trunc('month', r.debut_periode) as date)) as debut,
        least(r.mois_fin_validite, i.fin, coalesce(cast(date_trunc('month', r.fin_periode) as date), {{ jamais }})) as fin
    from registre as r
    inner join historique_incomplet as i
        on i.siret = r.siret
       and i.debut < r.mois_fin_validite
       and r.mois_debut_validite < i.fin
),

intervalles as (
    select * from intervalles_historique where debut < fin
    union all
    select * from intervalles_registre where debut < fin
),

intervalles_fusionnes as (
    -- disjoint active intervals per establishment (overlapping or touching ones merged)
    select siren, siret, min(debut) as debut, max(fin) as fin
    from (
        select *, sum(cast(nouveau as integer)) over (
            partition by siret order by debut, fin rows unbounded preceding
        ) as groupe
        from (
            select *, coalesce(
                debut > max(fin) over (
                    partition by siret order by debut, fin rows between unbounded preceding and 1 preceding
                ),
                true
            ) as nouveau
            from intervalles
        )
    )
    group by siren, siret, groupe
),

variations as (
    -- the number of active establishments of the company changes only at these months
    select siren, mois, sum(variation) as variation
    from (
        select siren, debut as mois, 1 as variation from intervalles_fusionnes
        union all
        select siren, fin, -1 from intervalles_fusionnes where fin < {{ jamais }}
    )
    group by siren, mois
),

paliers as (
    select
        siren,
        mois as debut,
        coalesce(lead(mois) over (partition by siren order by mois), {{ jamais }}) as fin,
        sum(variation) over (partition by siren order by mois rows unbounded preceding) as nb_etablissements_actifs
    from variations
)

-- expanded on the calendar per company (not per establishment)
select
    p.siren,
    c.periode,
    cast(p.nb_etablissements_actifs as bigint) as nb_etablissements_actifs
from paliers as p
inner join {{ ref('int_mois_calendrier') }} as c
    on c.periode >= p.debut
   and c.periode < p.fin
where p.nb_etablissements_actifs > 0
