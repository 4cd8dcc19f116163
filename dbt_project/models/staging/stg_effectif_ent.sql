-- Grain: one row per company (siren), month (periode) and delivered version of that month's
-- company headcount declared to URSSAF (raw-sources §5.2), as of var('as_of_batch'): the
-- reference headcount of the perimeter (it wins over the sum of the establishments, model.md §4.2).
-- Vintages (model.md §3.2), as for stg_effectif: each version is the value of the latest delivery
-- holding the month over [mois_debut_validite, mois_fin_validite) (end exclusive, NULL for the
-- current version); the first batch predates the delivery log and counts as known from the start
-- (macro versions_valeur).
{{ versions_valeur('effectif_ent', ['siren', 'periode'], 'effectif') }}
