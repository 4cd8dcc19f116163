-- Grain: one row per public statement (siren, date_cloture, type_bilan) and delivered version of
-- it in the INPI/BCE exports up to var('as_of_batch') (raw-sources §7.2). Amounts in euros, ratios
-- as published (percentages and days), never rescaled here.
-- Point in time (model.md §3.1, §4.4): every statement ever received stays usable, even when a
-- later export misses it; each version is the statement as in the latest export holding it, over
-- the months [mois_debut_validite, mois_fin_validite) (end exclusive, NULL for the current
-- version). `date_reception` is the month of the export that delivered the version; unknown (NULL)
-- for the first export, which predates the delivery log. Consecutive exports of the same
-- statement form one version.
{%- set cle = ['siren', 'date_cloture_exercice', 'type_bilan'] %}
{%- set valeurs = ['confidentiality', 'chiffre_d_affaires', 'marge_brute', 'ebe', 'ebit', 'resultat_net',
                   'taux_d_endettement', 'ratio_de_liquidite', 'ratio_de_vetuste', 'autonomie_financiere',
                   'poids_bfr_exploitation_sur_ca', 'couverture_des_interets', 'caf_sur_ca',
                   'capacite_de_remboursement', 'marge_ebe', 'resultat_courant_avant_impots_sur_ca',
                   'poids_bfr_exploitation_sur_ca_jours', 'rotation_des_stocks_jours',
                   'credit_clients_jours', 'credit_fournisseurs_jours'] %}

with versions as (
    {{ stock_line_versions('ratios_inpi_bce', cle) }}
),

fusion as (
    {{ fusion_versions('versions', cle, valeurs) }}
),

premiere_livraison as (
    select {{ cle | join(', ') }}, min(mois_debut_validite) as mois_premiere_reception
    from fusion
    group by {{ cle | join(', ') }}
)

select
    c.siren,
    c.date_cloture_exercice as date_cloture,
    year(c.date_cloture_exercice) as exercice,
    c.type_bilan,
    c.confidentiality as confidentialite,
    c.chiffre_d_affaires as ca,
    c.marge_brute,
    c.ebe,
    c.ebit as resultat_exploitation,
    c.resultat_net,
    c.taux_d_endettement as taux_endettement_pct,
    c.ratio_de_liquidite as ratio_liquidite_pct,
    c.ratio_de_vetuste as ratio_vetuste_pct,
    c.autonomie_financiere as autonomie_financiere_pct,
    c.poids_bfr_exploitation_sur_ca as poids_bfr_exploitation_sur_ca_pct,
    c.couverture_des_interets as couverture_interets_pct,
    c.caf_sur_ca as caf_sur_ca_pct,
    c.capacite_de_remboursement as capacite_remboursement_pct,
    c.marge_ebe as marge_ebe_pct,
    c.resultat_courant_avant_impots_sur_ca as resultat_courant_avant_impots_sur_ca_pct,
    c.poids_bfr_exploitation_sur_ca_jours as bfr_exploitation_jours_ca,
    c.rotation_des_stocks_jours as rotation_stocks_jours,
    c.credit_clients_jours,
    c.credit_fournisseurs_jours,
    nullif(c.mois_debut_validite, date '1900-01-01') as date_reception,
    nullif(l.mois_premiere_reception, date '1900-01-01') as date_premiere_reception,
    c.mois_debut_validite,
    c.mois_fin_validite
from fusion as c
inner join premiere_livraison as l using ({{ cle | join(', ') }})
