-- Grain: one row per company (siren) in the INSEE register as of var('as_of_batch'): identity,
-- activity, head office, size and the model perimeter at the latest month of the calendar.
-- Names of partially diffusible units are masked, as in the published lists. A company whose
-- legal-unit line was rejected (or is missing from the stock) but whose establishments were
-- delivered keeps a row, located by its head office, so that every establishment has its company.
with entreprises as (
    -- the latest known version of each company
    select * from {{ ref('int_entreprise_caracteristiques') }}
    where mois_fin_validite is null
),

unites as (
    select * from {{ ref('stg_sirene_ul') }}
),

sieges as (
    select siret, siren, est_actif, code_commune, libelle_commune, code_departement, code_region
    from {{ ref('stg_sirene') }}
    where est_siege
),

societes as (
    -- every company of the register: from its legal unit, else from its establishments
    select siren, true as unite_legale_connue from entreprises
    union all
    select distinct s.siren, false
    from {{ ref('stg_sirene') }} as s
    anti join entreprises as e on e.siren = s.siren
),

sieges_sans_unite as (
    -- the head office of a company known only by its establishments (an active one first)
    select s.*
    from sieges as s
    semi join societes as c on c.siren = s.siren and not c.unite_legale_connue
    qualify row_number() over (partition by s.siren order by s.est_actif desc, s.siret) = 1
),

etablissements as (
    select siren, count(*) as nb_etablissements, count(*) filter (where est_actif) as nb_etablissements_actifs
    from {{ ref('stg_sirene') }}
    group by siren
),

effectifs as (
    -- latest delivered headcount (current version of the latest month): the company value, else
    -- the sum over the establishments
    select
        siren,
        periode as effectif_periode,
        effectif
    from {{ ref('int_effectif_entreprise_mois') }}
    where mois_fin_validite is null
    qualify row_number() over (partition by siren order by periode desc) = 1
),

dernier_mois as (
    select max(periode) as periode from {{ ref('int_mois_calendrier') }}
),

perimetre as (
    select p.siren, p.dans_perimetre, p.motif_hors_perimetre
    from {{ ref('int_perimetre_effectif_mois') }} as p
    inner join dernier_mois as d on d.periode = p.periode
)

select
    c.siren,
    case when e.statut_diffusion = 'P' then '[NON DIFFUSIBLE]' else e.raison_sociale end as raison_sociale,
    u.sigle,
    e.statut_diffusion,
    e.categorie_juridique,
    cj.libelle as libelle_categorie_juridique,
    e.code_ape as code_naf,
    n.libelle as libelle_naf,
    e.naf_section,
    s.libelle as libelle_naf_section,
    e.naf_division,
    e.date_creation,
    u.etat_administratif,
    u.est_actif,
    case when u.etat_administratif = 'C' then u.date_debut_periode end as date_cessation,
    coalesce(e.siret_siege, su.siret) as siret_siege,
    coalesce(si.code_commune, su.code_commune) as code_commune_siege,
    coalesce(si.libelle_commune, su.libelle_commune) as libelle_commune_siege,
    coalesce(e.code_departement, su.code_departement) as code_departement,
    coalesce(e.code_region, su.code_region) as code_region,
    r.libelle as libelle_region,
    u.tranche_effectifs,
    u.categorie_entreprise,
    cast(coalesce(et.nb_etablissements, 0) as integer) as nb_etablissements,
    cast(coalesce(et.nb_etablissements_actifs, 0) as integer) as nb_etablissements_actifs,
    cast(ef.effectif as integer) as effectif,
    ef.effectif_periode,
    coalesce(p.dans_perimetre, false) as dans_perimetre_modele,
    case
        when not c.unite_legale_connue then 'unite_legale_inconnue'
        when p.siren is null then 'aucun_etablissement_actif'
        else p.motif_hors_perimetre
    end as motif_hors_perimetre,
    c.unite_legale_connue,
    u.lot_donnees
from societes as c
left join entreprises as e on e.siren = c.siren
left join unites as u on u.siren = c.siren
left join sieges as si on si.siret = e.siret_siege
left join sieges_sans_unite as su on su.siren = c.siren
left join etablissements as et on et.siren = c.siren
left join effectifs as ef on ef.siren = c.siren
left join perimetre as p on p.siren = c.siren
left join {{ ref('ref_categories_juridiques') }} as cj on cj.code = e.categorie_juridique
left join {{ ref('ref_naf') }} as n on n.code = e.code_ape and n.niveau = 5
left join {{ ref('ref_naf') }} as s on s.code = e.naf_section and s.niveau = 1
left join {{ ref('ref_regions') }} as r on r.code_region = coalesce(e.code_region, su.code_region)
