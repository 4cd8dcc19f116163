-- Grain: one row per establishment (siret), month (periode) and delivered version of that month's
-- headcount (URSSAF), as of var('as_of_batch').
-- Vintages (model.md §3.2): the headcount file is a full re-delivery whose past months get revised.
-- Every delivery is kept: each version is the value of the latest delivery holding the month over
-- the months [mois_debut_validite, mois_fin_validite) (end exclusive, NULL for the current
-- version), so row m uses the latest delivery received by the end of m. A month that leaves the
-- sliding window of a later delivery keeps its last delivered value. The first batch predates the
-- delivery log: its versions count as known from the start (only the λ_eff lag then applies).
-- Consecutive deliveries of the same value form one version (macro versions_valeur).
{{ versions_valeur('effectif', ['siret', 'periode'], 'effectif', ['siren', 'est_pseudo_siret']) }}
