-- Grain: one row per annual statement (siren, date_cloture) of the unité légale's own accounts and
-- delivered version of it, as of var('as_of_batch'). v1 source: the Diane export (raw-sources
-- §7.3, already in euros), mapped to the canonical accounting fields of model.md §4.4 ("v1 sources
-- of accounts"). Canonical fields Diane does not publish stay NULL until a DGFiP feed is
-- connected; where Diane publishes a ratio instead of its amounts, the ratio is kept as published
-- (percent, days or multiple).
-- Point in time (model.md §3.1, §4.4): among filings with the same closing date, row m uses the
-- latest one received by the end of m (the most complete within one delivery): each version holds
-- over the months [mois_debut_validite, mois_fin_validite) (end exclusive, NULL for the current
-- version). `date_reception` is the month of the delivery of the version; unknown (NULL) for the
-- first delivery, which predates the delivery log (the D_fin delay alone then applies).

with lignes as (
    {{ flux_versions('diane') }}
),

premier_lot as (
    select min(_batch_key) as lot from lignes
),

par_lot as (
    -- one line per (siren, exercice) and delivery: the last one (flux rule)
    select
        *,
        -- completeness, to choose between two filings with the same closing date
        (cast(chiffre_affaires is not null as integer) + cast(valeur_ajoutee is not null as integer)
         + cast(excedent_brut_exploitation is not null as integer)
         + cast(benefice_ou_perte is not null as integer)
         + cast(liquidite_generale is not null as integer)
         + cast(autonomie_financiere is not null as integer)) as nb_champs_renseignes
    from lignes
    where date_cloture is not null
    qualify row_number() over (
        partition by siren, exercice, _batch_key order by load_seq desc, _line_number desc
    ) = 1
),

depots as (
    -- one filing per closing date and delivery
    select *
    from par_lot
    qualify row_number() over (
        partition by siren, date_cloture, _batch_key order by nb_champs_renseignes desc, exercice desc
    ) = 1
),

releves as (
    -- each filing valid until the next delivery of its closing date
    select
        r.*,
        {{ mois_disponible('r._batch_key', 'p.lot') }} as mois_debut_validite,
        lead({{ batch_month('r._batch_key') }}) over (partition by r.siren, r.date_cloture order by r._batch_key)
            as mois_fin_validite
    from depots as r
    cross join premier_lot as p
)

select
    siren,
    exercice,
    date_cloture,
    nombre_mois as duree_mois,
    cast(date_cloture - to_months(nombre_mois) + interval 1 day as date) as date_debut_exercice,
    nullif(mois_debut_validite, date '1900-01-01') as date_reception,
    'diane' as source_comptes,
    -- canonical amounts (euros)
    chiffre_affaires as ca,
    valeur_ajoutee as va,
    excedent_brut_exploitation as ebe,
    resultat_exploitation,
    benefice_ou_perte as resultat_net,
    cast(null as decimal(18, 2)) as caf,
    charges_personnel,
    charges_financieres as frais_financiers,
    -- purchases of goods and of raw materials plus other external charges (model.md §4.4)
    case when coalesce(achats_marchandises_approvisionnements, achats_matieres_premieres,
                       autres_achats_charges_externes) is not null
         then coalesce(achats_marchandises_approvisionnements, 0) + coalesce(achats_matieres_premieres, 0)
              + coalesce(autres_achats_charges_externes, 0)
    end as achats_charges_externes,
    cast(null as decimal(18, 2)) as investissements,
    cast(null as decimal(18, 2)) as stocks,
    cast(null as decimal(18, 2)) as creances_clients,
    cast(null as decimal(18, 2)) as dettes_fournisseurs,
    dettes_fiscales_sociales,
    cast(null as decimal(18, 2)) as disponibilites,
    cast(null as decimal(18, 2)) as dettes_financieres,
    cast(null as decimal(18, 2)) as capitaux_propres,
    cast(null as decimal(18, 2)) as capital_social,
    cast(null as decimal(18, 2)) as actif_circulant,
    cast(null as decimal(18, 2)) as dettes_court_terme,
    cast(null as decimal(18, 2)) as bfr_exploitation,
    cast(null as decimal(18, 2)) as total_bilan,
    effectif_consolide as effectif_moyen,
    -- ratios Diane publishes instead of the amounts behind them (source_formule in the dictionary)
    liquidite_generale,
    liquidite_reduite,
    autonomie_financiere as autonomie_financiere_pct,
    endettement as endettement_pct,
    taux_endettement as taux_endettement_pct,
    capacite_remboursement,
    capacite_autofinancement as capacite_autofinancement_pct,
    credit_clients_jours,
    credit_fournisseurs_jours,
    rotation_stocks_jours,
    couverture_ca_bfr_jours,
    rentabilite_economique as rentabilite_economique_pct,
    mois_debut_validite,
    mois_fin_validite,
    _batch_key as lot_donnees
from releves
