-- Grain: one row per partial-activity request (id_demande, siret) and delivered version of its
-- authorisation, every request delivered up to var('as_of_batch') (raw-sources §6.1).
-- Vintages (model.md §3.2): the DGEFP file is a full re-export each month. Each version is the
-- authorisation (status date, period, hours) of the latest export holding the request, over the
-- months [mois_debut_validite, mois_fin_validite) (end exclusive, NULL for the current version),
-- so row m uses the latest export received by the end of m; a request missing from a later export
-- keeps its last delivered version. The first batch predates the delivery log: its versions count
-- as known from the start. Consecutive exports with the same authorisation form one version; the
-- consumption totals, which grow with every export, are those of the current state (display only,
-- not point in time) and `est_dans_etat_courant` says whether the current export holds the request.
{%- set autorisation = ['siren', 'est_pseudo_siret', 'date_statut', 'periode_debut', 'periode_fin',
                        'heures_autorisees', 'montant_autorise', 'effectif_autorise', 'motif_recours',
                        'perimetre', 'recours_anterieur', 'effectif_entreprise', 'effectif_etablissement'] %}

with versions as (
    {{ stock_line_versions('apdemande', ['id_demande', 'siret']) }}
),

fusion as (
    {{ fusion_versions('versions', ['id_demande', 'siret'], autorisation) }}
),

courant as (
    {{ stock_state('apdemande') }}
    qualify row_number() over (partition by id_demande, siret order by _batch_key desc, _line_number desc) = 1
)

select
    v.id_demande,
    v.siret,
    {%- for c in autorisation %}
    v.{{ c }},
    {%- endfor %}
    c.heures_consommees,
    c.effectif_consomme,
    c.montant_consomme,
    c.id_demande is not null as est_dans_etat_courant,
    v.mois_debut_validite,
    v.mois_fin_validite
from fusion as v
left join courant as c on c.id_demande = v.id_demande and c.siret = v.siret
