-- Grain: one row per row month m: what the partial-activity sources cover at m (model.md §4.3).
-- The DGEFP files are exhaustive, so a company without consumption or request in a covered month
-- has a structural zero; before the source starts, or after the last month delivered by m, the
-- value is unknown (NULL, never a silent zero, model.md §3.2 freshness).
--   * consumption: months from the first consumption month of the source to the latest month
--     delivered by m (`couverture_conso`);
--   * requests: the request file is delivered by m and its history has started by m-1.
with calendrier as (
    select periode from {{ ref('int_mois_calendrier') }}
),

livraisons_conso as (
    -- the latest consumption month held by the exports received by each month
    select mois_debut_validite as mois_disponible, max(periode) as dernier_mois
    from {{ ref('stg_ap_conso') }}
    group by mois_debut_validite
),

debut_conso as (
    select min(periode) as premier_mois from {{ ref('stg_ap_conso') }}
),

demandes as (
    -- from the first delivered version of each request
    select
        min(cast(date_trunc('month', date_statut) as date)) as premier_mois,
        min(mois_debut_validite) as premiere_livraison
    from (
        select * from {{ ref('stg_ap_demande') }}
        qualify row_number() over (partition by id_demande, siret order by mois_debut_validite) = 1
    )
),

couverture as (
    select c.periode, max(l.dernier_mois) as couverture_conso
    from calendrier as c
    left join livraisons_conso as l on l.mois_disponible <= c.periode
    group by c.periode
),

bornes as (
    -- the covered consumption months inside the windows ending at a = m-1
    select
        v.periode,
        d.premier_mois as debut_conso,
        v.couverture_conso,
        case when v.couverture_conso is not null
             then least(v.couverture_conso, cast(v.periode - interval 1 month as date)) end as fin_connue
    from couverture as v
    cross join debut_conso as d
)

select
    b.periode,
    b.debut_conso,
    b.couverture_conso,
    coalesce(cast(periode - interval 1 month as date) between b.debut_conso and b.fin_connue, false)
        as conso_connue_m1,
    -- (greatest/least skip NULLs: without any consumption delivered, no month is known)
    {%- for n in [3, 12] %}
    case when b.debut_conso is not null and b.couverture_conso is not null
         then greatest(0, {{ months_between('greatest(b.debut_conso, cast(b.periode - interval ' ~ n ~ ' month as date))', 'b.fin_connue') }} + 1)
         else 0
    end as nb_mois_conso_connus_{{ n }}m,
    {%- endfor %}
    coalesce(d.premiere_livraison <= b.periode
             and d.premier_mois <= cast(b.periode - interval 1 month as date), false) as demandes_couvertes
from bornes as b
cross join demandes as d
