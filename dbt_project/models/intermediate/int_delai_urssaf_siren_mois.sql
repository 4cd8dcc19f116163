-- Grain: one row per company (siren) and month m with at least one URSSAF payment plan in force at
-- m (model.md §4.5): positive duration, counted from the cut-off (the 20th) after its creation and
-- once delivered, falling due after τ(m) (the last day of m), and not yet known as lapsed (CADUC)
-- at m. Amounts are summed over the company's establishments and accounts.
with plans as (
    select
        siren,
        greatest(periode_prise_en_compte, mois_disponible) as premier_mois,
        date_echeance,
        mois_caducite,
        montant_echeancier
    from {{ ref('stg_urssaf_delai') }}
    where duree_delai > 0
)

select
    p.siren,
    c.periode,
    count(*) as nb_delais_en_cours,
    sum(p.montant_echeancier) as montant_delais_en_cours
from plans as p
inner join {{ ref('int_mois_calendrier') }} as c
    on c.periode >= p.premier_mois
   and p.date_echeance > last_day(c.periode)
   and (p.mois_caducite is null or c.periode < p.mois_caducite)
group by p.siren, c.periode
