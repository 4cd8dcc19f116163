"""The region list page rendered by Streamlit's AppTest from a real serving file."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from orchestration.settings import PROJECT_ROOT
from tests.fixtures.serving_fixture import LISTE_LIBELLE, build_fixture_serving

PAGE = str(PROJECT_ROOT / "dashboard" / "app_pages" / "listes.py")


@pytest.fixture
def serving(tmp_path, monkeypatch):
    path = build_fixture_serving(tmp_path)
    monkeypatch.setenv("SF_SERVING_PATH", str(path))
    return path


def test_list_page_shows_the_alerts_of_the_chosen_region(serving):
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    list_box, region_box = at.selectbox
    assert list_box.value == "2025-11" and list_box.format_func(list_box.value) == LISTE_LIBELLE
    region_box.select("84")
    at.button[0].click().run()
    table = at.dataframe[0].value
    assert list(table["SIREN"]) == ["100000001", "100000005", "100000002"]  # by score, alerts only
    assert list(table["Niveau"]) == ["▲ Élevée", "▲ Élevée", "● Modérée"]
    assert "TRANSPORTS LYONNAIS" not in set(table["Entreprise"])  # not in alert
    assert "3 entreprises en alerte — 2 alertes élevées, 1 modérées" in at.markdown[0].value


def test_list_page_other_region(serving):
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.selectbox[1].select("11")
    at.button[0].click().run()
    table = at.dataframe[0].value
    assert list(table["Entreprise"]) == ["CONSEIL PARISIEN"]


def test_region_without_alert_says_so(serving):
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    at.selectbox[1].select("53")
    at.button[0].click().run()
    assert not at.dataframe
    assert at.info[0].value == f"Aucune alerte dans ce territoire pour la liste {LISTE_LIBELLE}."


def test_missing_serving_file_gives_a_plain_french_message(tmp_path, monkeypatch):
    monkeypatch.setenv("SF_SERVING_PATH", str(tmp_path / "absent.duckdb"))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert at.warning[0].value.startswith("Les données sont en cours de mise à jour")
