-- Grain: one row per company (siren): the attributes the perimeter and the context features need
-- (legal unit, NAF section, head office département and region), from the Sirene state.
with unites as (
    select * from {{ ref('stg_sirene_ul') }}
),

sieges as (
    select siren, siret, code_departement, code_region, code_commune
    from {{ ref('stg_sirene') }}
    where est_siege
    qualify row_number() over (partition by siren order by est_actif desc, siret) = 1
),

naf as (
    select code, section, code_parent from {{ ref('ref_naf') }} where niveau = 5
)

select
    u.siren,
    u.raison_sociale,
    u.categorie_juridique,
    u.date_creation,
    u.code_ape,
    n.section as naf_section,
    left(u.code_ape, 2) as naf_division,
    coalesce(s.siret, u.siret_siege) as siret_siege,
    s.code_departement,
    s.code_region,
    d.code_departement is not null as siege_en_france,
    e.code is not null as categorie_juridique_exclue,
    u.statut_diffusion
from unites as u
left join sieges as s on s.siren = u.siren
left join naf as n on n.code = u.code_ape
left join {{ ref('ref_departements') }} as d
    on d.code_departement = s.code_departement and d.dans_produit
left join {{ ref('ref_categories_juridiques_exclues') }} as e on e.code = u.categorie_juridique
