{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['liste_id', 'revision', 'siren'],
    on_schema_change='append_new_columns',
    tags=['publication'],
) }}
{#-
  Grain: one row per company (siren) per published list and revision (model.md §9): every
  in-scope company scored for the list's data month, alerted or not. Published rows are immutable:
  a new list or a new revision adds rows, nothing rewrites an earlier one.
-#}

with scores as (
    select * from {{ source('ml', 'scores') }}
    {% if is_incremental() %}
    where (liste_id, revision) not in (select distinct liste_id, revision from {{ this }})
    {% endif %}
),

entreprises as (
    select * from {{ ref('int_entreprise_caracteristiques') }}
),

effectifs as (
    -- latest headcount known at the end of the data month (display only, model.md §9): the
    -- version valid then (company value once delivered, else the sum over the establishments)
    select
        s.liste_id,
        s.siren,
        cast(e.effectif as hugeint) as effectif,
        e.periode as effectif_periode
    from scores as s
    inner join {{ ref('int_effectif_entreprise_mois') }} as e
        on e.siren = s.siren
       and e.periode <= s.periode_donnees
       and e.mois_debut_validite <= s.periode_donnees
       and (e.mois_fin_validite is null or s.periode_donnees < e.mois_fin_validite)
    qualify row_number() over (partition by s.liste_id, s.siren order by e.periode desc) = 1
)

select
    s.liste_id,
    s.liste_libelle,
    cast(s.revision as smallint) as revision,
    s.periode_donnees,
    s.siren,
    e.siret_siege,
    case when e.statut_diffusion = 'P' then '[NON DIFFUSIBLE]' else e.raison_sociale end as raison_sociale,
    e.code_region,
    r.libelle as libelle_region,
    e.code_departement,
    e.code_ape as code_naf,
    n.libelle as libelle_naf,
    e.naf_section,
    e.categorie_juridique,
    ef.effectif,
    ef.effectif_periode,
    s.probabilite,
    cast(round(100 * s.probabilite, 1) as decimal(4, 1)) as risque_pct,
    s.niveau_alerte,
    s.seuil_fort,
    s.seuil_modere,
    s.contrib_base,
    s.contrib_sante_financiere,
    s.contrib_dette_urssaf,
    s.contrib_retards_paiement,
    s.contrib_activite_partielle,
    s.contrib_effectif_contexte,
    s.contrib_detail,
    s.raison_1,
    s.raison_2,
    s.raison_3,
    s.raisons_detail,
    s.version_modele,
    s.version_features,
    s.versions_donnees,
    s.date_generation
from scores as s
-- the company as known at the end of the data month, as in the scored panel row
left join entreprises as e on e.siren = s.siren and {{ version_valide('e', 's.periode_donnees') }}
left join {{ ref('ref_regions') }} as r on r.code_region = e.code_region
left join {{ ref('ref_naf') }} as n on n.code = e.code_ape and n.niveau = 5
left join effectifs as ef on ef.liste_id = s.liste_id and ef.siren = s.siren
