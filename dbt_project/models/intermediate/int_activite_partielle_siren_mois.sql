-- Grain: one row per company (siren) and row month m with partial activity in sight at m
-- (model.md §4.7), summed over the company's establishments and requests:
--   * consumption of the months p in [m-12, m-1] (anchor a = m-1), as known at m: the hours of
--     the latest export received by m (vintages, model.md §3.2: the version valid at m);
--   * authorised hours prorated per day over [periode_debut, periode_fin] (both inclusive),
--     the part falling in month m, for requests with a status date <= the last day of m-1, each
--     request as in the latest export received by m (the version valid at m);
--   * requests with a status date in [m-3, m-1].
-- Months without any of these are structural zeros, set in the panel under source coverage
-- (int_couverture_activite_partielle_mois); this model only holds non-empty rows.
with calendrier as (
    -- row months from var('debut_panel') only: each row is computed from the records, not from
    -- earlier rows
    select periode from {{ ref('int_mois_calendrier') }}
    where periode >= cast('{{ var("debut_panel") }}' as date)
),

consommations as (
    select siren, periode as mois_conso, mois_debut_validite, mois_fin_validite, sum(heures) as heures
    from {{ ref('stg_ap_conso') }}
    group by siren, periode, mois_debut_validite, mois_fin_validite
),

consommation_connue as (
    -- hours of month p as known at row m, for the 12 months p in [m-12, m-1]
    select o.siren, c.periode, o.mois_conso, sum(o.heures) as heures
    from consommations as o
    inner join calendrier as c
        on o.mois_conso between cast(c.periode - interval 12 month as date) and cast(c.periode - interval 1 month as date)
       and {{ version_valide('o', 'c.periode') }}
    group by o.siren, c.periode, o.mois_conso
),

consommation_fenetres as (
    select
        siren,
        periode,
        sum(heures) filter (where mois_conso = cast(periode - interval 1 month as date)) as heures_conso_m1,
        sum(heures) filter (where mois_conso >= cast(periode - interval 3 month as date)) as heures_conso_3m,
        sum(heures) as heures_conso_12m,
        count(*) filter (where heures > 0) as nb_mois_conso_12m
    from consommation_connue
    group by siren, periode
),

demandes as (
    select
        siren,
        date_statut,
        periode_debut,
        periode_fin,
        heures_autorisees,
        mois_debut_validite,
        mois_fin_validite,
        datediff('day', periode_debut, periode_fin) + 1 as nb_jours_autorises
    from {{ ref('stg_ap_demande') }}
    where periode_fin >= periode_debut
),

autorisations as (
    -- the share of each request's hours falling in month m, prorated per day
    select
        d.siren,
        c.periode,
        sum(d.heures_autorisees
            * (datediff('day', greatest(d.periode_debut, c.periode), least(d.periode_fin, last_day(c.periode))) + 1)
            / d.nb_jours_autorises) as heures_autorisees_m
    from demandes as d
    inner join calendrier as c
        on c.periode <= d.periode_fin
       and last_day(c.periode) >= d.periode_debut
       and d.date_statut < c.periode
       and {{ version_valide('d', 'c.periode') }}
    group by d.siren, c.periode
),

demandes_recentes as (
    -- requests whose status date falls in the months [m-3, m-1]
    select d.siren, c.periode, count(*) as nb_demandes_3m
    from demandes as d
    inner join calendrier as c
        on d.date_statut >= cast(c.periode - interval 3 month as date)
       and d.date_statut < c.periode
       and {{ version_valide('d', 'c.periode') }}
    group by d.siren, c.periode
),

cles as (
    select siren, periode from consommation_fenetres
    union
    select siren, periode from autorisations
    union
    select siren, periode from demandes_recentes
)

select
    k.siren,
    k.periode,
    f.heures_conso_m1,
    f.heures_conso_3m,
    f.heures_conso_12m,
    f.nb_mois_conso_12m,
    a.heures_autorisees_m,
    r.nb_demandes_3m
from cles as k
left join consommation_fenetres as f on f.siren = k.siren and f.periode = k.periode
left join autorisations as a on a.siren = k.siren and a.periode = k.periode
left join demandes_recentes as r on r.siren = k.siren and r.periode = k.periode
