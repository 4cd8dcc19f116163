"""The synthetic economy: identifiers, determinism, parseability of every file, oracle, calibration."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest

from orchestration.sources.contract import get_contract
from orchestration.sources.parser import parse_file
from orchestration.synthetic import TIERS, generate, health
from orchestration.synthetic.identifiers import luhn_valid
from orchestration.synthetic.layouts import SIRENE_GEO_HEADER, SIRENE_UL_HEADER, check_insee_header
from orchestration.synthetic.oracle import window_probabilities
from orchestration.synthetic.sectors import EXCLUDED_CATEGORIES
from tests.conftest import shared_path

SHORT = {"start": "2021-01", "end": "2021-04"}


def _generate(root: Path, seed: int, tier: str = "tiny", **kwargs) -> tuple[Path, Path]:
    landing, truth = root / "landing", root / "truth"
    generate(tier, seed, landing, truth, **{**SHORT, **kwargs})
    return landing, truth


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _generate(tmp_path_factory.mktemp("short"), seed=11)


def _manifest(truth: Path) -> dict:
    return json.loads((truth / "manifest.json").read_text(encoding="utf-8"))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _parse_all(landing: Path, manifest: dict) -> list[tuple[dict, dict]]:
    con = duckdb.connect()
    results = []
    for entry in manifest["files"]:
        path = landing / entry["batch"] / entry["file"]
        report = parse_file(
            con, get_contract(entry["source"]), path, batch_key=entry["batch"], file_name=path.name
        )
        results.append((entry, report.report.to_dict()))
    return results


def test_luhn_reference_numbers() -> None:
    assert luhn_valid("732829320")  # a published SIREN
    assert not luhn_valid("732829321")
    assert not luhn_valid("73282932A")


def test_identifiers_are_luhn_valid_and_pseudo_sirets_flagged(short_run: tuple[Path, Path]) -> None:
    _, truth = short_run
    est = pq.read_table(truth / "etablissements.parquet").to_pydict()
    companies = pq.read_table(truth / "entreprises.parquet").column("siren").to_pylist()
    assert all(re.fullmatch(r"[0-9]{9}", s) and luhn_valid(s) for s in companies)
    assert len(set(companies)) == len(companies)
    real = [s for s, pseudo in zip(est["siret"], est["est_pseudo_siret"], strict=True) if not pseudo]
    pseudo = [s for s, flag in zip(est["siret"], est["est_pseudo_siret"], strict=True) if flag]
    assert real and all(luhn_valid(s) for s in real)
    assert all(s[9] in "5679" for s in pseudo)
    assert all(s[:9] == siren for s, siren in zip(est["siret"], est["siren"], strict=True))


def test_legal_categories_exist_and_the_perimeter_has_something_to_exclude(
    short_run: tuple[Path, Path],
) -> None:
    _, truth = short_run
    with shared_path("reference", "categories_juridiques.csv").open(encoding="utf-8") as handle:
        known = {line.split(",", 1)[0] for line in handle.read().splitlines()[1:]}
    companies = pq.read_table(truth / "entreprises.parquet").to_pydict()
    used = set(companies["categorie_juridique"])
    assert used <= known, used - known
    assert used & EXCLUDED_CATEGORIES and {"5499", "5710", "5599", "1000", "9220"} <= used
    sections = set(companies["section_naf"])
    assert {"O", "P"} <= sections and len(sections) >= 15


def test_insee_headers_match_contracts() -> None:
    check_insee_header("sirene", SIRENE_GEO_HEADER)
    check_insee_header("sirene_ul", SIRENE_UL_HEADER)
    assert len(SIRENE_GEO_HEADER) == 53 + 9 and len(SIRENE_UL_HEADER) == 35
    with pytest.raises(ValueError):
        check_insee_header("sirene", SIRENE_GEO_HEADER[1:])


def test_every_file_loads_and_rejects_exactly_the_injected_lines(short_run: tuple[Path, Path]) -> None:
    landing, truth = short_run
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    sources = {entry["source"] for entry in manifest["files"]}
    assert sources == {"sirene", "sirene_ul", "effectif", "debit", "cotisation", "procol"}
    assert not any(truth.resolve() == p or truth.resolve() in p.parents for p in [landing.resolve()])
    injected = 0
    for entry, report in _parse_all(landing, manifest):
        assert report["status"] == "loaded", (entry, report.get("fatal_reason"))
        assert report["lines_read"] == entry["data_lines"], entry
        assert report["lines_rejected"] == entry["malformed_lines"], (entry, report["rejections"][:5])
        assert not report["unknown_columns"], entry
        injected += entry["malformed_lines"]
    # The default share (0.2 %) breaks some lines, and each is rejected for a real reason.
    assert injected == manifest["counts"]["malformed_lines"] > 0


def test_flux_files_respect_the_delivery_calendar(short_run: tuple[Path, Path]) -> None:
    """Batch m holds what was processed from the 21st of m-1 to the 20th of m (the first batch also
    carries the warm-up history), contributions of periods already ended, judgments already known."""
    landing, truth = short_run
    manifest = _manifest(truth)
    first_batch = min(entry["batch"] for entry in manifest["files"])
    checks = {
        "debit": "min(periode_prise_en_compte), max(periode_prise_en_compte)",
        "cotisation": "min(periode_fin), max(periode_fin)",
        "procol": "min(date_effet), max(date_effet)",
    }
    con = duckdb.connect()
    for entry in manifest["files"]:
        if entry["source"] not in checks:
            continue
        path = landing / entry["batch"] / entry["file"]
        result = parse_file(
            con, get_contract(entry["source"]), path, batch_key=entry["batch"], file_name=path.name
        )
        low, high = con.sql(f"select {checks[entry['source']]} from {result.loaded}").fetchall()[0]
        month = np.datetime64(f"20{entry['batch'][:2]}-{entry['batch'][2:]}-01")
        if high is None:
            continue
        low, high = np.datetime64(low, "D"), np.datetime64(high, "D")
        if entry["source"] == "debit":
            assert high == month and (low == month or entry["batch"] == first_batch), entry
        elif entry["source"] == "cotisation":
            assert high <= month, entry  # the period has ended before its delivery
        else:
            assert high <= month + np.timedelta64(19, "D"), entry  # known by the 20th


def test_same_seed_same_bytes_other_seed_other_bytes(short_run: tuple[Path, Path], tmp_path: Path) -> None:
    landing, truth = short_run
    again_landing, again_truth = _generate(tmp_path / "again", seed=11)
    assert _files(again_landing) == _files(landing)
    assert _files(again_truth) == _files(truth)
    other_landing, other_truth = _generate(tmp_path / "other", seed=12, malformed_share=0.0)
    first, other = _files(landing), _files(other_landing)
    assert first.keys() == other.keys()
    assert all(first[name] != other[name] for name in first if "Stock" in name)
    assert _files(other_truth)["oracle.parquet"] != _files(truth)["oracle.parquet"]
    manifest = json.loads((other_truth / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["malformed_lines"] == 0
    assert all(report["lines_rejected"] == 0 for _, report in _parse_all(other_landing, manifest))


def test_gzip_stocks_hold_the_plain_content(
    short_run: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compressed stocks reuse unchanged gzip members from one month to the next: the text must be the
    plain one, except for the broken lines (drawn elsewhere), and it must parse the same way."""
    landing, truth = short_run
    packed = dataclasses.replace(
        TIERS["tiny"], name="tinygz", gzip_sources=("sirene", "sirene_ul", "cotisation")
    )
    monkeypatch.setitem(TIERS, "tinygz", packed)
    gz_landing, gz_truth = _generate(tmp_path / "gz", seed=11, tier="tinygz")
    plain_broken = {(e["batch"], e["file"]): e["malformed_lines"] for e in _manifest(truth)["files"]}
    manifest = _manifest(gz_truth)
    for entry in manifest["files"]:
        if not entry["file"].endswith(".gz"):
            continue
        packed_lines = gzip.decompress(
            (gz_landing / entry["batch"] / entry["file"]).read_bytes()
        ).splitlines()
        plain_lines = (landing / entry["batch"] / entry["file"][:-3]).read_bytes().splitlines()
        assert len(packed_lines) == len(plain_lines), entry
        differ = sum(a != b for a, b in zip(packed_lines, plain_lines, strict=True))
        assert differ <= entry["malformed_lines"] + plain_broken[(entry["batch"], entry["file"][:-3])], entry
    for entry, report in _parse_all(gz_landing, manifest):
        assert report["status"] == "loaded" and report["lines_rejected"] == entry["malformed_lines"], entry


def test_oracle_recursion_matches_monte_carlo() -> None:
    rng = np.random.default_rng(5)
    n_months = 30
    drift = health.quantise(rng.normal(0.0, 0.02, (2, n_months)) + np.array([[0.02], [-0.03]]))
    spiral = np.where(np.arange(n_months) < 10, 0.5, 1.0)
    offset = np.array([[0.3], [0.0]]) + np.zeros((2, n_months))
    exact = window_probabilities(drift, spiral, offset)
    paths = 200_000
    for group, month, state in ((0, 2, 10), (1, 5, 14), (1, 0, 20)):
        s = np.full(paths, state, dtype=np.int8)
        alive = np.ones(paths, dtype=bool)
        opened = np.zeros(paths, dtype=bool)
        for t in range(month + 1, month + 19):
            s = health.draw_next(rng, health.step_means(drift[group, t], spiral[t], s))
            h = health.opening_hazard_at(offset[group, t], s)
            u = rng.random(paths)
            now = alive & (u < h)
            opened |= now
            alive &= ~now & ~(u < h + health.CLOSURE[s])
        estimate = opened.mean()
        error = np.sqrt(estimate * (1 - estimate) / paths)
        assert abs(estimate - exact[group, month, state]) < 5 * error + 1e-4, (group, month, state)
    assert np.isnan(exact[:, -18:]).all()


def _perimeter_scores(truth: Path) -> tuple[np.ndarray, np.ndarray]:
    """Rows in the model perimeter (model.md §1), from the truth tables only."""
    rows = duckdb.sql(f"""
        select o.probabilite_ouverture_18m as p, o.ouverture_realisee_18m as y
        from '{truth / "oracle.parquet"}' o join '{truth / "entreprises.parquet"}' e using (siren)
        where e.zone_siege in ('metro', 'drom') and e.section_naf not in ('O', 'P')
          and not e.categorie_exclue and e.mois_premier_effectif_10 <= o.periode - interval 6 month
    """).fetchnumpy()
    return rows["p"], rows["y"].astype(bool)


def test_truth_is_consistent(short_run: tuple[Path, Path]) -> None:
    _, truth = short_run
    oracle = duckdb.sql(f"""
        select o.*, e.date_premiere_ouverture as first, e.date_cessation as ceased
        from '{truth / "oracle.parquet"}' o join '{truth / "entreprises.parquet"}' e using (siren)""").df()
    assert len(oracle) and oracle["probabilite_ouverture_18m"].between(0, 1).all()
    month = oracle["periode"].dt.to_period("M")
    first = oracle["first"].dt.to_period("M")
    # At risk: never opened before the end of the month, still active.
    assert not (first <= month).any()
    assert not (oracle["ceased"].dt.to_period("M") <= month).any()
    months_to_first = (first - month).apply(lambda d: d.n if d is not None and d == d else 10**6)
    expected = (months_to_first >= 1) & (months_to_first <= 18)
    assert (expected == oracle["ouverture_realisee_18m"]).all()


@pytest.mark.slow
def test_full_tiny_tier_calibration(tmp_path: Path) -> None:
    summary = generate("tiny", 2024, tmp_path / "landing", tmp_path / "truth")
    assert summary.companies == TIERS["tiny"].companies and summary.files > 300
    p, y = _perimeter_scores(tmp_path / "truth")
    assert len(y) > 50_000
    positive_share = y.mean()
    assert 0.03 <= positive_share <= 0.06, positive_share
    from sklearn.metrics import average_precision_score

    ap = average_precision_score(y, p)
    assert 0.25 <= ap <= 0.75, ap
    # The oracle is calibrated on average: mean probability close to the realised share.
    assert abs(p.mean() - positive_share) < 0.25 * positive_share
