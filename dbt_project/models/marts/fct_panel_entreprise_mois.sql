{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='periode',
    on_schema_change='fail',
    full_refresh=(var('as_of_batch') != '9999') or none,
    post_hook=["{{ panel_limite_observation_courante() }}", "{{ panel_ouverture_courante() }}"],
) }}
{#-
  Grain: one row per company (siren) and month m with an active establishment on the last day of m,
  from var('debut_panel'). Every value is point in time: it uses only records available at the end
  of m (model.md §3). The themes are computed on complete calendar spines in the intermediate
  layer; this model assembles them, applies the structural zeros and "has data" indicators of
  §4.3 (never a silent zero), computes the cross-theme ratios and the target (§2).
  Feature list: seeds/feature_dictionary.csv (the model reads its inputs from it).

  Incremental by month: the features of a month never change once it has passed (point in time),
  only its labels do. A run rebuilds, whole, the months whose labels can have changed (see
  `recalcul`); `dbt build --full-refresh` (or a change of the panel's code) rebuilds every month.
  A build as of an earlier batch (var as_of_batch) is always from scratch: the months after that
  batch would otherwise be left as they were.
-#}
{%- set etp = 151.67 -%}

with extraction_procol as (
    -- E: month the proceedings extract was received; L = E - g - 18 (model.md §2.3)
    select
        {{ batch_month('max(batch_key)') }} as mois_extraction,
        cast({{ batch_month('max(batch_key)') }}
             - to_months({{ var('marge_declaration_mois') }} + 18) as date) as limite_observation
    from {{ source('raw', 'files') }}
    where source = 'procol' and applied and batch_key <= '{{ var("as_of_batch") }}'
),

chargements as (
    -- the last file loaded when the row is computed (lineage; see `recalcul`)
    select max(load_seq) as dernier_chargement from {{ source('raw', 'files') }}
),
{%- if is_incremental() %}

fichiers_nouveaux as (
    -- files loaded since the last build: a file dropped into an old batch folder changes the state
    -- as of that batch, so the months from that batch on are rebuilt
    select {{ batch_month('min(batch_key)') }} as debut
    from {{ source('raw', 'files') }}
    where load_seq > (select max(dernier_chargement) from {{ this }})
      and batch_key <= '{{ var("as_of_batch") }}'
),

ouvertures_modifiees as (
    -- companies whose first opening appeared, moved or disappeared: their labels change from 18
    -- months before the earlier of the two opening months
    select min(cast(least(date_trunc('month', ancienne_date), nouveau_mois) - interval 18 month as date)) as debut
    from ({{ ouvertures_modifiees() }})
),

recalcul as (
    -- First month to rebuild: the month after the stored observation limit L or after the new
    -- one (labels are defined up to L; L moves back only when building as of an earlier batch),
    -- the first month not yet in the panel, the first month touched by a changed opening, or the
    -- batch of the oldest file loaded since the last build (a new month's files are its own batch).
    -- Every month when no extract had been received before (stored L null).
    select least(
        coalesce(
            (select cast(max(limite_observation) + interval 1 month as date) from {{ this }}),
            cast('{{ var("debut_panel") }}' as date)
        ),
        (select cast(limite_observation + interval 1 month as date) from extraction_procol),
        (select cast(max(periode) + interval 1 month as date) from {{ this }}),
        (select debut from ouvertures_modifiees),
        (select debut from fichiers_nouveaux)
    ) as debut
),
{%- endif %}

perimetre as (
    select *
    from {{ ref('int_perimetre_effectif_mois') }}
    where periode >= cast('{{ var("debut_panel") }}' as date)
    {%- if is_incremental() %}
      and periode >= (select debut from recalcul)
    {%- endif %}
),

entreprises as (
    select * from {{ ref('int_entreprise_caracteristiques') }}
)

select
    p.siren,
    p.periode,
    -- perimeter (model.md §1), point in time
    p.dans_perimetre,
    p.motif_hors_perimetre,
    -- target (model.md §2)
    o.date_premiere_ouverture,
    coalesce(o.ouverture_imputee, false) as ouverture_imputee,
    case
        when o.mois_premiere_ouverture <= p.periode then 'post_ouverture'
        -- no proceedings extract received yet: nothing is observable
        when x.limite_observation is null or p.periode > x.limite_observation then 'non_observable'
        when o.mois_premiere_ouverture <= cast(p.periode + interval 18 month as date) then 'positif'
        else 'negatif'
    end as statut_cible,
    case
        when o.mois_premiere_ouverture <= p.periode
          or x.limite_observation is null or p.periode > x.limite_observation then null
        when o.mois_premiere_ouverture <= cast(p.periode + interval 18 month as date) then 1
        else 0
    end as cible,
    x.limite_observation,
    c.dernier_chargement,
    b.source_bilan,

    -- theme sante_financiere (model.md §4.4): statements N and N-1 usable at m
    cast(b.fin_dette_nette_sur_caf as double) as fin_dette_nette_sur_caf,
    cast(b.fin_dette_nette_sur_caf_n1 as double) as fin_dette_nette_sur_caf_n1,
    cast(b.fin_caf_negative as integer) as fin_caf_negative,
    cast(b.fin_capitaux_propres_negatifs as integer) as fin_capitaux_propres_negatifs,
    cast(b.fin_dettes_fin_sur_capitaux_propres as double) as fin_dettes_fin_sur_capitaux_propres,
    cast(b.fin_autonomie_financiere as double) as fin_autonomie_financiere,
    cast(b.fin_autonomie_financiere_n1 as double) as fin_autonomie_financiere_n1,
    cast(b.fin_ebe_sur_ca as double) as fin_ebe_sur_ca,
    cast(b.fin_ebe_sur_ca_n1 as double) as fin_ebe_sur_ca_n1,
    cast(b.fin_resultat_net_sur_ca as double) as fin_resultat_net_sur_ca,
    cast(b.fin_va_par_salarie as double) as fin_va_par_salarie,
    cast(b.fin_charges_personnel_sur_va as double) as fin_charges_personnel_sur_va,
    cast(b.fin_frais_financiers_sur_ebe as double) as fin_frais_financiers_sur_ebe,
    cast(b.fin_liquidite_generale as double) as fin_liquidite_generale,
    cast(b.fin_liquidite_generale_n1 as double) as fin_liquidite_generale_n1,
    cast(b.fin_liquidite_reduite as double) as fin_liquidite_reduite,
    cast(b.fin_stocks_jours_ca as double) as fin_stocks_jours_ca,
    cast(b.fin_delai_clients_jours as double) as fin_delai_clients_jours,
    cast(b.fin_delai_fournisseurs_jours as double) as fin_delai_fournisseurs_jours,
    cast(b.fin_delai_fournisseurs_sur_clients as double) as fin_delai_fournisseurs_sur_clients,
    cast(b.fin_dettes_fiscales_sociales_sur_va as double) as fin_dettes_fiscales_sociales_sur_va,
    cast(b.fin_ca_var_1an as double) as fin_ca_var_1an,
    cast(b.fin_mois_depuis_cloture as integer) as fin_mois_depuis_cloture,
    cast(coalesce(b.fin_a_bilan, 0) as integer) as fin_a_bilan,

    -- theme dette_urssaf (model.md §4.5)
    cast(u.urssaf_dette_po as double) as urssaf_dette_po,
    cast(u.urssaf_dette_po_lag1 as double) as urssaf_dette_po_lag1,
    cast(u.urssaf_dette_po_lag2 as double) as urssaf_dette_po_lag2,
    cast(u.urssaf_dette_po_lag3 as double) as urssaf_dette_po_lag3,
    cast(u.urssaf_dette_po_lag6 as double) as urssaf_dette_po_lag6,
    cast(u.urssaf_dette_po_lag12 as double) as urssaf_dette_po_lag12,
    cast(u.urssaf_dette_pp as double) as urssaf_dette_pp,
    cast(u.urssaf_dette_pp_lag1 as double) as urssaf_dette_pp_lag1,
    cast(u.urssaf_dette_pp_lag2 as double) as urssaf_dette_pp_lag2,
    cast(u.urssaf_dette_pp_lag3 as double) as urssaf_dette_pp_lag3,
    cast(u.urssaf_dette_pp_lag6 as double) as urssaf_dette_pp_lag6,
    cast(u.urssaf_dette_pp_lag12 as double) as urssaf_dette_pp_lag12,
    cast(u.urssaf_cotisation_mean3m as double) as urssaf_cotisation_mean3m,
    cast(u.urssaf_cotisation_mean12m as double) as urssaf_cotisation_mean12m,
    cast(u.urssaf_cotisation_var12m as double) as urssaf_cotisation_var12m,
    cast(coalesce(u.urssaf_a_donnees, 0) as integer) as urssaf_a_donnees,
    cast(u.urssaf_dette_sur_cotisation as double) as urssaf_dette_sur_cotisation,
    cast(u.urssaf_dette_sur_cotisation_lag3 as double) as urssaf_dette_sur_cotisation_lag3,
    cast(u.urssaf_dette_sur_cotisation_lag12 as double) as urssaf_dette_sur_cotisation_lag12,
    cast(u.urssaf_dette_sur_cotisation_delta3m as double) as urssaf_dette_sur_cotisation_delta3m,
    cast(u.urssaf_dette_sur_cotisation_delta12m as double) as urssaf_dette_sur_cotisation_delta12m,
    cast({{ safe_div('u.dette', 'p.eff_effectif') }} as double) as urssaf_dette_par_salarie,
    cast({{ safe_div('u.dette', 'p.eff_effectif') }} - {{ safe_div('u.dette_m3', 'p.eff_effectif_m3') }} as double) as urssaf_dette_par_salarie_delta3m,
    cast(u.urssaf_mois_consecutifs_dette as integer) as urssaf_mois_consecutifs_dette,
    cast(u.urssaf_delai_en_cours as integer) as urssaf_delai_en_cours,
    cast(u.urssaf_delai_montant_sur_cotisation as double) as urssaf_delai_montant_sur_cotisation,
    cast(u.urssaf_ccsf_24m as integer) as urssaf_ccsf_24m,

    -- theme retards_paiement (model.md §4.6): never 0-filled
    cast(r.fourn_paydex_jours as double) as fourn_paydex_jours,
    cast(r.fourn_paydex_jours_lag3 as double) as fourn_paydex_jours_lag3,
    cast(r.fourn_paydex_jours_lag6 as double) as fourn_paydex_jours_lag6,
    cast(r.fourn_paydex_jours_lag12 as double) as fourn_paydex_jours_lag12,
    cast(r.fourn_paydex_jours_delta12m as double) as fourn_paydex_jours_delta12m,
    cast(coalesce(r.fourn_a_paydex, 0) as integer) as fourn_a_paydex,

    -- theme activite_partielle (model.md §4.7)
    -- consumption windows and authorisations under source coverage: 0 when covered and empty
    {%- set conso_mean3m = 'case when cap.nb_mois_conso_connus_3m >= 3 then coalesce(ap.heures_conso_3m, 0) / cap.nb_mois_conso_connus_3m / ' ~ etp ~ ' end' %}
    cast(case when cap.conso_connue_m1 then coalesce(ap.heures_conso_m1, 0) / {{ etp }} end as double) as ap_etp_conso,
    cast({{ conso_mean3m }} as double) as ap_etp_conso_mean3m,
    cast(case when cap.nb_mois_conso_connus_12m >= 9
              then coalesce(ap.heures_conso_12m, 0) / cap.nb_mois_conso_connus_12m / {{ etp }} end as double)
        as ap_etp_conso_mean12m,
    cast(case when cap.nb_mois_conso_connus_12m >= 9 then coalesce(ap.nb_mois_conso_12m, 0) end as integer)
        as ap_mois_conso_12m,
    cast({{ safe_div(conso_mean3m, 'p.eff_effectif') }} as double) as ap_part_effectif_conso,
    cast(case when cap.demandes_couvertes then coalesce(ap.heures_autorisees_m, 0) / {{ etp }} end as double)
        as ap_etp_autorise_m,
    cast(case when cap.demandes_couvertes then cast(coalesce(ap.nb_demandes_3m, 0) > 0 as integer) end as integer)
        as ap_demande_3m,

    -- theme effectif_contexte (model.md §4.8)
    cast(p.eff_effectif as double) as eff_effectif,
    cast(p.eff_effectif_lag6 as double) as eff_effectif_lag6,
    cast(p.eff_effectif_lag12 as double) as eff_effectif_lag12,
    cast(p.eff_var3m as double) as eff_var3m,
    cast(p.eff_var12m as double) as eff_var12m,
    cast(p.eff_a_effectif as integer) as eff_a_effectif,
    cast(p.eff_nb_etablissements as integer) as eff_nb_etablissements,
    cast(coalesce(e.naf_section, 'INCONNU') as varchar) as ctx_naf_section,
    cast(coalesce(e.naf_division, 'INCONNU') as varchar) as ctx_naf_division,
    cast(coalesce(e.code_region, 'INCONNU') as varchar) as ctx_region,
    cast(coalesce(left(e.categorie_juridique, 2), 'INCONNU') as varchar) as ctx_forme_juridique,
    cast(case when e.date_creation <= last_day(p.periode)
         then datediff('day', e.date_creation, last_day(p.periode)) / 365.25 end as double) as ctx_age_annees,
    cast(t.taux_ouverture_12m as double) as ctx_taux_ouverture_division_12m
from perimetre as p
-- the company's Sirene attributes as known at the end of m (model.md §3.1)
inner join entreprises as e on e.siren = p.siren and {{ version_valide('e', 'p.periode') }}
cross join extraction_procol as x
cross join chargements as c
left join {{ ref('int_ouverture_procol') }} as o on o.siren = p.siren
left join {{ ref('int_dette_sociale_siren_mois') }} as u on u.siren = p.siren and u.periode = p.periode
left join {{ ref('int_retards_paiement_siren_mois') }} as r on r.siren = p.siren and r.periode = p.periode
-- partial activity: the source's coverage of month m, then the company's hours (none: 0 if covered)
left join {{ ref('int_couverture_activite_partielle_mois') }} as cap on cap.periode = p.periode
left join {{ ref('int_activite_partielle_siren_mois') }} as ap on ap.siren = p.siren and ap.periode = p.periode
left join {{ ref('int_bilans_siren_mois') }} as b on b.siren = p.siren and b.periode = p.periode
left join {{ ref('int_taux_ouverture_division_mois') }} as t
    on t.naf_division = e.naf_division and t.periode = p.periode
