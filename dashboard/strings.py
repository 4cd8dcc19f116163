"""Every user-visible string of the dashboard, in French, in one catalogue."""

APP_TITLE = "Signaux Faibles"
NAV_ACCUEIL = "Accueil"
NAV_LISTES = "Listes"

SERVING_UNAVAILABLE = "Les données sont en cours de mise à jour. Réessayez dans quelques minutes."
NO_LIST = "Aucune liste de détection n'a encore été publiée."
NO_ALERT_IN_TERRITORY = "Aucune alerte dans ce territoire pour la liste {liste}."

HEADER_LIST = "Liste {libelle} — données arrêtées au {date}"
LIST_TITLE = "Liste de détection"
LIST_SELECT = "Liste"
REGION_SELECT = "Région"
SUMMARY = "{total} entreprises en alerte — {fort} alertes élevées, {modere} modérées"

LEVEL_LABELS = {"fort": "▲ Élevée", "modere": "● Modérée", "aucune": "Pas d'alerte"}

COLUMNS = {
    "niveau": "Niveau",
    "raison_sociale": "Entreprise",
    "siren": "SIREN",
    "code_departement": "Département",
    "naf_section": "Secteur (NAF)",
    "libelle_naf": "Activité",
    "effectif": "Effectif",
    "risque_pct": "Score (%)",
    "raison_1": "Principal facteur",
}

HOME_TITLE = "Signaux Faibles — détection précoce des entreprises en difficulté"
HOME_INTRO = (
    "Le modèle estime, pour chaque entreprise d'au moins 10 salariés, la probabilité d'ouverture "
    "d'une procédure collective dans les 18 mois. Les listes servent à prioriser les contacts : "
    "elles ne constituent pas une décision sur une entreprise."
)
HOME_LATEST = "Dernière liste : {libelle} — {evaluees} entreprises évaluées, {fort} alertes élevées, {modere} alertes modérées."
