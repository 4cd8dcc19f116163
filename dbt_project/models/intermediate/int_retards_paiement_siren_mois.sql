{#-
  Grain: one row per company (siren) with paydex values and calendar month m: the features of
  theme "retards de paiement fournisseurs" (model.md §4.6). Anchor a = m-1 (a value date of month
  p is published at p+1); a value counts once delivered by m. The current value may come from
  [a-2, a] (forward fill of 2 months at most); lags are exact calendar months. Paydex is never
  0-filled: no value is NULL, and fourn_a_paydex says so. A company's rows start at its first value
  month (the panel reads a missing row as no value).
-#}
with calendrier as (
    select periode from {{ ref('int_mois_calendrier') }}
),

valeurs as (
    select * from {{ ref('int_paydex_siren_mois') }}
),

series as (
    select e.siren, c.periode, v.nb_jours, v.mois_disponible
    -- from the company's first value month: every earlier row would be empty
    from (select siren, min(periode) as premier_mois from valeurs group by siren) as e
    inner join calendrier as c on c.periode >= e.premier_mois
    left join valeurs as v on v.siren = e.siren and v.periode = c.periode
),

fenetres as (
    select
        siren,
        periode,
        -- value of month m-k as known at m (k = 1 is the anchor a)
        {%- for k in [1, 2, 3, 4, 7, 13] %}
        case when lag(mois_disponible, {{ k }}) over w <= periode
             then lag(nb_jours, {{ k }}) over w end as paydex_m{{ k }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from series
    window w as (partition by siren order by periode)
)

select
    siren,
    periode,
    cast(coalesce(paydex_m1, paydex_m2, paydex_m3) as double) as fourn_paydex_jours,
    cast(paydex_m4 as double) as fourn_paydex_jours_lag3,
    cast(paydex_m7 as double) as fourn_paydex_jours_lag6,
    cast(paydex_m13 as double) as fourn_paydex_jours_lag12,
    cast(coalesce(paydex_m1, paydex_m2, paydex_m3) - paydex_m13 as double) as fourn_paydex_jours_delta12m,
    cast(coalesce(paydex_m1, paydex_m2, paydex_m3) is not null as integer) as fourn_a_paydex
from fenetres
