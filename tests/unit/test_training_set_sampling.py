"""Negative sub-sampling of the training set: 25 %, capped in rows on large panels (model.md §7.1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from models.training import NEGATIVE_SHARE, capped_negative_share
from orchestration.assets.model import KEY_COLUMNS, PANEL, write_training_set


@pytest.mark.parametrize(
    ("negatives", "cap", "share"),
    [
        (1_000_000, 3_000_000, NEGATIVE_SHARE),  # small panel: 25 %
        (12_000_000, 3_000_000, NEGATIVE_SHARE),  # exactly at the cap
        (18_200_000, 3_000_000, 0.1648),  # national: rounded down, never above the cap
        (18_200_000, None, NEGATIVE_SHARE),  # no cap
        (0, 3_000_000, NEGATIVE_SHARE),
        (10**12, 1, 0.0001),  # never zero: positives alone would lose the prevalence
    ],
)
def test_capped_share(negatives: int, cap: int | None, share: float):
    got = capped_negative_share(negatives, NEGATIVE_SHARE, cap)
    assert got == share
    if 0.0001 < got < NEGATIVE_SHARE:  # lowered: the sample stays under the cap
        assert cap is not None and got * negatives <= cap


def _panel(con: duckdb.DuckDBPyConnection) -> None:
    """400 companies x 108 months (2016-2024), one positive month each, every row in scope."""
    con.execute(f"create schema {PANEL.split('.')[0]}")
    con.execute(
        f"""create table {PANEL} as
            select lpad(cast(s as varchar), 9, '0') as siren,
                   cast(date '2016-01-01' + to_months(m) as date) as periode,
                   cast(m = s % 100 as integer) as cible,
                   case when m = s % 100 then 'positif' else 'negatif' end as statut_cible,
                   true as dans_perimetre
            from range(400) as c(s), range(108) as t(m)"""
    )


def test_the_extract_lowers_the_share_to_the_cap_and_weights_by_its_inverse(tmp_path: Path):
    with duckdb.connect() as con:
        _panel(con)
        negatives = con.execute(f"select count(*) from {PANEL} where cible = 0").fetchone()[0]
        extract = write_training_set(
            con, KEY_COLUMNS, tmp_path / "set.parquet", dt.date(2016, 1, 1), 1, NEGATIVE_SHARE, 5_000
        )
        share = extract["part_negatifs"]
        assert extract["negatifs_etiquetes"] == negatives
        assert share == capped_negative_share(negatives, NEGATIVE_SHARE, 5_000) < NEGATIVE_SHARE
        weights = dict(
            con.execute(
                f"select poids, count(*) from read_parquet('{tmp_path / 'set.parquet'}') "
                "where cible = 0 group by poids"
            ).fetchall()
        )
        assert set(weights) <= {0.0, 1 / share}
        sampled = weights[1 / share]
        assert abs(sampled - share * negatives) < 5 * (share * negatives) ** 0.5  # the hash samples ~share
        # every positive kept, weight 1
        positives = con.execute(
            f"select count(*), min(poids), max(poids) from read_parquet('{tmp_path / 'set.parquet'}') "
            "where cible = 1"
        ).fetchone()
        assert positives == (extract["positifs"], 1.0, 1.0)


def test_a_panel_under_the_cap_keeps_the_starting_share(tmp_path: Path):
    with duckdb.connect() as con:
        _panel(con)
        extract = write_training_set(
            con, KEY_COLUMNS, tmp_path / "set.parquet", dt.date(2016, 1, 1), 1, NEGATIVE_SHARE
        )
        assert extract["part_negatifs"] == NEGATIVE_SHARE
        assert (
            con.execute(
                f"select count(*) from read_parquet('{tmp_path / 'set.parquet'}') where poids = 4"
            ).fetchone()[0]
            > 0
        )
