{#-
  Grain: one row per company (siren) and row month m from the month its first statement becomes
  usable (and from var('debut_panel')): the financial-health features of model.md §4.4 from statement N (the latest usable at m)
  and N-1 (the usable statement before N, by fiscal year, not by calendar month).
  Point in time (§3.1): a statement is usable from max(date_cloture + D_fin, date_reception);
  never inside its own fiscal year. Vintages: every statement ever received stays usable, and row m
  takes the version of each statement valid at m (the latest export received by m, staging
  mois_debut_validite / mois_fin_validite), so a statement missing from a later export, or revised
  after m, never changes row m.
  Sources: Diane (stg_comptes_annuels); the public INPI/BCE ratios fill in only for a company with
  no usable Diane statement at m (source_bilan = 'inpi'). Ratios are NULL for a denominator <= 0;
  flow-based ratios are NULL for a fiscal year outside [6, 24] months; a statement more than 30
  months old gives fin_a_bilan = 0 and NULL ratios.
-#}
{%- set d_fin = var('delai_bilan_mois') | int -%}

with calendrier as (
    -- rows only from var('debut_panel'): no feature reads an earlier row month (N and N-1 are
    -- chosen among statements, not through lags of the monthly grid)
    select periode from {{ ref('int_mois_calendrier') }}
    where periode >= cast('{{ var("debut_panel") }}' as date)
),

diane as (
    select
        'diane' as source_bilan,
        siren,
        date_cloture,
        duree_mois,
        date_reception,
        mois_fin_validite,
        0 as priorite,
        ca, va, ebe, resultat_net, charges_personnel, frais_financiers, dettes_fiscales_sociales,
        effectif_moyen,
        liquidite_generale,
        liquidite_reduite,
        autonomie_financiere_pct / 100 as autonomie_financiere,
        endettement_pct / 100 as dettes_fin_sur_capitaux_propres,
        -- Diane's capacité de remboursement = financial debt / CAF, meaningful only for a positive CAF
        case when capacite_autofinancement_pct > 0 then capacite_remboursement end as dette_sur_caf,
        credit_clients_jours as delai_clients_jours,
        credit_fournisseurs_jours as delai_fournisseurs_jours,
        rotation_stocks_jours as stocks_jours_ca,
        -- signs read from ratios over a positive denominator (CA, total assets)
        case when capacite_autofinancement_pct is not null then cast(capacite_autofinancement_pct <= 0 as integer) end
            as caf_negative,
        case when autonomie_financiere_pct is not null then cast(autonomie_financiere_pct < 0 as integer) end
            as capitaux_propres_negatifs
    from {{ ref('stg_comptes_annuels') }}
),

inpi_propres as (
    -- own accounts only (consolidated K excluded); complete C is preferred to simplified S among
    -- the statements usable at m (candidats)
    select *
    from {{ ref('stg_ratios_inpi_bce') }}
    where type_bilan in ('C', 'S')
),

inpi_clotures as (
    select siren, date_cloture, min(mois_debut_validite) as premiere_reception
    from inpi_propres
    group by siren, date_cloture
),

inpi_cloture_precedente as (
    -- the previous closing among the statements received by the version's own reception
    -- (point in time: the fiscal-year length of a version never depends on a later export)
    select v.siren, v.date_cloture, v.mois_debut_validite, max(p.date_cloture) as cloture_precedente
    from (select distinct siren, date_cloture, mois_debut_validite from inpi_propres) as v
    inner join inpi_clotures as p
        on p.siren = v.siren
       and p.date_cloture < v.date_cloture
       and p.premiere_reception <= v.mois_debut_validite
    group by v.siren, v.date_cloture, v.mois_debut_validite
),

inpi as (
    select
        'inpi' as source_bilan,
        i.siren,
        i.date_cloture,
        -- INPI publishes no fiscal-year length: the gap since the previous closing (12 when unknown)
        coalesce({{ months_between('c.cloture_precedente', 'i.date_cloture') }}, 12) as duree_mois,
        i.date_reception,
        i.mois_fin_validite,
        -- complete accounts first
        case when i.type_bilan = 'C' then 0 else 1 end as priorite,
        ca,
        cast(null as decimal(18, 2)) as va,
        ebe,
        resultat_net,
        cast(null as decimal(18, 2)) as charges_personnel,
        cast(null as decimal(18, 2)) as frais_financiers,
        cast(null as decimal(18, 2)) as dettes_fiscales_sociales,
        cast(null as integer) as effectif_moyen,
        ratio_liquidite_pct / 100 as liquidite_generale,
        cast(null as double) as liquidite_reduite,
        autonomie_financiere_pct / 100 as autonomie_financiere,
        taux_endettement_pct / 100 as dettes_fin_sur_capitaux_propres,
        case when caf_sur_ca_pct > 0 then capacite_remboursement_pct / 100 end as dette_sur_caf,
        credit_clients_jours as delai_clients_jours,
        credit_fournisseurs_jours as delai_fournisseurs_jours,
        rotation_stocks_jours as stocks_jours_ca,
        case when caf_sur_ca_pct is not null then cast(caf_sur_ca_pct <= 0 as integer) end as caf_negative,
        case when autonomie_financiere_pct is not null then cast(autonomie_financiere_pct < 0 as integer) end
            as capitaux_propres_negatifs
    from inpi_propres as i
    left join inpi_cloture_precedente as c
        on c.siren = i.siren and c.date_cloture = i.date_cloture and c.mois_debut_validite = i.mois_debut_validite
),

releves as (
    select * from diane
    union all by name
    select * from inpi
),

ratios as (
    -- statement-level values; flows annualised by 12 / duree_mois
    select
        source_bilan,
        siren,
        date_cloture,
        priorite,
        greatest(
            cast(date_trunc('month', date_cloture + interval {{ d_fin }} month) as date),
            coalesce(date_reception, date '1900-01-01')
        ) as mois_disponible,
        mois_fin_validite,
        duree_mois between 6 and 24 as flux_valides,
        case when duree_mois between 6 and 24 then ca * 12.0 / duree_mois end as ca_annualise,
        case when duree_mois between 6 and 24 then {{ safe_div('ebe', 'ca') }} end as ebe_sur_ca,
        case when duree_mois between 6 and 24 then {{ safe_div('resultat_net', 'ca') }} end as resultat_net_sur_ca,
        case when duree_mois between 6 and 24 then {{ safe_div('va * 12.0 / duree_mois', 'effectif_moyen') }} end
            as va_par_salarie,
        case when duree_mois between 6 and 24 then {{ safe_div('charges_personnel', 'va') }} end
            as charges_personnel_sur_va,
        case when duree_mois between 6 and 24 then {{ safe_div('frais_financiers', 'ebe') }} end
            as frais_financiers_sur_ebe,
        case when duree_mois between 6 and 24 then {{ safe_div('dettes_fiscales_sociales', 'va * 12.0 / duree_mois') }} end
            as dettes_fiscales_sociales_sur_va,
        liquidite_generale,
        liquidite_reduite,
        autonomie_financiere,
        dettes_fin_sur_capitaux_propres,
        dette_sur_caf,
        delai_clients_jours,
        delai_fournisseurs_jours,
        {{ safe_div('delai_fournisseurs_jours', 'delai_clients_jours') }} as delai_fournisseurs_sur_clients,
        stocks_jours_ca,
        caf_negative,
        capitaux_propres_negatifs
    from releves
),

utilisables as (
    -- versions usable during at least one month (a version replaced before its statement's
    -- availability date is never used)
    select * from ratios
    where mois_fin_validite is null or mois_disponible < mois_fin_validite
),

evenements as (
    -- the months at which a company's set of usable statements changes
    -- (a version ends when the next version of its statement starts: no event of its own)
    select distinct siren, mois_disponible as mois from utilisables
),

candidats as (
    select
        e.siren,
        e.mois,
        r.* exclude (siren),
        bool_or(r.source_bilan = 'diane') over (partition by e.siren, e.mois) as a_diane
    from evenements as e
    inner join utilisables as r
        on r.siren = e.siren
       and r.mois_disponible <= e.mois
       and (r.mois_fin_validite is null or e.mois < r.mois_fin_validite)
),

retenus as (
    -- N (rang 1) and N-1 (rang 2) of the source in use: Diane whenever it has a usable statement
    select
        *,
        row_number() over (partition by siren, mois order by date_cloture desc) as rang
    from (
        select * exclude (a_diane)
        from candidats
        where source_bilan = 'diane' or not a_diane
        -- one statement per closing date (INPI: complete accounts before simplified ones)
        qualify row_number() over (partition by siren, mois, date_cloture order by priorite) = 1
    )
    qualify rang <= 2
),

etats as (
    select
        n.siren,
        n.mois as debut,
        lead(n.mois) over (partition by n.siren order by n.mois) as fin,
        n.source_bilan,
        n.date_cloture,
        n.flux_valides,
        n.ca_annualise,
        n.ebe_sur_ca,
        n.resultat_net_sur_ca,
        n.va_par_salarie,
        n.charges_personnel_sur_va,
        n.frais_financiers_sur_ebe,
        n.dettes_fiscales_sociales_sur_va,
        n.liquidite_generale,
        n.liquidite_reduite,
        n.autonomie_financiere,
        n.dettes_fin_sur_capitaux_propres,
        n.dette_sur_caf,
        n.delai_clients_jours,
        n.delai_fournisseurs_jours,
        n.delai_fournisseurs_sur_clients,
        n.stocks_jours_ca,
        n.caf_negative,
        n.capitaux_propres_negatifs,
        n1.date_cloture as date_cloture_n1,
        n1.ca_annualise as ca_annualise_n1,
        n1.ebe_sur_ca as ebe_sur_ca_n1,
        n1.autonomie_financiere as autonomie_financiere_n1,
        n1.liquidite_generale as liquidite_generale_n1,
        n1.dette_sur_caf as dette_sur_caf_n1
    from retenus as n
    left join retenus as n1 on n1.siren = n.siren and n1.mois = n.mois and n1.rang = 2
    where n.rang = 1
),

mensuel as (
    select
        e.*,
        c.periode,
        {{ months_between("cast(date_trunc('month', e.date_cloture) as date)", 'c.periode') }} as mois_depuis_cloture
    from etats as e
    inner join calendrier as c on c.periode >= e.debut and (e.fin is null or c.periode < e.fin)
)

select
    siren,
    periode,
    source_bilan,
    date_cloture as date_cloture_bilan,
    mois_depuis_cloture as fin_mois_depuis_cloture,
    cast(mois_depuis_cloture <= 30 as integer) as fin_a_bilan,
    {%- set valeurs = {
        'fin_dette_nette_sur_caf': 'dette_sur_caf',
        'fin_caf_negative': 'caf_negative',
        'fin_capitaux_propres_negatifs': 'capitaux_propres_negatifs',
        'fin_dettes_fin_sur_capitaux_propres': 'dettes_fin_sur_capitaux_propres',
        'fin_autonomie_financiere': 'autonomie_financiere',
        'fin_ebe_sur_ca': 'ebe_sur_ca',
        'fin_resultat_net_sur_ca': 'resultat_net_sur_ca',
        'fin_va_par_salarie': 'va_par_salarie',
        'fin_charges_personnel_sur_va': 'charges_personnel_sur_va',
        'fin_frais_financiers_sur_ebe': 'frais_financiers_sur_ebe',
        'fin_liquidite_generale': 'liquidite_generale',
        'fin_liquidite_reduite': 'liquidite_reduite',
        'fin_stocks_jours_ca': 'stocks_jours_ca',
        'fin_delai_clients_jours': 'delai_clients_jours',
        'fin_delai_fournisseurs_jours': 'delai_fournisseurs_jours',
        'fin_delai_fournisseurs_sur_clients': 'delai_fournisseurs_sur_clients',
        'fin_dettes_fiscales_sociales_sur_va': 'dettes_fiscales_sociales_sur_va',
        'fin_ebe_sur_ca_n1': 'ebe_sur_ca_n1',
        'fin_autonomie_financiere_n1': 'autonomie_financiere_n1',
        'fin_liquidite_generale_n1': 'liquidite_generale_n1',
        'fin_dette_nette_sur_caf_n1': 'dette_sur_caf_n1',
    } %}
    -- a statement more than 30 months old carries no ratio (model.md §4.4)
    {%- for feature, colonne in valeurs.items() %}
    case when mois_depuis_cloture <= 30 then {{ colonne }} end as {{ feature }},
    {%- endfor %}
    -- turnover change over one fiscal year: N-1 must close at most 24 months before N
    case when mois_depuis_cloture <= 30
          and {{ months_between('date_cloture_n1', 'date_cloture') }} <= 24
         then {{ safe_div('ca_annualise', 'ca_annualise_n1') }} - 1
    end as fin_ca_var_1an
from mensuel
