-- Grain: one row per company (siren) and month with an outstanding URSSAF debt at the cut-off
-- (the 20th of the month, model.md §4.5). Each ECN's balance is the one of its highest-numbered
-- history line processed by the cut-off (periode_prise_en_compte <= month), summed per company.
with lignes as (
    select
        debit_id, numero_compte, siren, numero_historique,
        periode_prise_en_compte as mois,
        part_ouvriere, part_patronale
    from {{ ref('stg_urssaf_debit') }}
),

ordonnees as (
    select
        *,
        max(numero_historique) over (
            partition by debit_id, numero_compte
            order by mois, numero_historique
            rows between unbounded preceding and current row
        ) as historique_max
    from lignes
),

fin_de_mois as (
    select debit_id, numero_compte, siren, mois, historique_max
    from ordonnees
    qualify row_number() over (
        partition by debit_id, numero_compte, mois order by numero_historique desc
    ) = 1
),

soldes as (
    select
        f.siren,
        f.mois as debut,
        lead(f.mois) over (partition by f.debit_id, f.numero_compte order by f.mois) as fin,
        l.part_ouvriere,
        l.part_patronale
    from fin_de_mois as f
    inner join lignes as l
        on l.debit_id = f.debit_id
       and l.numero_compte = f.numero_compte
       and l.numero_historique = f.historique_max
)

select
    s.siren,
    c.periode,
    sum(s.part_ouvriere) as dette_part_ouvriere,
    sum(s.part_patronale) as dette_part_patronale,
    count(*) as nb_ecarts_negatifs
from soldes as s
inner join {{ ref('int_mois_calendrier') }} as c
    on c.periode >= s.debut and (s.fin is null or c.periode < s.fin)
where s.part_ouvriere <> 0 or s.part_patronale <> 0
group by s.siren, c.periode
