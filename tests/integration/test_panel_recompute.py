"""Independent recompute of the URSSAF debt and of the headcount feature for a sample of companies.

The delivered files are read with the project parser (decoding only: cents, dates, periods, the
wide headcount layout), then the rules of model.md are applied here in plain Python, without any of
the dbt SQL, and compared with every row of the panel for the sampled companies:

* debt at the cut-off c(m), the 20th of m (§4.5): per debit item (account, siret, contribution
  period, ECN number), the balance of its highest-numbered history line processed on or before
  c(m); a history line delivered twice counts once (latest batch wins); non-canonical period codes
  are excluded (§10);
* headcount (§3.1, §3.2, §4.2, §4.8): the value of month p known at the end of m is the company
  headcount (effectif_ent) of the latest delivery received by then, else the sum of the
  establishment headcounts delivered by then; the deliveries of a source's first batch predate the
  delivery log and count as known from the start (only the fixed lag applies). eff_effectif is the
  value at a = m - 6, carried forward at most 2 months; its lags are exact months.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion.landing import scan_landing
from orchestration.sources.contract import get_contract
from orchestration.sources.parser import parse_file
from tests.integration.dbt_panel_harness import PANEL, TinyEconomy

SAMPLE = 30
CUTOFF_DAY = 20
LAMBDA_EFF = 6
CARRY_FORWARD = 2
STOCK_REJECT_THRESHOLD = 0.05  # a stock file rejecting more is held back (raw-sources §2.7)
CANONICAL_PERIOD = re.compile(r"([0-9]{2}|[0-9]{4})([1-4][0-3]|62)")
AMOUNT_TOLERANCE = 1e-6
EXAMPLES = 5
START = dt.date(1900, 1, 1)


def month_index(day: dt.date) -> int:
    return 12 * day.year + day.month - 1


def month_of(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def cutoff_month(processed: dt.date) -> int:
    """The month whose cut-off (the 20th) is the first one on or after the processing date."""
    return month_index(processed) + (1 if processed.day > CUTOFF_DAY else 0)


def parsed(landing: Path, source: str, sirens: set[str], columns: list[str]) -> list[dict]:
    """Decoded rows of every usable file of the source for the given companies, with batch_key and
    line number; fatal files and held-back stock files are skipped, as the loader does."""
    contract = get_contract(source)
    rows: list[dict] = []
    con = duckdb.connect()
    try:
        for file in scan_landing(landing):
            if file.source != source:
                continue
            result = parse_file(con, contract, file.path, batch_key=file.batch_key, file_name=file.name)
            if result.loaded is None or (
                contract.is_stock and result.report.rejected_share > STOCK_REJECT_THRESHOLD
            ):
                continue
            select = ", ".join(columns)
            cursor = con.execute(
                f"select {select}, _line_number from {result.loaded} where siren in (select unnest(?))",
                [sorted(sirens)],
            )
            for values in cursor.fetchall():
                row = dict(zip([*columns, "_line_number"], values, strict=True))
                row["batch_key"] = file.batch_key
                rows.append(row)
    finally:
        con.close()
    return rows


def batch_month(batch_key: str) -> int:
    return 12 * (2000 + int(batch_key[:2])) + int(batch_key[2:]) - 1


# --- URSSAF debt -----------------------------------------------------------------------------


@dataclass
class Debts:
    po: dict[tuple[str, int], float]  # (siren, month) -> employee part at the cut-off of the month
    pp: dict[tuple[str, int], float]
    first_month: dict[str, int]  # siren -> month of the first cut-off with a processed debit line


def recompute_debts(landing: Path, sirens: set[str], months: range) -> Debts:
    rows = parsed(
        landing,
        "debit",
        sirens,
        [
            "siren",
            "siret",
            "numero_compte",
            "numero_ecart_negatif",
            "numero_historique",
            "date_traitement",
            "periode_code",
            "periode_debut",
            "periode_fin",
            "part_ouvriere",
            "part_patronale",
        ],
    )
    lines: dict[tuple, dict] = {}
    for row in sorted(rows, key=lambda r: (r["batch_key"], r["_line_number"])):
        if not CANONICAL_PERIOD.fullmatch(row["periode_code"]):
            continue
        item = (
            row["numero_compte"],
            row["siret"],
            row["periode_debut"],
            row["periode_fin"],
            row["numero_ecart_negatif"],
        )
        lines[(*item, row["numero_historique"])] = row | {"item": item}  # the latest delivery wins

    history: dict[tuple, list[tuple[int, int, float, float]]] = defaultdict(list)
    first_month: dict[str, int] = {}
    for line in lines.values():
        when = cutoff_month(line["date_traitement"])
        history[(line["siren"], line["item"])].append(
            (when, line["numero_historique"], float(line["part_ouvriere"]), float(line["part_patronale"]))
        )
        first_month[line["siren"]] = min(first_month.get(line["siren"], when), when)

    po: dict[tuple[str, int], float] = defaultdict(float)
    pp: dict[tuple[str, int], float] = defaultdict(float)
    for (siren, _item), steps in history.items():
        for m in months:
            processed = [s for s in steps if s[0] <= m]
            if processed:
                _, _, part_po, part_pp = max(processed, key=lambda s: s[1])
                po[(siren, m)] += part_po
                pp[(siren, m)] += part_pp
    return Debts(po, pp, first_month)


# --- headcount -------------------------------------------------------------------------------


class Headcounts:
    """Headcount of month p as known at the end of month m (both month indexes)."""

    def __init__(self, landing: Path, sirens: set[str]) -> None:
        self.company: dict[tuple[str, int], list[tuple[int, str, int]]] = defaultdict(list)
        self.establishments: dict[tuple[str, int], dict[str, list[tuple[int, str, int]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        company_rows = parsed(landing, "effectif_ent", sirens, ["siren", "periode", "effectif"])
        first = min((r["batch_key"] for r in company_rows), default=None)
        for r in company_rows:
            known = month_index(START) if r["batch_key"] == first else batch_month(r["batch_key"])
            self.company[(r["siren"], month_index(r["periode"]))].append(
                (known, r["batch_key"], r["effectif"])
            )
        establishment_rows = parsed(landing, "effectif", sirens, ["siren", "siret", "periode", "effectif"])
        first = min((r["batch_key"] for r in establishment_rows), default=None)
        for r in establishment_rows:
            known = month_index(START) if r["batch_key"] == first else batch_month(r["batch_key"])
            self.establishments[(r["siren"], month_index(r["periode"]))][r["siret"]].append(
                (known, r["batch_key"], r["effectif"])
            )

    @staticmethod
    def _latest(versions: list[tuple[int, str, int]], m: int) -> int | None:
        usable = [v for v in versions if v[0] <= m]
        return max(usable, key=lambda v: v[1])[2] if usable else None

    def known(self, siren: str, p: int, m: int) -> int | None:
        company = self._latest(self.company.get((siren, p), []), m)
        if company is not None:
            return company
        values = [self._latest(v, m) for v in self.establishments.get((siren, p), {}).values()]
        values = [v for v in values if v is not None]
        return sum(values) if values else None

    def current(self, siren: str, m: int) -> int | None:
        """eff_effectif: the value at a = m - lambda, else at a - 1, a - 2."""
        for k in range(LAMBDA_EFF, LAMBDA_EFF + CARRY_FORWARD + 1):
            value = self.known(siren, m - k, m)
            if value is not None:
                return value
        return None


# --- the test --------------------------------------------------------------------------------


def sample_companies(warehouse: Path) -> list[str]:
    """In perimeter at some month, with a URSSAF debt and a headcount; a stable pseudo-random draw."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [
            r[0]
            for r in con.execute(
                f"""select siren from marts.{PANEL}
                    group by siren
                    having bool_or(dans_perimetre)
                       and max(urssaf_dette_po + urssaf_dette_pp) > 0
                       and count(eff_effectif) > 0
                    order by md5(siren)
                    limit {SAMPLE}"""
            ).fetchall()
        ]


def panel_rows(warehouse: Path, sirens: list[str]) -> list[dict]:
    columns = ["siren", "periode", "urssaf_dette_po", "urssaf_dette_pp", "eff_effectif", "eff_effectif_lag12"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(
            f"select {', '.join(columns)} from marts.{PANEL} where siren in (select unnest(?)) order by 1, 2",
            [sirens],
        )
        return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), abs_tol=AMOUNT_TOLERANCE)


def report(name: str, mismatches: list[str], compared: int) -> str:
    return f"{name}: {len(mismatches)}/{compared} rows differ, e.g.\n  " + "\n  ".join(mismatches[:EXAMPLES])


@pytest.mark.slow
def test_debt_and_headcount_match_an_independent_recompute(tiny_economy: TinyEconomy) -> None:
    sirens = sample_companies(tiny_economy.full)
    assert len(sirens) == SAMPLE, f"only {len(sirens)} companies in perimeter with debts and headcount"
    rows = panel_rows(tiny_economy.full, sirens)
    months = range(
        min(month_index(r["periode"]) for r in rows), max(month_index(r["periode"]) for r in rows) + 1
    )
    debts = recompute_debts(tiny_economy.landing, set(sirens), months)
    headcounts = Headcounts(tiny_economy.landing, set(sirens))

    debt_mismatches, headcount_mismatches = [], []
    debt_rows = 0
    for row in rows:
        siren, m = row["siren"], month_index(row["periode"])
        where = f"{siren} {row['periode']:%Y-%m}"
        first = debts.first_month.get(siren)
        if first is not None and m >= first:  # URSSAF coverage through an earlier debit (§4.3)
            debt_rows += 1
            expected = (debts.po.get((siren, m), 0.0), debts.pp.get((siren, m), 0.0))
            actual = (row["urssaf_dette_po"], row["urssaf_dette_pp"])
            if not (close(actual[0], expected[0]) and close(actual[1], expected[1])):
                debt_mismatches.append(f"{where}: panel (po, pp) = {actual}, recomputed {expected}")
        elif row["urssaf_dette_po"] not in (None, 0) or row["urssaf_dette_pp"] not in (None, 0):
            debt_mismatches.append(f"{where}: a debt before any debit line was processed: {row}")

        expected_current = headcounts.current(siren, m)
        expected_lag12 = headcounts.known(siren, m - LAMBDA_EFF - 12, m)
        if not (
            close(row["eff_effectif"], expected_current) and close(row["eff_effectif_lag12"], expected_lag12)
        ):
            headcount_mismatches.append(
                f"{where}: panel (eff_effectif, eff_effectif_lag12) = "
                f"({row['eff_effectif']}, {row['eff_effectif_lag12']}), recomputed ({expected_current}, {expected_lag12})"
            )

    assert debt_rows > 1000, f"only {debt_rows} rows under debit coverage in the sample"
    problems = []
    if debt_mismatches:
        problems.append(report("URSSAF debt at the 20th", debt_mismatches, len(rows)))
    if headcount_mismatches:
        problems.append(report("headcount", headcount_mismatches, len(rows)))
    assert not problems, "\n".join(problems)
