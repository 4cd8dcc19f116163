{#-
  Grain: one row per company (siren) and validity interval [mois_debut_validite, mois_fin_validite)
  (end exclusive, NULL while current): the attributes the perimeter and the context features need
  (legal unit, NAF section, head office département and region), as known at the end of each
  month m (model.md §1, §3.1: Sirene "state valid on the last day of m"). Row m of the panel joins
  the version valid at m (macro version_valide), so a company that moves, changes activity or
  legal form keeps its past values in its past rows, and a company only has versions (hence rows)
  from the first stock that held it (P1: the SIREN is in Sirene at τ(m)).
  Built from the versions of each unit and of each head-office establishment (each line's last
  delivered version, stg_*_versions), merged where nothing used here changed: a company has a new
  version only when one of these attributes changes, which keeps the interval joins small.
-#}
{%- set attributs_unite = ['raison_sociale', 'categorie_juridique', 'date_creation', 'code_ape', 'siret_siege', 'statut_diffusion'] -%}
{%- set attributs_siege = ['siren', 'est_actif', 'code_departement', 'code_region', 'code_commune'] -%}

with unites_versions as (
    select siren, {{ attributs_unite | join(', ') }}, mois_debut_validite, mois_fin_validite
    from {{ ref('stg_sirene_ul_versions') }}
),

unites as (
    {{ fusion_versions('unites_versions', ['siren'], attributs_unite) }}
),

sieges_versions as (
    -- the versions in which an establishment is a head office (validity of the establishment line)
    select siret, {{ attributs_siege | join(', ') }}, mois_debut_validite, mois_fin_validite
    from {{ ref('stg_sirene_versions') }}
    where est_siege
),

sieges as (
    {{ fusion_versions('sieges_versions', ['siret'], attributs_siege) }}
),

bornes as (
    -- months where the unit or one of its head offices may change
    select siren, mois_debut_validite as mois from unites
    union
    select siren, mois_debut_validite from sieges
    union
    select siren, mois_fin_validite from sieges where mois_fin_validite is not null
),

etats as (
    -- the unit and its head office as known from each change month (no unit yet: no state)
    select
        b.siren,
        b.mois,
        {% for a in attributs_unite %}u.{{ a }}, {% endfor %}
        s.siret as siret_siege_connu,
        s.code_departement,
        s.code_region,
        s.code_commune
    from bornes as b
    inner join unites as u on u.siren = b.siren and {{ version_valide('u', 'b.mois') }}
    left join sieges as s on s.siren = b.siren and {{ version_valide('s', 'b.mois') }}
    -- the head office the unit names, else an active one, else the first
    qualify row_number() over (
        partition by b.siren, b.mois
        order by (s.siret = u.siret_siege) desc nulls last, s.est_actif desc nulls last, s.siret
    ) = 1
),

etats_valides as (
    select
        siren,
        raison_sociale,
        categorie_juridique,
        date_creation,
        code_ape,
        coalesce(siret_siege_connu, siret_siege) as siret_siege,
        statut_diffusion,
        code_departement,
        code_region,
        code_commune,
        mois as mois_debut_validite,
        lead(mois) over (partition by siren order by mois) as mois_fin_validite
    from etats
),

versions as (
    {{ fusion_versions('etats_valides', ['siren'], ['raison_sociale', 'categorie_juridique', 'date_creation', 'code_ape', 'siret_siege', 'statut_diffusion', 'code_departement', 'code_region', 'code_commune']) }}
),

naf as (
    select code, section from {{ ref('ref_naf') }} where niveau = 5
)

select
    v.siren,
    v.mois_debut_validite,
    v.mois_fin_validite,
    v.raison_sociale,
    v.categorie_juridique,
    v.date_creation,
    v.code_ape,
    n.section as naf_section,
    left(v.code_ape, 2) as naf_division,
    v.siret_siege,
    v.code_departement,
    v.code_region,
    v.code_commune,
    d.code_departement is not null as siege_en_france,
    e.code is not null as categorie_juridique_exclue,
    v.statut_diffusion
from versions as v
left join naf as n on n.code = v.code_ape
left join {{ ref('ref_departements') }} as d
    on d.code_departement = v.code_departement and d.dans_produit
left join {{ ref('ref_categories_juridiques_exclues') }} as e on e.code = v.categorie_juridique
