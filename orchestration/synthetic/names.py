"""French-looking names: company denominations, people (sole traders) and shop signs."""

from __future__ import annotations

import numpy as np


def _words(text: str) -> np.ndarray:
    """Whitespace-separated words; `_` stands for a space inside a word (LE_GALL)."""
    return np.array([word.replace("_", " ") for word in text.split()])


SURNAMES = _words("""MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL
LEFEBVRE LEROY ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU
VINCENT MULLER LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER FRANCOIS LEGRAND
GAUTHIER GARCIA PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON MARCHAND
DUVAL DENIS DUMONT MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN BLANCHARD GIRAUD JOLY RIVIERE LUCAS
BRUNET GAILLARD BARBIER ARNAUD MARTINEZ GERARD ROCHE RENARD SCHMITT ROY LEROUX COLIN VIDAL CARON
PICARD ROGER FABRE AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER PHILIPPE BOURGEOIS PIERRE BENOIT
REY LECLERC PAYET ROLLAND LECLERCQ GUILLAUME LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT BERGER CARPENTIER
SANCHEZ DUPUIS MOULIN LOUIS DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET ADAM
PARIS POIRIER MARTY AUBRY GUYOT CARRE CHARLES RENAULT CHARPENTIER MENARD MAILLARD BARON BERTIN
BAILLY HERVE SCHNEIDER FERNANDEZ LE_GALL COLLET LEGER BOUVIER JULIEN PREVOST MILLET PERROT DANIEL
LE_ROUX COUSIN GERMAIN BRETON BESSON LANGLOIS REMY LE_GOFF PELLETIER LEVEQUE PERRIER LEBLANC BARRE
LEBRUN MARCHAL WEBER MALLET HAMON BOULANGER JACOB MONNIER MICHAUD RODRIGUEZ GUICHARD GILLET ETIENNE
GRONDIN POULAIN TESSIER CHEVALLIER COLLIN CHAUVIN DA_SILVA BOUCHET GAY LEMAITRE BENARD MARECHAL
HUMBERT REYNAUD ANTOINE HOARAU PERRET BARTHELEMY CORDIER PICHON LEJEUNE GILBERT LAMY DELAUNAY PASQUIER
CARLIER LAPORTE""")
MALE = _words("""JEAN PIERRE MICHEL ANDRE PHILIPPE ALAIN BERNARD CHRISTIAN DANIEL PATRICK NICOLAS
CHRISTOPHE FREDERIC LAURENT STEPHANE DAVID ERIC PASCAL THIERRY OLIVIER FRANCOIS SEBASTIEN JULIEN
THOMAS ANTOINE MAXIME ALEXANDRE GUILLAUME VINCENT JEROME DIDIER SERGE GILLES BRUNO DOMINIQUE YVES
JEAN-PIERRE JEAN-LUC JEAN-MARC JEAN-FRANCOIS""")
FEMALE = _words("""MARIE NATHALIE ISABELLE SYLVIE CATHERINE FRANCOISE VALERIE CHRISTINE SANDRINE
SOPHIE STEPHANIE CELINE VERONIQUE NICOLE MONIQUE PATRICIA AURELIE CAROLINE JULIE ELODIE EMILIE
CHRISTELLE LAURENCE CORINNE MARTINE ANNE CLAIRE CAMILLE PAULINE MARIE-CLAIRE ANNE-SOPHIE HELENE
AGNES BRIGITTE""")

# Words of a denomination by NAF section.
_SECTOR_WORDS: dict[str, list[str]] = {
    "A": ["EARL", "GAEC", "DOMAINE", "VIGNOBLES", "PEPINIERES", "EXPLOITATION AGRICOLE"],
    "B": ["CARRIERES", "SABLIERES", "GRANULATS"],
    "C": [
        "ATELIERS",
        "INDUSTRIES",
        "MECANIQUE",
        "PLASTURGIE",
        "FONDERIE",
        "MENUISERIE",
        "BOULANGERIE",
        "IMPRIMERIE",
        "CHAUDRONNERIE",
        "TOLERIE",
        "SALAISONS",
        "MANUFACTURE",
    ],
    "D": ["ENERGIES", "HYDRO", "SOLAIRE"],
    "E": ["ENVIRONNEMENT", "RECYCLAGE", "ASSAINISSEMENT"],
    "F": [
        "BATIMENT",
        "CONSTRUCTIONS",
        "TRAVAUX PUBLICS",
        "COUVERTURE",
        "ELECTRICITE",
        "PLOMBERIE",
        "MACONNERIE",
        "CHARPENTE",
        "PEINTURE",
        "TERRASSEMENT",
        "RENOVATION",
    ],
    "G": [
        "DISTRIBUTION",
        "COMMERCE",
        "NEGOCE",
        "GARAGE",
        "AUTOMOBILES",
        "SUPERMARCHE",
        "BOUTIQUE",
        "PHARMACIE",
        "OPTIQUE",
        "MATERIAUX",
        "PRIMEURS",
    ],
    "H": ["TRANSPORTS", "LOGISTIQUE", "TAXIS", "AMBULANCES", "DEMENAGEMENTS", "MESSAGERIE"],
    "I": ["RESTAURANT", "HOTEL", "BRASSERIE", "TRAITEUR", "CAFE", "AUBERGE", "PIZZERIA", "BISTROT"],
    "J": ["INFORMATIQUE", "DIGITAL", "SOFTWARE", "MEDIA", "EDITIONS", "TELECOM", "DATA"],
    "K": ["FINANCE", "COURTAGE", "ASSURANCES", "GESTION", "PATRIMOINE"],
    "L": ["IMMOBILIER", "AGENCE IMMOBILIERE", "FONCIERE", "SCI", "GESTION LOCATIVE"],
    "M": [
        "CONSEIL",
        "EXPERTISE COMPTABLE",
        "ARCHITECTES",
        "INGENIERIE",
        "AUDIT",
        "ETUDES",
        "CABINET",
        "LABORATOIRE",
    ],
    "N": ["SERVICES", "NETTOYAGE", "PROPRETE", "SECURITE", "INTERIM", "LOCATION", "GARDIENNAGE"],
    "O": ["COMMUNE", "SYNDICAT INTERCOMMUNAL", "COMMUNAUTE DE COMMUNES", "REGIE"],
    "P": ["ECOLE", "INSTITUT", "FORMATION", "COLLEGE PRIVE", "AUTO-ECOLE"],
    "Q": ["CLINIQUE", "EHPAD", "CENTRE MEDICAL", "SOINS", "AIDE A DOMICILE", "FOYER"],
    "R": ["SPECTACLES", "CLUB", "LOISIRS", "PRODUCTIONS", "CULTURE", "FITNESS"],
    "S": ["SERVICES", "COIFFURE", "PRESSING", "REPARATION", "ASSOCIATION"],
    "T": ["SERVICES A LA PERSONNE"],
    "U": ["REPRESENTATION"],
}
_ADJECTIVES = [
    "NOUVELLE",
    "GENERALE",
    "MODERNE",
    "REGIONALE",
    "FRANCAISE",
    "CENTRALE",
    "ATLANTIQUE",
    "ALPINE",
    "NORMANDE",
    "PROVENCALE",
    "BRETONNE",
    "DU SUD",
    "DE L'OUEST",
    "DE L'EST",
]
_PLACES = [
    "DU CENTRE",
    "DE LA VALLEE",
    "DU LAC",
    "DES ALPES",
    "DU PORT",
    "DE LA GARE",
    "DU MARCHE",
    "DES PINS",
    "DE LA COTE",
    "DU VAL",
    "DES HALLES",
    "DU CHATEAU",
]
_ACCENTED = {
    "CAFE": "CAFÉ",
    "ELECTRICITE": "ÉLECTRICITÉ",
    "IMMOBILIER": "IMMOBILIÈRE",
    "GENERALE": "GÉNÉRALE",
    "REGIONALE": "RÉGIONALE",
}


def _acronym(rng: np.random.Generator) -> str:
    letters = "ABCDEFGHIJKLMNOPRSTV"
    return "".join(letters[i] for i in rng.integers(0, len(letters), int(rng.integers(2, 5))))


def denominations(
    rng: np.random.Generator, sections: np.ndarray, communes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Denomination and sigle (often empty) of legal persons.

    A few names carry a comma or a double quote: INSEE quotes them (RFC 4180) and URSSAF files,
    which are never quoted, carry them bare.
    """
    n = len(sections)
    names: list[str] = []
    sigles: list[str] = []
    weights = np.array([10, 10, 10, 8, 10, 8, 10, 8, 2, 2, 12, 10], dtype=float)
    pattern = rng.choice(12, n, p=weights / weights.sum())
    surname = SURNAMES[rng.integers(0, len(SURNAMES), n)]
    surname2 = SURNAMES[rng.integers(0, len(SURNAMES), n)]
    pick = rng.random(n)
    accent = rng.random(n) < 0.05
    for i in range(n):
        words = _SECTOR_WORDS.get(str(sections[i]), ["SOCIETE"])
        word = words[int(pick[i] * len(words))]
        if accent[i]:
            word = _ACCENTED.get(word, word)
        p = int(pattern[i])
        if p <= 2:
            name = f"{word} {surname[i]}"
        elif p == 3:
            name = f"{surname[i]} ET FILS"
        elif p == 4:
            name = f"{surname[i]} {surname2[i]}"
        elif p == 5:
            name = f"SOCIETE {_ADJECTIVES[int(pick[i] * len(_ADJECTIVES))]} DE {word}"
        elif p == 6:
            name = f"{word} {_PLACES[int(pick[i] * len(_PLACES))]}"
        elif p == 7:
            name = f"ETABLISSEMENTS {surname[i]}"
        elif p == 8:
            name = f"{surname[i]}, {surname2[i]} ET ASSOCIES"
        elif p == 9:
            name = f'{word} "{surname[i]}"'
        elif p == 10:
            name = f"{word} {communes[i]}"
        else:
            name = _acronym(rng)
        names.append(name)
        sigles.append(_acronym(rng) if p in (4, 5, 8) and rng.random() < 0.4 else "")
    return np.array(names), np.array(sigles)


def public_names(sections: np.ndarray, divisions: np.ndarray, communes: np.ndarray) -> np.ndarray:
    labels = {
        "84": "COMMUNE DE",
        "85": "LYCEE PUBLIC DE",
        "86": "CENTRE HOSPITALIER DE",
        "87": "EHPAD PUBLIC DE",
        "88": "CCAS DE",
        "36": "REGIE DES EAUX DE",
        "49": "REGIE DES TRANSPORTS DE",
    }
    return np.array(
        [
            f"{labels.get(str(d), 'ETABLISSEMENT PUBLIC DE')} {c}"
            for d, c in zip(divisions.tolist(), communes.tolist(), strict=True)
        ]
    )


def association_names(rng: np.random.Generator, communes: np.ndarray) -> np.ndarray:
    kinds = [
        "ASSOCIATION D'AIDE A DOMICILE DE",
        "ADMR DE",
        "ASSOCIATION SPORTIVE DE",
        "FOYER RURAL DE",
        "ASSOCIATION CULTURELLE DE",
        "ASSOCIATION DEPARTEMENTALE DES PUPILLES DE",
        "MAISON DES JEUNES DE",
    ]
    picks = rng.integers(0, len(kinds), len(communes))
    return np.array([f"{kinds[k]} {c}" for k, c in zip(picks.tolist(), communes.tolist(), strict=True)])


def people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Sole traders: sex, surname, first names (INSEE capitals)."""
    sex = np.where(rng.random(n) < 0.35, "F", "M")
    first = np.where(sex == "F", FEMALE[rng.integers(0, len(FEMALE), n)], MALE[rng.integers(0, len(MALE), n)])
    second = np.where(
        sex == "F", FEMALE[rng.integers(0, len(FEMALE), n)], MALE[rng.integers(0, len(MALE), n)]
    )
    second = np.where(rng.random(n) < 0.6, second, "")
    return {
        "sexe": sex,
        "nom": SURNAMES[rng.integers(0, len(SURNAMES), n)],
        "prenom1": first,
        "prenom2": second,
        "prenom_usuel": first,
    }
