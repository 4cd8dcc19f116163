"""`sf synth report`: distributions of the tiny economy against the installed references."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.synthetic import generate
from orchestration.synthetic.report import ReportError, build_report, format_report, locate

SEED = 42


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny tier (2021-01 to 2025-12) as `sf synth` lays it out: <root>/landing, <root>/synthetic."""
    root = tmp_path_factory.mktemp("tiny_report")
    generate("tiny", SEED, root / "landing", root / "synthetic")
    return root


@pytest.fixture(scope="module")
def report(tiny: Path) -> dict:
    return build_report(locate(tiny))  # the parent folder: its `landing` child is found


def test_economy_and_locations(tiny: Path, report: dict):
    e = report["economie"]
    assert (e["tier"], e["seed"], e["horizon"]) == ("tiny", SEED, "2025-12")
    assert (e["premier_lot"], e["dernier_lot"], e["lots"]) == ("2101", "2512", 60)
    assert e["date_comptage"] == "2026-01-01"
    assert 0 < e["entreprises_vivantes_fin"] < e["entreprises_verite"] == 2000
    same = locate(tiny / "landing")
    assert same.truth == (tiny / "synthetic").resolve() and same.out == same.truth / "report"


def test_regions_follow_the_population(report: dict):
    regions = report["regions"]
    rows = {r["code"]: r for r in regions["lignes"]}
    assert sum(r["part_population"] for r in rows.values()) == pytest.approx(100, abs=0.1)
    assert sum(r["part_synthetique"] for r in rows.values()) == pytest.approx(100, abs=0.1)
    assert sum(r["entreprises"] for r in rows.values()) == report["economie"]["entreprises_vivantes_fin"]
    # Île-de-France is the largest region of the installed COG (about 18 % of the population).
    assert max(rows.values(), key=lambda r: r["part_population"])["code"] == "11"
    assert 15 < rows["11"]["part_population"] < 21
    assert regions["population_reference"] > 60_000_000
    assert "ref_communes" in regions["reference"]
    assert regions["indice_dissimilarite_population"] < 10  # a few per cent with 2,000 companies


def test_sections_follow_the_generator_target(report: dict):
    sections = report["sections"]
    rows = {r["section"]: r for r in sections["lignes"]}
    assert sum(r["part_cible_generateur"] for r in rows.values()) == pytest.approx(100, abs=0.1)
    assert rows["G"]["libelle"].startswith("Commerce")
    assert rows["G"]["part_cible_generateur"] > 15  # trade is the largest target section
    assert sections["indice_dissimilarite_cible"] < 8
    assert "no national count" in sections["reference"]  # honest about the reference used


def test_headcount_classes_from_the_delivered_file(report: dict):
    sizes = report["tailles"]
    assert sizes["fichier"].lower().endswith("sigfaible_effectif_siren.csv")
    assert sizes["periode"] < "2026-01-01"
    assert [r["classe"] for r in sizes["lignes"]] == ["0", "1-9", "10-19", "20-49", "50-249", "250+"]
    assert sum(r["part_synthetique"] for r in sizes["lignes"]) == pytest.approx(100, abs=0.1)
    assert sum(r["entreprises"] for r in sizes["lignes"]) > 1000


def test_failure_rates_recomputed_from_the_truth(tiny: Path, report: dict):
    years = report["defaillances"]["annees"]
    assert [y["annee"] for y in years] == [2021, 2022, 2023, 2024, 2025]
    assert all(y["mois"] == 12 for y in years)
    for y in years:
        assert 0.2 < y["taux_pct"] < 8
        assert y["ouvertures"] == sum(s["ouvertures"] for s in y["par_section"].values())

    # 2023, independently from the ground truth.
    c = pq.read_table(tiny / "synthetic" / "entreprises.parquet").to_pandas()
    start, end = dt.date(2023, 1, 1), dt.date(2024, 1, 1)
    ceased = c["date_cessation"].map(lambda d: d is not None and d < start)
    alive = (~c["categorie_exclue"]) & (c["date_creation"] < start) & ~ceased
    opened = c["date_premiere_ouverture"].map(lambda d: d is not None and start <= d < end)
    year = years[2]
    assert year["vivantes"] == int(alive.sum())
    assert year["ouvertures"] == int((alive & opened).sum())
    assert year["taux_pct"] == pytest.approx(100 * np.mean(opened[alive]), abs=0.01)


def test_text_tables(report: dict):
    text = format_report(report)
    for title in ("by head-office region", "by NAF section", "headcount class", "First-opening rate"):
        assert title in text
    assert "Île-de-France" in text and "2025" in text


def test_cli_report_writes_json_text_and_chart(tiny: Path, report: dict):
    result = CliRunner().invoke(main, ["synth", "report", str(tiny / "landing")])
    assert result.exit_code == 0, result.output
    assert "Companies by NAF section" in result.output
    out = tiny / "synthetic" / "report"  # DIR/../synthetic/report by default
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == json.loads(json.dumps(report))
    png = (out / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    assert (out / "report.txt").read_text(encoding="utf-8") == format_report(report)


def test_cli_report_refuses_a_folder_without_batches(tmp_path: Path):
    with pytest.raises(ReportError):
        locate(tmp_path)
    (tmp_path / "landing" / "2101").mkdir(parents=True)
    with pytest.raises(ReportError, match=r"manifest\.json is missing"):
        locate(tmp_path)
    result = CliRunner().invoke(main, ["synth", "report", str(tmp_path)])
    assert result.exit_code == 2 and "manifest.json is missing" in result.output


def test_sf_synth_still_generates_as_before(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`sf synth` became a group (for `report`): generating works exactly as before."""
    calls = []
    monkeypatch.setattr("orchestration.synthetic.generate", lambda **kwargs: calls.append(kwargs) or "done")
    result = CliRunner().invoke(main, ["synth", "--tier", "tiny", "--out", str(tmp_path / "landing")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("done")
    [call] = calls
    assert (call["tier"], call["seed"], call["landing_dir"]) == ("tiny", 42, tmp_path / "landing")
    assert call["truth_dir"] == tmp_path.resolve() / "synthetic"
    assert call["start"] is call["end"] is call["horizon"] is call["malformed_share"] is None

    missing = CliRunner().invoke(main, ["synth"])
    assert missing.exit_code == 2 and "Missing option '--out'" in missing.output
    inside = CliRunner().invoke(main, ["synth", "--out", str(tmp_path), "--truth", str(tmp_path / "t")])
    assert inside.exit_code == 2 and "must not be inside" in inside.output
    assert len(calls) == 1
