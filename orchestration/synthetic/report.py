"""`sf synth report`: how a generated economy compares with the references installed with the product.

Four views of the economy as delivered (its ground truth, read from the truth folder, and the
landing folder's batches and headcount file):

- companies by region of their head office, against the population share of the region (INSEE COG
  populations of the installed `ref_communes` seed) and against the generator's own target (the
  commune weights of `geography.commune_probabilities`: population^1.15, overseas collectivities
  halved);
- companies by NAF section, against the generator's target shares (`sectors.DIVISION_WEIGHTS`,
  rough INSEE orders of magnitude for employer companies): no national count of companies by
  section is installed with the product, so this checks the generator against its own target only;
- companies by headcount class, from the latest delivered `effectif_ent` file (parsed with the
  product's parser), without a reference (none installed);
- the rate of first openings of collective proceedings by section and year: companies of the
  perimeter (legal category not excluded) with a first opening within the year, over the companies
  alive on 1 January (or at the first delivered month); no reference installed either.

Pure functions (no Dagster, no click): `locate` the folders, `build_report` returns a JSON-ready dict,
`format_report` renders it as text tables, `write_report` writes `report.json` and `report.png`.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from orchestration.ingestion.landing import is_batch_key, scan_landing
from orchestration.reference.seeds import SEEDS_DIR
from orchestration.synthetic.geography import commune_probabilities
from orchestration.synthetic.reference import load_reference
from orchestration.synthetic.sectors import DIVISION_WEIGHTS

COMPANIES_FILE = "entreprises.parquet"
MANIFEST_FILE = "manifest.json"
# Headcount classes (INSEE tranches, grouped): lower bound -> label.
SIZE_CLASSES = ((0, "0"), (1, "1-9"), (10, "10-19"), (20, "20-49"), (50, "50-249"), (250, "250+"))
TOP_SECTIONS_CHARTED = 6


class ReportError(ValueError):
    """The folders do not hold a generated economy."""


@dataclass(frozen=True)
class Locations:
    landing: Path
    truth: Path
    out: Path


def batch_folders(landing: Path) -> list[str]:
    """Batch keys YYMM of the landing folder, in order."""
    if not landing.is_dir():
        return []
    return sorted(p.name for p in landing.iterdir() if p.is_dir() and is_batch_key(p.name))


def locate(directory: Path, truth: Path | None = None, out: Path | None = None) -> Locations:
    """The landing folder (DIR itself, or its `landing` child), the truth folder (default: the
    'synthetic' folder next to the landing, as `sf synth` writes it) and the output folder (default:
    `<truth>/report`)."""
    directory = Path(directory)
    if batch_folders(directory):
        landing = directory
    elif batch_folders(directory / "landing"):
        landing = directory / "landing"
    else:
        raise ReportError(f"no YYMM batch folder in {directory} nor in {directory / 'landing'}")
    truth = Path(truth) if truth is not None else landing.resolve().parent / "synthetic"
    for name in (MANIFEST_FILE, COMPANIES_FILE):
        if not (truth / name).exists():
            raise ReportError(f"{truth / name} is missing: not the ground truth of a generated economy")
    return Locations(landing, truth, Path(out) if out is not None else truth / "report")


def _month_first_day(key: str) -> dt.date:
    return dt.date(2000 + int(key[:2]), int(key[2:]), 1)


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _share(counts: dict[str, float]) -> dict[str, float]:
    total = sum(counts.values())
    return {k: (100.0 * v / total if total else 0.0) for k, v in counts.items()}


def _seed_rows(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    with (seeds_dir / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _companies(con: duckdb.DuckDBPyConnection, truth: Path) -> None:
    path = str(truth / COMPANIES_FILE).replace("'", "''")
    con.execute(f"create or replace temp view entreprises as select * from read_parquet('{path}')")


def _dissimilarity(rows: list[dict[str, Any]], reference: str) -> float:
    """Half the sum of absolute share gaps (per cent of companies to move to match the reference)."""
    return round(sum(abs(r["part_synthetique"] - r[reference]) for r in rows) / 2.0, 2)


def region_distribution(
    con: duckdb.DuckDBPyConnection, cutoff: dt.date, seeds_dir: Path = SEEDS_DIR
) -> dict[str, Any]:
    """Companies alive at `cutoff` by head-office region, with the population and target shares."""
    ref = load_reference(seeds_dir)
    regions = _seed_rows(seeds_dir, "ref_regions.csv")
    label = {r["code_region"]: r["libelle"] for r in regions}
    zone = {r["code_region"]: r["zone"] for r in regions}
    population: dict[str, float] = {}
    target: dict[str, float] = {}
    for code, people, weight in zip(
        ref.communes.region.tolist(),
        ref.communes.population.tolist(),
        commune_probabilities(ref).tolist(),
        strict=True,
    ):
        population[code] = population.get(code, 0.0) + people
        target[code] = target.get(code, 0.0) + weight
    counts = dict(
        con.execute(
            """select region_siege, count(*) from entreprises
               where date_creation < ? and (date_cessation is null or date_cessation >= ?)
               group by all""",
            [cutoff, cutoff],
        ).fetchall()
    )
    synthetic, people_share, target_share = _share(counts), _share(population), _share(target)
    rows = [
        {
            "code": code,
            "libelle": label.get(code, code),
            "zone": zone.get(code, ""),
            "entreprises": int(counts.get(code, 0)),
            "part_synthetique": round(synthetic.get(code, 0.0), 2),
            "part_population": round(people_share.get(code, 0.0), 2),
            "part_cible_generateur": round(target_share.get(code, 0.0), 2),
            "ecart_population_pts": round(synthetic.get(code, 0.0) - people_share.get(code, 0.0), 2),
        }
        for code in sorted(set(population) | set(counts), key=lambda c: -people_share.get(c, 0.0))
    ]
    return {
        "reference": (
            "population of the communes (INSEE COG, installed seed ref_communes.csv); generator target: "
            "population^1.15, overseas collectivities halved (geography.commune_probabilities)"
        ),
        "population_reference": int(sum(population.values())),
        "indice_dissimilarite_population": _dissimilarity(rows, "part_population"),
        "indice_dissimilarite_cible": _dissimilarity(rows, "part_cible_generateur"),
        "lignes": rows,
    }


def section_targets(seeds_dir: Path = SEEDS_DIR) -> dict[str, float]:
    """Target share (per cent) of each NAF section: the generator's division weights summed by section
    (divisions absent from the installed NAF are never drawn)."""
    naf = load_reference(seeds_dir).naf
    section_of = dict(zip(naf.division.tolist(), naf.section.tolist(), strict=True))
    weights: dict[str, float] = {}
    for division, weight in DIVISION_WEIGHTS.items():
        if division in section_of:
            weights[section_of[division]] = weights.get(section_of[division], 0.0) + weight
    return _share(weights)


def section_distribution(
    con: duckdb.DuckDBPyConnection, cutoff: dt.date, seeds_dir: Path = SEEDS_DIR
) -> dict[str, Any]:
    labels = {r["code"]: r["libelle"] for r in _seed_rows(seeds_dir, "ref_naf.csv") if r["niveau"] == "1"}
    counts = dict(
        con.execute(
            """select section_naf, count(*) from entreprises
               where date_creation < ? and (date_cessation is null or date_cessation >= ?)
               group by all""",
            [cutoff, cutoff],
        ).fetchall()
    )
    synthetic, target = _share(counts), section_targets(seeds_dir)
    rows = [
        {
            "section": section,
            "libelle": labels.get(section, section),
            "entreprises": int(counts.get(section, 0)),
            "part_synthetique": round(synthetic.get(section, 0.0), 2),
            "part_cible_generateur": round(target.get(section, 0.0), 2),
            "ecart_cible_pts": round(synthetic.get(section, 0.0) - target.get(section, 0.0), 2),
        }
        for section in sorted(set(target) | set(counts))
    ]
    return {
        "reference": (
            "the generator's target shares (sectors.DIVISION_WEIGHTS: rough INSEE orders of magnitude "
            "for employer companies, not a statistic); no national count of companies by NAF section "
            "is installed with the product"
        ),
        "indice_dissimilarite_cible": _dissimilarity(rows, "part_cible_generateur"),
        "lignes": rows,
    }


def size_distribution(landing: Path) -> dict[str, Any]:
    """Companies by headcount class at the last month of the latest delivered `effectif_ent` file."""
    from orchestration.sources.contract import get_contract
    from orchestration.sources.parser import parse_file

    files = [f for f in scan_landing(landing) if f.source == "effectif_ent"]
    if not files:
        return {"reference": "none", "fichier": None, "periode": None, "lignes": []}
    latest = files[-1]
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        result = parse_file(con, get_contract("effectif_ent"), latest.path, batch_key=latest.batch_key)
        if result.loaded is None:
            raise ReportError(f"{latest.path} could not be parsed: {result.report.fatal_reason}")
        period, headcounts = con.execute(
            f"""with last as (select max(periode) as periode from {result.loaded})
                select any_value(l.periode), list(e.effectif)
                from {result.loaded} e join last l on e.periode = l.periode"""
        ).fetchone()
    finally:
        con.close()
    values = np.asarray(headcounts or [], dtype=np.int64)
    bounds = np.array([low for low, _ in SIZE_CLASSES])
    counts = np.bincount(np.searchsorted(bounds, values, side="right") - 1, minlength=len(bounds))
    shares = _share({label: float(n) for (_, label), n in zip(SIZE_CLASSES, counts, strict=True)})
    return {
        "reference": "none installed with the product (synthetic distribution only)",
        "fichier": f"{latest.batch_key}/{latest.name}",
        "periode": period.isoformat() if period else None,
        "effectif_median": float(np.median(values)) if len(values) else None,
        "lignes": [
            {"classe": label, "entreprises": int(n), "part_synthetique": round(shares[label], 2)}
            for (_, label), n in zip(SIZE_CLASSES, counts, strict=True)
        ],
    }


def failure_rates(con: duckdb.DuckDBPyConnection, first_day: dt.date, cutoff: dt.date) -> dict[str, Any]:
    """First openings within each delivered year over the companies alive at its start, by section.

    The perimeter excludes the public legal categories (`categorie_exclue`); a year cut by the
    delivered range counts only its delivered months (`mois`)."""
    years = []
    for year in range(first_day.year, (cutoff - dt.timedelta(days=1)).year + 1):
        start = max(dt.date(year, 1, 1), first_day)
        end = min(dt.date(year + 1, 1, 1), cutoff)
        months = (end.year - start.year) * 12 + end.month - start.month
        rows = con.execute(
            """select section_naf, count(*) as vivantes,
                      count(*) filter (where date_premiere_ouverture >= $start
                                         and date_premiere_ouverture < $end) as ouvertures
               from entreprises
               where not categorie_exclue and date_creation < $start
                 and (date_cessation is null or date_cessation >= $start)
               group by all order by 1""",
            {"start": start, "end": end},
        ).fetchall()
        by_section = {
            s: {"vivantes": int(a), "ouvertures": int(o), "taux_pct": round(100.0 * o / a, 2) if a else None}
            for s, a, o in rows
        }
        alive = sum(v["vivantes"] for v in by_section.values())
        openings = sum(v["ouvertures"] for v in by_section.values())
        years.append(
            {
                "annee": year,
                "debut": start.isoformat(),
                "fin_exclue": end.isoformat(),
                "mois": months,
                "vivantes": alive,
                "ouvertures": openings,
                "taux_pct": round(100.0 * openings / alive, 2) if alive else None,
                "par_section": by_section,
            }
        )
    return {
        "definition": (
            "first openings of collective proceedings within the year / companies of the perimeter "
            "(legal category not excluded) alive on 1 January (or at the first delivered month)"
        ),
        "reference": "none installed with the product",
        "annees": years,
    }


def build_report(locations: Locations, seeds_dir: Path = SEEDS_DIR) -> dict[str, Any]:
    """Every view of the report, JSON-ready."""
    manifest = json.loads((locations.truth / MANIFEST_FILE).read_text(encoding="utf-8"))
    batches = batch_folders(locations.landing)
    first_day = _month_first_day(batches[0])
    cutoff = _next_month(_month_first_day(batches[-1]))  # companies are counted at the end of the last batch
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        _companies(con, locations.truth)
        total = con.execute("select count(*) from entreprises").fetchone()[0]
        alive = con.execute(
            "select count(*) from entreprises where date_creation < $1 and (date_cessation is null or date_cessation >= $1)",
            [cutoff],
        ).fetchone()[0]
        report = {
            "economie": {
                "landing": str(locations.landing),
                "verite": str(locations.truth),
                "tier": manifest.get("tier"),
                "seed": manifest.get("seed"),
                "horizon": manifest.get("horizon", manifest.get("end")),
                "premier_lot": batches[0],
                "dernier_lot": batches[-1],
                "lots": len(batches),
                "entreprises_verite": int(total),
                "entreprises_vivantes_fin": int(alive),
                "date_comptage": cutoff.isoformat(),
            },
            "regions": region_distribution(con, cutoff, seeds_dir),
            "sections": section_distribution(con, cutoff, seeds_dir),
            "tailles": size_distribution(locations.landing),
            "defaillances": failure_rates(con, first_day, cutoff),
        }
    finally:
        con.close()
    return report


# --- rendering -----------------------------------------------------------------------------------


def _table(headers: list[str], rows: list[list[Any]], right: set[int] | None = None) -> str:
    right = right if right is not None else set(range(1, len(headers)))
    text = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in text) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if i in right else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True))
        )

    return "\n".join([line(text[0]), "  ".join("-" * w for w in widths), *(line(r) for r in text[1:])])


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def format_report(report: dict[str, Any]) -> str:
    """The report as readable text tables."""
    e = report["economie"]
    out = [
        f"Synthetic economy: tier {e['tier']}, seed {e['seed']}, batches {e['premier_lot']}..{e['dernier_lot']} "
        f"({e['lots']}), economy horizon {e['horizon']}",
        f"{e['entreprises_vivantes_fin']} companies alive on {e['date_comptage']} "
        f"({e['entreprises_verite']} in the ground truth)",
        "",
    ]
    r = report["regions"]
    out += [
        "Companies by head-office region (%)",
        f"  reference: {r['reference']}",
        _table(
            ["region", "zone", "companies", "synthetic", "population", "gap pts", "generator target"],
            [
                [
                    f"{row['code']} {row['libelle']}",
                    row["zone"],
                    row["entreprises"],
                    _pct(row["part_synthetique"]),
                    _pct(row["part_population"]),
                    f"{row['ecart_population_pts']:+.1f}",
                    _pct(row["part_cible_generateur"]),
                ]
                for row in r["lignes"]
                if row["entreprises"] or row["part_population"] >= 0.05
            ],
            right={2, 3, 4, 5, 6},
        ),
        f"  dissimilarity vs population {r['indice_dissimilarite_population']} %, "
        f"vs generator target {r['indice_dissimilarite_cible']} %",
        "",
    ]
    s = report["sections"]
    out += [
        "Companies by NAF section (%)",
        f"  reference: {s['reference']}",
        _table(
            ["section", "companies", "synthetic", "generator target", "gap pts"],
            [
                [
                    f"{row['section']} {row['libelle'][:48]}",
                    row["entreprises"],
                    _pct(row["part_synthetique"]),
                    _pct(row["part_cible_generateur"]),
                    f"{row['ecart_cible_pts']:+.1f}",
                ]
                for row in s["lignes"]
            ],
        ),
        f"  dissimilarity vs target {s['indice_dissimilarite_cible']} %",
        "",
    ]
    t = report["tailles"]
    out += [
        f"Companies by headcount class, {t['periode']} (file {t['fichier']}; reference: {t['reference']})",
        _table(
            ["class", "companies", "%"],
            [[row["classe"], row["entreprises"], _pct(row["part_synthetique"])] for row in t["lignes"]],
        ),
        "",
    ]
    d = report["defaillances"]
    years = d["annees"]
    sections = sorted({sec for y in years for sec in y["par_section"]})
    header = ["section", *[f"{y['annee']}" + ("" if y["mois"] == 12 else f" ({y['mois']}m)") for y in years]]
    rows = [[sec, *[_pct(y["par_section"].get(sec, {}).get("taux_pct")) for y in years]] for sec in sections]
    rows.append(["all", *[_pct(y["taux_pct"]) for y in years]])
    rows.append(["alive 1 Jan", *[y["vivantes"] for y in years]])
    rows.append(["openings", *[y["ouvertures"] for y in years]])
    out += [
        "First-opening rate by section and year (%)",
        f"  {d['definition']}; reference: {d['reference']}",
        _table(header, rows),
    ]
    return "\n".join(out) + "\n"


def write_chart(report: dict[str, Any], path: Path) -> Path:
    """Four panels: regions, sections, headcount classes, first-opening rate by year."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    e = report["economie"]
    fig, axes = plt.subplots(2, 2, figsize=(15, 11))
    width = 0.4

    ax = axes[0, 0]
    regions = [
        row for row in report["regions"]["lignes"] if row["entreprises"] or row["part_population"] >= 0.05
    ]
    y = np.arange(len(regions))
    ax.barh(y - width / 2, [r["part_synthetique"] for r in regions], width, label="synthetic")
    ax.barh(y + width / 2, [r["part_population"] for r in regions], width, label="population (COG)")
    ax.set_yticks(y, [r["libelle"][:24] for r in regions], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("% of companies / of population")
    ax.set_title("Companies by head-office region vs population share")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    sections = report["sections"]["lignes"]
    x = np.arange(len(sections))
    ax.bar(x - width / 2, [r["part_synthetique"] for r in sections], width, label="synthetic")
    ax.bar(x + width / 2, [r["part_cible_generateur"] for r in sections], width, label="generator target")
    ax.set_xticks(x, [r["section"] for r in sections])
    ax.set_ylabel("% of companies")
    ax.set_title("Companies by NAF section vs generator target shares")
    ax.legend(fontsize=8)

    ax = axes[1, 0]
    sizes = report["tailles"]["lignes"]
    ax.bar([r["classe"] for r in sizes], [r["part_synthetique"] for r in sizes], color="tab:green")
    ax.set_ylabel("% of companies")
    ax.set_title(f"Headcount classes, {report['tailles']['periode']} (delivered effectif_ent)")

    ax = axes[1, 1]
    years = report["defaillances"]["annees"]
    labels = [y["annee"] for y in years]
    ax.plot(labels, [y["taux_pct"] for y in years], "k-o", linewidth=2.5, label="all sections")
    biggest = sorted(sections, key=lambda r: -r["entreprises"])[:TOP_SECTIONS_CHARTED]
    for row in biggest:
        ax.plot(
            labels,
            [y["par_section"].get(row["section"], {}).get("taux_pct") for y in years],
            marker=".",
            linewidth=1,
            label=f"section {row['section']}",
        )
    ax.set_xticks(labels)
    ax.set_ylabel("% of companies alive on 1 January")
    ax.set_title("First openings of collective proceedings within the year")
    ax.legend(fontsize=8)

    fig.suptitle(
        f"Synthetic economy: tier {e['tier']}, seed {e['seed']}, batches {e['premier_lot']}..{e['dernier_lot']}"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_report(report: dict[str, Any], out: Path) -> dict[str, Path]:
    """report.json, report.txt and report.png in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "report.json", "text": out / "report.txt", "png": out / "report.png"}
    paths["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["text"].write_text(format_report(report), encoding="utf-8")
    write_chart(report, paths["png"])
    return paths
