"""Changes between published lists (model.md §9, product.md glossary): first alert, escalation.

"Previous list" is the latest published list with a smaller `liste_id`, whatever the cadence. A
company absent from the previous list counts as `aucune` there. A first alert is an alert on a
company that was never `fort` or `modere` on any earlier published list, so a company that was
`modere` two lists ago, unscored on the previous list and `fort` now is an escalation, not a first
alert (LIST-4). Every first alert is also an escalation.
"""

from __future__ import annotations

import pandas as pd

LEVEL_RANK = {"aucune": 0, "modere": 1, "fort": 2}
FLAG_COLUMNS = (
    "liste_id",
    "siren",
    "liste_id_precedente",
    "niveau_precedent",
    "risque_pct_precedent",
    "variation_probabilite",
    "premiere_alerte",
    "liste_id_premiere_alerte",
    "escalade",
    "desescalade",
    "changement_modele",
)


def list_flags(lists: pd.DataFrame) -> pd.DataFrame:
    """Flags of every (liste_id, siren) row of `lists`.

    `lists` holds the published rows, one per company and list (the latest revision), with the
    columns liste_id, siren, niveau_alerte, probabilite and version_modele.
    """
    rows = lists[["liste_id", "siren", "niveau_alerte", "probabilite", "version_modele"]].copy()
    rows["siren"] = rows["siren"].astype(str)
    ids = sorted(rows["liste_id"].unique())
    previous_id = dict(zip(ids[1:], ids[:-1], strict=True))
    rows["liste_id_precedente"] = rows["liste_id"].map(previous_id).astype(object)

    versions = rows.groupby("liste_id")["version_modele"].agg(lambda v: ",".join(sorted(set(v))))
    rows["changement_modele"] = [
        p is not None and isinstance(p, str) and versions[p] != versions[c]
        for c, p in zip(rows["liste_id"], rows["liste_id_precedente"], strict=True)
    ]

    before = rows[["liste_id", "siren", "niveau_alerte", "probabilite"]].rename(
        columns={
            "liste_id": "liste_id_precedente",
            "niveau_alerte": "niveau_precedent",
            "probabilite": "probabilite_precedente",
        }
    )
    rows = rows.merge(before, on=["liste_id_precedente", "siren"], how="left")
    now = rows["niveau_alerte"].map(LEVEL_RANK).to_numpy()
    then = rows["niveau_precedent"].map(LEVEL_RANK).fillna(0).to_numpy()
    rows["escalade"] = now > then
    rows["desescalade"] = now < then
    rows["variation_probabilite"] = rows["probabilite"] - rows["probabilite_precedente"]
    rows["risque_pct_precedent"] = (100 * rows["probabilite_precedente"]).round(1)

    alerted = rows["niveau_alerte"] != "aucune"
    first = rows[alerted].groupby("siren")["liste_id"].min()
    rows["liste_id_premiere_alerte"] = rows["siren"].map(first)
    seen_before = rows["liste_id_premiere_alerte"].notna() & (
        rows["liste_id_premiere_alerte"] <= rows["liste_id"]
    )
    rows["liste_id_premiere_alerte"] = rows["liste_id_premiere_alerte"].where(seen_before, None)
    rows["premiere_alerte"] = alerted & (rows["liste_id_premiere_alerte"] == rows["liste_id"]).fillna(False)
    for column in ("liste_id_precedente", "niveau_precedent", "liste_id_premiere_alerte"):
        rows[column] = rows[column].astype("string")  # VARCHAR, NULL when absent, in DuckDB
    for column in ("escalade", "desescalade", "premiere_alerte", "changement_modele"):
        rows[column] = rows[column].astype(bool)
    for column in ("variation_probabilite", "risque_pct_precedent"):
        rows[column] = rows[column].astype(float)
    return rows[list(FLAG_COLUMNS)].sort_values(["liste_id", "siren"], kind="stable").reset_index(drop=True)
