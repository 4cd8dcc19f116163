"""The synthetic economy: identifiers, determinism, parseability of every file, oracle, calibration."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.sources.contract import get_contract
from orchestration.sources.parser import parse_file
from orchestration.sources.recognition import recognise
from orchestration.synthetic import TIERS, generate, health
from orchestration.synthetic.identifiers import luhn_valid
from orchestration.synthetic.layouts import SIRENE_GEO_HEADER, SIRENE_UL_HEADER, check_insee_header
from orchestration.synthetic.oracle import window_probabilities
from orchestration.synthetic.sectors import EXCLUDED_CATEGORIES
from orchestration.synthetic.writers import base, insee_common
from tests.conftest import shared_path

SHORT = {"start": "2021-01", "end": "2021-04"}


def _generate(root: Path, seed: int, tier: str = "tiny", **kwargs) -> tuple[Path, Path]:
    landing, truth = root / "landing", root / "truth"
    generate(tier, seed, landing, truth, **{**SHORT, **kwargs})
    return landing, truth


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _generate(tmp_path_factory.mktemp("short"), seed=11)


ALL_SOURCES = {
    "sirene",
    "sirene_ul",
    "sirene_histo",
    "effectif",
    "effectif_ent",
    "debit",
    "cotisation",
    "delai",
    "ccsf",
    "procol",
    "apdemande",
    "apconso",
    "paydex",
    "ratios_inpi_bce",
    "diane",
    "bdf",
}


@dataclasses.dataclass
class Parsed:
    """Every file of the short run parsed once: manifest entry, report and loaded table."""

    con: duckdb.DuckDBPyConnection
    files: list[tuple[dict, dict, str]]

    def tables(self, source: str) -> list[tuple[dict, str]]:
        return [(entry, table) for entry, _, table in self.files if entry["source"] == source]


@pytest.fixture(scope="module")
def parsed(short_run: tuple[Path, Path]) -> Parsed:
    landing, truth = short_run
    con = duckdb.connect()
    files = []
    for number, entry in enumerate(_manifest(truth)["files"]):
        path = landing / entry["batch"] / entry["file"]
        result = parse_file(
            con, get_contract(entry["source"]), path, batch_key=entry["batch"], file_name=path.name
        )
        table = f"file_{number}"
        if result.loaded:
            con.execute(f"create table {table} as select * from {result.loaded}")
        files.append((entry, result.report.to_dict(), table))
    return Parsed(con, files)


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


def test_every_file_loads_and_rejects_exactly_the_injected_lines(
    short_run: tuple[Path, Path], parsed: Parsed
) -> None:
    landing, truth = short_run
    manifest = _manifest(truth)
    assert {entry["source"] for entry in manifest["files"]} == ALL_SOURCES
    assert not any(truth.resolve() == p or truth.resolve() in p.parents for p in [landing.resolve()])
    injected = 0
    for entry, report, _ in parsed.files:
        assert report["status"] == "loaded", (entry, report.get("fatal_reason"))
        assert report["lines_read"] == entry["data_lines"], entry
        assert report["lines_rejected"] == entry["malformed_lines"], (entry, report["rejections"][:5])
        if report["lines_read"]:
            share = report["lines_rejected"] / report["lines_read"]
            assert abs(share - entry["malformed_lines"] / entry["data_lines"]) <= 0.001, entry
        assert not report["unknown_columns"], entry
        injected += entry["malformed_lines"]
    # The default share (0.2 %) breaks some lines, and each is rejected for a real reason.
    assert injected == manifest["counts"]["malformed_lines"] > 0
    broken = {e["source"] for e, _, _ in parsed.files if e["malformed_lines"]}
    assert broken >= ALL_SOURCES - {"ccsf", "bdf", "diane", "delai"}, ALL_SOURCES - broken


def test_a_high_malformed_share_is_rejected_exactly(tmp_path: Path) -> None:
    """Every kind of damage, in every source, is refused by the parser (3 % of the lines)."""
    landing, truth = _generate(tmp_path, seed=5, start="2021-01", end="2021-02", malformed_share=0.03)
    manifest = _manifest(truth)
    reasons: dict[str, set[str]] = {}
    for entry, report in _parse_all(landing, manifest):
        assert report["status"] == "loaded", (entry, report.get("fatal_reason"))
        assert report["lines_rejected"] == entry["malformed_lines"], (entry, report["rejections"][:5])
        reasons.setdefault(entry["source"], set()).update(report["rejections_by_reason"])
    assert {s for s, found in reasons.items() if found} >= ALL_SOURCES - {"ccsf"}
    assert "invalid_date" in reasons["paydex"] | reasons["delai"] | reasons["apdemande"]


def test_flux_files_respect_the_delivery_calendar(short_run: tuple[Path, Path], parsed: Parsed) -> None:
    """Batch m holds what was processed from the 21st of m-1 to the 20th of m (the first batch also
    carries the warm-up history, a late file the month before too, a broken payment plan its
    creation date), contributions of periods already ended, judgments already known, supplier
    delays and partial activity of past months."""
    _, truth = short_run
    manifest = _manifest(truth)
    first_batch = min(entry["batch"] for entry in manifest["files"])
    checks = {
        "debit": "min(periode_prise_en_compte), max(periode_prise_en_compte)",
        "cotisation": "min(periode_fin), max(periode_fin)",
        "procol": "min(date_effet), max(date_effet)",
        "delai": "min(date_creation), max(date_creation)",
        "ccsf": "min(date_traitement), max(date_traitement)",
        "paydex": "min(date_valeur), max(date_valeur)",
        "apconso": "min(periode), max(periode)",
        "apdemande": "min(date_statut), max(date_statut)",
    }
    for source, query in checks.items():
        for entry, table in parsed.tables(source):
            low, high = parsed.con.sql(f"select {query} from {table}").fetchall()[0]
            month = np.datetime64(f"20{entry['batch'][:2]}-{entry['batch'][2:]}-01")
            if high is None:
                continue
            low, high = np.datetime64(low, "D"), np.datetime64(high, "D")
            if source == "debit":
                assert high == month and (low == month or entry["batch"] == first_batch), entry
            elif source == "cotisation":
                assert high <= month, entry  # the period has ended before its delivery
            elif source in ("paydex", "apconso", "apdemande"):
                assert high < month, entry  # month m-1 at the latest
            else:
                assert high <= month + np.timedelta64(19, "D"), entry  # known by the 20th


def test_history_agrees_with_the_establishment_stock(parsed: Parsed) -> None:
    """The current period of every establishment in sirene_histo is the sirene stock's state, and
    the periods of an establishment are contiguous and ordered."""
    (histo_entry, histo), *_ = parsed.tables("sirene_histo")[::-1]
    stock = next(t for e, t in parsed.tables("sirene") if e["batch"] == histo_entry["batch"])
    disagree = parsed.con.sql(f"""
        select count(*) from {stock} s join {histo} h using (siret)
        where h.date_fin is null and (h.etat_administratif <> s.etat_administratif
              or h.date_debut <> s.date_debut_periode or h.caractere_employeur <> s.caractere_employeur)
    """).fetchall()[0][0]
    assert disagree == 0
    overlaps = parsed.con.sql(f"""
        select count(*) from (
            select date_fin, lead(date_debut) over (partition by siret order by date_debut nulls first) nxt
            from {histo}) where nxt is not null and date_fin >= nxt
    """).fetchall()[0][0]
    assert overlaps == 0
    closed = parsed.con.sql(
        f"select count(*) from {histo} where etat_administratif = 'F' and changement_etat_administratif"
    ).fetchall()[0][0]
    assert closed > 0


def _first_openings(truth: Path) -> dict[str, np.datetime64]:
    companies = pq.read_table(truth / "entreprises.parquet").to_pydict()
    return {
        s: np.datetime64(d, "D")
        for s, d in zip(companies["siren"], companies["date_premiere_ouverture"], strict=True)
        if d is not None
    }


def test_signals_are_informative_but_noisy(short_run: tuple[Path, Path], parsed: Parsed) -> None:
    """Companies opening proceedings within 18 months pay suppliers later and show weaker
    accounts, but the sources do not separate them perfectly."""
    from sklearn.metrics import roc_auc_score

    _, truth = short_run
    first = _first_openings(truth)
    entry, paydex = parsed.tables("paydex")[-1]
    month = np.datetime64(f"20{entry['batch'][:2]}-{entry['batch'][2:]}-01")
    rows = parsed.con.sql(
        f"select siren, arg_max(nb_jours, date_valeur) from {paydex} group by siren"
    ).fetchall()
    horizon = month + np.timedelta64(548, "D")
    at_risk = [
        (days, month <= first.get(siren, horizon) < horizon)
        for siren, days in rows
        if first.get(siren, horizon) >= month
    ]
    days, failing = np.array([d for d, _ in at_risk]), np.array([f for _, f in at_risk])
    assert failing.sum() >= 20 and 0.6 < roc_auc_score(failing, days) < 0.95
    _, ratios = parsed.tables("ratios_inpi_bce")[-1]
    rows = parsed.con.sql(
        f"select siren, arg_max(autonomie_financiere, date_cloture_exercice) from {ratios} "
        "where type_bilan <> 'K' group by siren having count(autonomie_financiere) > 0"
    ).fetchall()
    at_risk = [
        (value, month <= first.get(siren, horizon) < horizon)
        for siren, value in rows
        if first.get(siren, horizon) >= month
    ]
    values, failing = np.array([v for v, _ in at_risk]), np.array([f for _, f in at_risk])
    assert failing.sum() >= 10 and 0.6 < roc_auc_score(failing, -values) < 0.95


def test_same_seed_same_bytes_other_seed_other_bytes(short_run: tuple[Path, Path], tmp_path: Path) -> None:
    landing, truth = short_run
    again_landing, again_truth = _generate(tmp_path / "again", seed=11)
    assert _files(again_landing) == _files(landing)
    assert _files(again_truth) == _files(truth)
    other_landing, other_truth = _generate(tmp_path / "other", seed=12, malformed_share=0.0)
    first, other = _by_source(landing, truth), _by_source(other_landing, other_truth)
    # Late deliveries and Altares timestamps depend on the seed: compare per source.
    assert first.keys() == other.keys() == ALL_SOURCES
    assert all(first[source] != other[source] for source in first)
    assert _files(other_truth)["oracle.parquet"] != _files(truth)["oracle.parquet"]
    manifest = json.loads((other_truth / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["malformed_lines"] == 0
    assert all(report["lines_rejected"] == 0 for _, report in _parse_all(other_landing, manifest))


def _by_source(landing: Path, truth: Path) -> dict[str, list[bytes]]:
    files: dict[str, list[bytes]] = {}
    for entry in _manifest(truth)["files"]:
        files.setdefault(entry["source"], []).append((landing / entry["batch"] / entry["file"]).read_bytes())
    return files


def test_gzip_stocks_hold_the_plain_content(
    short_run: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compressed stocks reuse unchanged gzip members from one month to the next: the text must be the
    plain one, except for the broken lines (drawn elsewhere), and it must parse the same way."""
    landing, truth = short_run
    # Small blocks and slices, so that exports and stocks are built in several pieces here too.
    monkeypatch.setattr(base, "BLOCK_ROWS", 500)
    monkeypatch.setattr(insee_common, "_SLICE_ROWS", 64)
    packed = dataclasses.replace(
        TIERS["tiny"],
        name="tinygz",
        gzip_sources=(
            "sirene",
            "sirene_ul",
            "sirene_histo",
            "cotisation",
            "apconso",
            "apdemande",
            "ratios_inpi_bce",
            "paydex",
            "diane",
        ),
    )
    monkeypatch.setitem(TIERS, "tinygz", packed)
    gz_landing, gz_truth = _generate(tmp_path / "gz", seed=11, tier="tinygz")
    plain_broken = {(e["batch"], e["file"]): e["malformed_lines"] for e in _manifest(truth)["files"]}
    manifest = _manifest(gz_truth)
    sources: set[str] = set()
    for entry in manifest["files"]:
        if not entry["file"].endswith(".gz"):
            continue
        packed_lines = gzip.decompress(
            (gz_landing / entry["batch"] / entry["file"]).read_bytes()
        ).splitlines()
        plain_lines = (landing / entry["batch"] / entry["file"][:-3]).read_bytes().splitlines()
        sources.add(entry["source"])
        assert len(packed_lines) == len(plain_lines), entry
        differ = sum(a != b for a, b in zip(packed_lines, plain_lines, strict=True))
        assert differ <= entry["malformed_lines"] + plain_broken[(entry["batch"], entry["file"][:-3])], entry
    assert sources == set(packed.gzip_sources)
    for entry, report in _parse_all(gz_landing, manifest):
        assert report["status"] == "loaded" and report["lines_rejected"] == entry["malformed_lines"], entry


# --- backfill: one historical extract instead of the early monthly batches -------------------

FLUX_SOURCES = {"debit", "cotisation", "delai", "ccsf", "procol", "paydex", "diane", "bdf"}
BACKFILL = "2021-03"  # within SHORT: batch 2103 holds the extract, 2104 is an ordinary batch


@pytest.fixture(scope="module")
def backfill_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _generate(tmp_path_factory.mktemp("backfill"), seed=11, backfill_until=BACKFILL)


def _data_lines(path: Path, rejected: set[str] | None = None) -> list[str]:
    """The data lines of a delivered file as text (header, blank and rejected lines left out)."""
    data = path.read_bytes()
    text = data.decode("utf-16") if data[:2] == b"\xff\xfe" else data.decode("utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip()][1:]
    return [line for line in lines if line not in (rejected or set())]


def _parsed_lines(con: duckdb.DuckDBPyConnection, landing: Path, entry: dict) -> tuple[dict, list[str]]:
    """Parse one file: its report, and its data lines without the rejected ones."""
    path = landing / entry["batch"] / entry["file"]
    result = parse_file(
        con, get_contract(entry["source"]), path, batch_key=entry["batch"], file_name=path.name
    )
    rejected = (
        {r[0] for r in con.sql(f"select raw_line from {result.rejected}").fetchall()}
        if result.rejected
        else set()
    )
    return result.report.to_dict(), _data_lines(path, rejected)


def test_backfill_writes_the_extract_in_its_first_batch(
    short_run: tuple[Path, Path], backfill_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """No batch before the backfill month; every later batch, the truth and the economy are the
    monthly run's; same seed, same bytes."""
    (landing, truth), (monthly, monthly_truth) = backfill_run, short_run
    manifest = _manifest(truth)
    assert manifest["backfill_until"] == BACKFILL and "backfill_until" not in _manifest(monthly_truth)
    assert sorted(p.name for p in landing.iterdir()) == ["2103", "2104"]
    assert {e["batch"] for e in manifest["files"]} == {"2103", "2104"}
    assert {e["source"] for e in manifest["files"] if e["batch"] == "2103"} == ALL_SOURCES
    assert _files(landing / "2104") == _files(monthly / "2104")
    for name in ("oracle.parquet", "entreprises.parquet", "etablissements.parquet"):
        assert (truth / name).read_bytes() == (monthly_truth / name).read_bytes(), name
    again, _ = _generate(tmp_path, seed=11, backfill_until=BACKFILL)
    assert _files(again) == _files(landing)
    with pytest.raises(ValueError, match="backfill"):
        _generate(tmp_path / "outside", seed=11, backfill_until="2021-05")


def test_backfill_files_load_and_reject_exactly_the_injected_lines(
    short_run: tuple[Path, Path], backfill_run: tuple[Path, Path]
) -> None:
    """Every file of the extract is recognised as its source and parses, rejecting exactly the
    injected lines; a flux source's extract holds the lines of the monthly files up to the backfill
    month, in delivery order (the concatenation of its files in name order is that of the monthly
    files in batch order); a stock source holds the monthly run's state as of that month (headcount
    and Diane: see the next test)."""
    (landing, truth), (monthly, monthly_truth) = backfill_run, short_run
    con = duckdb.connect()
    extract: dict[str, list[str]] = {}
    injected = 0
    for entry in sorted(_manifest(truth)["files"], key=lambda e: (e["batch"], e["file"])):
        path = landing / entry["batch"] / entry["file"]
        assert recognise(path) is get_contract(entry["source"]), entry
        report, lines = _parsed_lines(con, landing, entry)
        assert report["status"] == "loaded", (entry, report.get("fatal_reason"))
        assert report["lines_read"] == entry["data_lines"], entry
        assert report["lines_rejected"] == entry["malformed_lines"], (entry, report["rejections"][:5])
        if report["lines_read"]:
            share = report["lines_rejected"] / report["lines_read"]
            assert abs(share - entry["malformed_lines"] / entry["data_lines"]) <= 0.001, entry
        injected += entry["malformed_lines"]
        if entry["batch"] == "2103":
            extract.setdefault(entry["source"], []).extend(lines)
    assert injected > 0
    # The monthly run up to the backfill month: flux lines in delivery order, each stock's last file.
    expected: dict[str, list[str]] = {}
    for entry in sorted(_manifest(monthly_truth)["files"], key=lambda e: (e["batch"], e["file"])):
        if entry["batch"] > "2103" or entry["source"] in ("effectif", "effectif_ent"):  # see below
            continue
        _, lines = _parsed_lines(con, monthly, entry)
        if entry["source"] not in FLUX_SOURCES:
            expected[entry["source"]] = []  # a stock replaces the previous state
        expected.setdefault(entry["source"], []).extend(lines)
    assert set(expected) == ALL_SOURCES - {"effectif", "effectif_ent"}
    for source, lines in expected.items():
        if source != "diane":  # emptied where a newer export re-sends a year: see the next test
            assert extract[source] == lines, source


# Rows of a source by natural key: headcount per (identifier, month), accounts per (siren, year).
KEYED = {
    "effectif": ("siret, periode", "effectif"),
    "effectif_ent": ("siren, periode", "effectif"),
    "diane": ("siren, exercice", "* exclude (_line_number, _line_hash, _avertissements)"),
}


def _keyed_state(
    landing: Path, truth: Path, source: str, until: str, since: str = "0000"
) -> tuple[dict, int]:
    """Natural key -> row in the batches since..until, the latest batch (then file, then line)
    winning as in raw-sources §8; and the rows read."""
    con = duckdb.connect()
    key, value = KEYED[source]
    state: dict[tuple, tuple] = {}
    rows = 0
    for entry in sorted(_manifest(truth)["files"], key=lambda e: (e["batch"], e["file"])):
        if entry["source"] != source or not since <= entry["batch"] <= until:
            continue
        path = landing / entry["batch"] / entry["file"]
        result = parse_file(con, get_contract(source), path, batch_key=entry["batch"], file_name=path.name)
        loaded = con.sql(f"select {key}, {value} from {result.loaded} order by _line_number").fetchall()
        state.update({row[:2]: row[2:] for row in loaded})
        rows += len(loaded)
    return state, rows


def test_backfill_keeps_every_known_month_and_fiscal_year(tmp_path: Path) -> None:
    """A headcount delivery re-sends a sliding window, a Diane export five fiscal years: the extract
    must still hold every month declared and every year exported up to the backfill month, as the
    monthly deliveries left them, each (identifier, month or year) once."""
    months = {"start": "2021-01", "end": "2021-07", "malformed_share": 0.0}
    monthly, monthly_truth = _generate(tmp_path / "monthly", seed=3, **months)
    landing, truth = _generate(tmp_path / "backfill", seed=3, backfill_until="2021-07", **months)
    assert sorted(p.name for p in landing.iterdir()) == ["2107"]
    for source in KEYED:
        expected, delivered = _keyed_state(monthly, monthly_truth, source, "2107")
        extract, rows = _keyed_state(landing, truth, source, "2107")
        assert rows == len(extract), source  # no key twice
        assert extract == expected, source
        assert rows < delivered, source
        # The last monthly delivery alone would lose some (older months, companies not re-exported).
        last = max(e["batch"] for e in _manifest(monthly_truth)["files"] if e["source"] == source)
        assert set(extract) - set(_keyed_state(monthly, monthly_truth, source, last, last)[0]), source


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


def test_text_columns_of_national_size_are_one_array() -> None:
    """pyarrow splits the conversion of about two million numpy strings into chunks, which the line
    joins and concatenations of the writers do not accept (the national tier crashed on it)."""
    from orchestration.synthetic import csvtext

    sirets = np.array(["12345678901234"] * 2_000_000)
    column = csvtext.text(sirets)
    assert isinstance(column, pa.Array) and len(column) == 2_000_000
    lines = csvtext.join([csvtext.take(column, np.array([0, 1_999_999])), "x"], ";", 2)
    assert pa.concat_arrays([lines, lines]).to_pylist() == ["12345678901234;x"] * 4
