-- Grain: one row per establishment (siret) in the INSEE register as of var('as_of_batch'):
-- address, location, state and dates, activity and latest declared headcount.
with etablissements as (
    select * from {{ ref('stg_sirene') }}
),

effectifs as (
    -- latest delivered headcount of the establishment (current version of its latest month)
    select siret, periode as effectif_periode, effectif
    from {{ ref('stg_effectif') }}
    where mois_fin_validite is null
    qualify row_number() over (partition by siret order by periode desc) = 1
)

select
    e.siret,
    e.siren,
    e.nic,
    e.est_siege,
    e.enseigne,
    e.denomination_usuelle,
    e.adresse_voie,
    e.complement_adresse,
    e.code_postal,
    e.code_commune,
    e.libelle_commune,
    e.code_departement,
    e.code_region,
    r.libelle as libelle_region,
    e.longitude,
    e.latitude,
    e.etat_administratif,
    e.est_actif,
    e.date_creation as date_ouverture,
    case when e.etat_administratif = 'F' then e.date_debut_periode end as date_fermeture,
    e.code_ape as code_naf,
    n.libelle as libelle_naf,
    e.tranche_effectifs,
    e.statut_diffusion,
    ef.effectif,
    ef.effectif_periode,
    e.lot_donnees
from etablissements as e
left join effectifs as ef on ef.siret = e.siret
left join {{ ref('ref_regions') }} as r on r.code_region = e.code_region
left join {{ ref('ref_naf') }} as n on n.code = e.code_ape and n.niveau = 5
