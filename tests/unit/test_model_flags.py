"""First alert, escalation and de-escalation between published lists (model.md §9, LIST-4)."""

from __future__ import annotations

import pandas as pd

from models.flags import list_flags

P = {"fort": 0.5, "modere": 0.2, "aucune": 0.01}


def lists(rows: list[tuple[str, str, str]], versions: dict[str, str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["liste_id", "siren", "niveau_alerte"])
    frame["probabilite"] = frame["niveau_alerte"].map(P)
    frame["version_modele"] = frame["liste_id"].map(versions or {}).fillna("v1")
    return frame


def flag(flags: pd.DataFrame, liste_id: str, siren: str) -> dict:
    return flags[(flags["liste_id"] == liste_id) & (flags["siren"] == siren)].iloc[0].to_dict()


def test_modere_two_lists_ago_unscored_then_fort_is_an_escalation_not_a_first_alert():
    flags = list_flags(
        lists(
            [
                ("2024-01", "A", "modere"),
                ("2024-02", "B", "aucune"),  # A is not scored on the previous list
                ("2024-03", "A", "fort"),
            ]
        )
    )
    a = flag(flags, "2024-03", "A")
    assert a["liste_id_precedente"] == "2024-02"
    assert pd.isna(a["niveau_precedent"])  # absent from the previous list
    assert a["escalade"] and not a["premiere_alerte"] and not a["desescalade"]
    assert a["liste_id_premiere_alerte"] == "2024-01"
    assert pd.isna(a["variation_probabilite"])


def test_first_alert_is_also_an_escalation_and_exits_are_de_escalations():
    flags = list_flags(
        lists(
            [
                ("2024-01", "A", "aucune"),
                ("2024-01", "B", "fort"),
                ("2024-01", "C", "modere"),
                ("2024-02", "A", "modere"),
                ("2024-02", "B", "modere"),
                ("2024-02", "C", "modere"),
                ("2024-02", "D", "fort"),  # new in scope, never alerted: first alert
            ],
            versions={"2024-02": "v2"},
        )
    )
    a, b, c, d = (flag(flags, "2024-02", s) for s in "ABCD")
    assert a["premiere_alerte"] and a["escalade"] and a["niveau_precedent"] == "aucune"
    assert a["variation_probabilite"] == P["modere"] - P["aucune"]
    assert b["desescalade"] and not b["escalade"] and not b["premiere_alerte"]
    assert not (c["escalade"] or c["desescalade"] or c["premiere_alerte"])
    assert d["premiere_alerte"] and d["escalade"] and pd.isna(d["niveau_precedent"])
    assert all(f["changement_modele"] for f in (a, b, c, d))
    first = flags[flags["liste_id"] == "2024-01"]
    assert first["premiere_alerte"].tolist() == [False, True, True]  # A, B, C on the first list
    assert first["liste_id_precedente"].isna().all() and not first["changement_modele"].any()


def test_previous_list_is_the_latest_smaller_id_whatever_the_cadence():
    flags = list_flags(
        lists([("2023-06", "A", "fort"), ("2024-01", "A", "fort"), ("2023-09", "A", "aucune")])
    )
    assert flag(flags, "2024-01", "A")["liste_id_precedente"] == "2023-09"
    assert flag(flags, "2024-01", "A")["escalade"]
    assert not flag(flags, "2024-01", "A")["premiere_alerte"]  # alerted in 2023-06 already
    assert flag(flags, "2023-09", "A")["desescalade"]
