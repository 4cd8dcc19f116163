"""Balance-sheet aggregates and ratios of statements, shared by the Diane, INPI/BCE and BdF files.

Every function takes the statement table of `accounts.Statements` restricted to some rows and
returns floats; a ratio whose denominator is not positive is NaN (written as an empty cell).
"""

from __future__ import annotations

import numpy as np

Table = dict[str, np.ndarray]


def div(numerator: np.ndarray, denominator: np.ndarray, factor: float = 1.0) -> np.ndarray:
    ok = denominator > 0
    return np.where(ok, factor * numerator / np.where(ok, denominator, 1.0), np.nan)


def purchases(s: Table) -> np.ndarray:
    return s["achats_marchandises"] + s["achats_matieres"] + s["autres_achats"]


def current_assets(s: Table) -> np.ndarray:
    return s["stocks"] + s["creances"] + s["disponibilites"]


def total_assets(s: Table) -> np.ndarray:
    return s["immobilisations"] + current_assets(s)


def short_term_debt(s: Table) -> np.ndarray:
    return (
        s["dettes_fournisseurs"]
        + s["dettes_fiscales_sociales"]
        + s["concours_bancaires"]
        + 0.2 * s["dettes_financieres"]
    )


def working_capital_need(s: Table) -> np.ndarray:
    """BFR d'exploitation."""
    return s["stocks"] + s["creances"] - s["dettes_fournisseurs"] - s["dettes_fiscales_sociales"]


def working_capital(s: Table) -> np.ndarray:
    """Fonds de roulement net global."""
    return s["capitaux_propres"] + 0.8 * s["dettes_financieres"] - s["immobilisations"]


def interest(s: Table) -> np.ndarray:
    return 0.9 * s["charges_financieres"]
