"""Diane_export_<YYYYMM>.txt (raw-sources §7.3): detailed annual accounts, wide by fiscal year.

Bureau van Dijk exports arrive twice a year (April and October batches, plus the first batch):
one row per company that filed new accounts since the previous export, with its accounts of the
last five fiscal years (empty years where nothing was filed yet). Diane covers most companies
that publish accounts, small ones less often. The file is UTF-16LE with a BOM, every field
quoted, CRLF; labels keep their real quirks (a trailing space, a typographic apostrophe, doubled
spaces that differ from one year to the next, years out of order); numbers use a decimal comma.

With a backfill, the exports due by the first batch all go to its extract, each in its own file,
but a fiscal year that a later export of the extract re-sends for the same company is left empty in
the older one (a line with no year left is dropped): the extract holds each (siren, year) once, in
the version of the latest export, which is the monthly run's state as of that batch, in about a
third of the rows the monthly files hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.sources.encodings import encode_ddmmyyyy
from orchestration.synthetic import csvtext
from orchestration.synthetic.accounts import Statements
from orchestration.synthetic.writers.base import Context, Writer
from orchestration.synthetic.writers.diane_fields import INTEGER, KEUR, RATIO
from orchestration.synthetic.writers.urssaf_common import company_names

_STATIC = {
    "nom_entreprise": "Nom de l'entreprise",
    "siren": "Numéro Siren",
    "statut_juridique": "Statut juridique ",
    "procedure_collective": "Procédure collective",
    "nombre_etablissements_secondaires": "Nombre d’ES",
    "nombre_filiales": "Nombre de filiales",
    "taille_groupe": "Taille de la Composition du Groupe",
}
_LEGAL_LABELS = {
    "5710": "SAS, société par actions simplifiée",
    "5499": "Société à responsabilité limitée (SARL)",
    "5599": "SA à conseil d'administration",
    "5699": "SA à directoire",
    "5202": "Société en nom collectif",
    "5485": "Société d'exercice libéral à responsabilité limitée",
    "5785": "Société d'exercice libéral par action simplifiée",
    "6540": "Société civile immobilière",
}
_YEARS = 5
_BLOCK_ROWS = 20_000  # companies joined into lines at once (exports of tiny and demo: one block)
_EXPORT_MONTHS = (3, 9)  # April and October (0 = January)


@dataclass
class _Export:
    """An export of a backfill's extract, held until the extract is complete."""

    t: int
    name: str
    header: list[str]
    rng: np.random.Generator
    rows: np.ndarray  # companies
    first_year: int
    filled: np.ndarray  # (row, year slot): a statement is shown
    cells: list[pa.Array]
    slots: list[int | None]  # year slot of each cell (None: a company-level column)


class DianeWriter(Writer):
    source = "diane"
    terminator = "\r\n"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.statements = Statements.of(self.economy, ctx.seed)
        c = self.economy.pop.companies
        rng = self.rng(-1)
        n = len(c)
        self.covered = rng.random(n) < np.where(
            c.base_size >= 50, 0.97, np.where(c.base_size >= 10, 0.85, 0.6)
        )
        self.names = np.char.upper(company_names(self.economy).astype(str))
        self.subsidiaries = np.where(c.base_size >= 50, rng.poisson(np.minimum(c.base_size / 150.0, 30.0)), 0)
        self.legal = np.array([_LEGAL_LABELS.get(code, "Autre forme juridique") for code in c.legal.tolist()])
        self.yearly: list[tuple[str, str, str]] = []  # (column, label, format)
        for column in self.contract.columns:
            if not column.source or column.name in _STATIC:
                continue
            kind = {"keur": "keur", "double": "ratio", "integer": "int", "date_ddmmyyyy": "date"}[
                column.decoder
            ]
            label = str(column.source)
            if label.startswith("Dot. d'exploit."):
                label = label.replace("et prov.", "et  prov.")  # a doubled space in every year
            self.yearly.append((column.name, label, kind))
        missing = [
            name
            for name, _, kind in self.yearly
            if kind != "date" and name not in {**KEUR, **RATIO, **INTEGER}
        ]
        if missing:
            raise ValueError(f"diane: no formula for {missing}")
        self.last_export = -1
        self._owed = False
        self._held: list[_Export] = []

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if t > tl.t_end:
            return
        self.statements.update(t)
        calendar = tl.index(t) % 12
        self._owed |= t == tl.t_start or (calendar in _EXPORT_MONTHS and tl.t_start < t)
        if self._owed and not self.is_late(t):  # a late export comes with the next batch
            self._export(t)
            self.last_export = t
            self._owed = False
        if tl.backfill and t == tl.t_first:
            self._write_extract()

    def _export(self, t: int) -> None:
        tl = self.timeline
        rng = self.rng(t)
        s = self.statements.table()
        company = s["company"].astype(np.int64)
        year = (s["closing_day"].astype("datetime64[Y]").astype(np.int64) + 1970) if len(company) else company
        top = tl.index(t) // 12
        years = np.arange(top - _YEARS + 1, top + 1)
        public = (s["filed"] < t) & self.covered[company] & (year >= years[0])
        fresh = public & (s["filed"] >= self.last_export)
        rows = np.unique(company[fresh])  # companies in the export, in index order
        rows = rows[np.argsort(self.economy.pop.companies.siren[rows], kind="stable")]
        position = np.full(len(self.covered), -1, np.int64)
        position[rows] = np.arange(len(rows))
        slot = np.full((len(rows), _YEARS), -1, np.int64)  # statement of each row and year
        picked = np.nonzero(public & (position[company] >= 0))[0]
        slot[position[company[picked]], year[picked] - years[0]] = picked

        header: list[str] = [
            "Marquée",
            *[_STATIC[k] for k in ("nom_entreprise", "siren", "statut_juridique", "procedure_collective")],
        ]
        static = self._static(t, rows)
        cells: list[pa.Array] = [csvtext.text(np.full(len(rows), "")), *static[:4]]
        slots: list[int | None] = [None] * len(cells)
        statics_rest = static[4:]
        texts = self._texts(s, picked, rng)
        take = np.where(slot >= 0, np.searchsorted(picked, np.maximum(slot, 0)), -1)
        for index, (name, label, _) in enumerate(self.yearly):
            if index == 4:  # the fixture's order: a few yearly fields, then the other statics
                header += [
                    _STATIC[k]
                    for k in ("nombre_etablissements_secondaires", "nombre_filiales", "taille_groupe")
                ]
                header.append("Dernière année disponible")
                cells += statics_rest
                latest = np.where(slot >= 0, years, 0).max(axis=1) if len(rows) else np.zeros(0, np.int64)
                cells.append(csvtext.where(latest > 0, csvtext.integers(latest), ""))
                slots += [None] * (len(statics_rest) + 1)
            for k in rng.permutation(_YEARS):
                header.append(_quirky(rng, label) + f" {years[k]}")
                cells.append(texts[name].take(pa.array(take[:, k], mask=take[:, k] < 0)))  # null: empty
                slots.append(int(k))
        prefix = "Diane" if rng.random() < 0.7 else "diane"
        if tl.in_extract(t):  # the exports of a backfill's extract sort by name in delivery order
            prefix = "Diane"
        name = f"{prefix}_export_{str(tl.first_days[t])[:7].replace('-', '')}.txt"
        if tl.in_extract(t):
            self._held.append(_Export(t, name, header, rng, rows, int(years[0]), slot >= 0, cells, slots))
            return
        self._deliver(t, name, header, cells, rng)

    def _deliver(
        self, t: int, name: str, header: list[str], cells: list[pa.Array], rng: np.random.Generator
    ) -> None:
        """Join and write the lines a block of companies at a time: a national export is about
        300 fields wide, and its lines plus their UTF-16 encoding would otherwise take gigabytes."""
        handle = self.open(t, header, name=name, quote_header=True)
        rows = len(cells[0])
        for start in range(0, max(rows, 1), _BLOCK_ROWS):
            self.write(handle, _lines([cell.slice(start, _BLOCK_ROWS) for cell in cells]), rng)
        self.close(handle)

    def _write_extract(self) -> None:
        """The held exports, newest first: a year a newer export shows for the same company is
        emptied (every export shows all the public statements of its five years)."""
        covered_from = np.full(len(self.covered), np.iinfo(np.int64).max, np.int64)  # by newer exports
        for export in reversed(self._held):
            years = export.first_year + np.arange(_YEARS)
            kept = export.filled & (years[None, :] < covered_from[export.rows][:, None])
            covered_from[export.rows] = np.minimum(covered_from[export.rows], export.first_year)
            blank = pa.scalar(None, pa.string())
            cells = [
                cell if k is None else pc.if_else(pa.array(kept[:, k]), cell, blank)
                for cell, k in zip(export.cells, export.slots, strict=True)
            ]
            export.cells = [pc.filter(cell, pa.array(kept.any(axis=1))) for cell in cells]
        for export in self._held:
            self._deliver(export.t, export.name, export.header, export.cells, export.rng)
        self._held = []

    def _static(self, t: int, rows: np.ndarray) -> list[pa.Array]:
        economy = self.economy
        e = economy.pop.establishments
        day = self.timeline.first_days[t]
        opened = ~np.isnat(economy.opening_day[rows]) & (economy.opening_day[rows] < day)
        open_est = economy.est_open & ~e.head & ~e.pseudo
        secondary = np.bincount(e.company[open_est], minlength=len(self.covered))[rows]
        subsidiaries = self.subsidiaries[rows]
        return [
            csvtext.text(np.char.replace(self.names[rows], '"', '""')),
            csvtext.text(economy.pop.companies.siren[rows]),
            csvtext.text(self.legal[rows]),
            csvtext.choose(opened.astype(np.int64), ["Non", "Oui"]),
            csvtext.integers(secondary),
            csvtext.integers(subsidiaries),
            csvtext.where(subsidiaries > 0, csvtext.integers(subsidiaries + 1), ""),
        ]

    def _texts(
        self, s: dict[str, np.ndarray], picked: np.ndarray, rng: np.random.Generator
    ) -> dict[str, pa.Array]:
        """The text of every yearly field of the picked statements (formatted once per field)."""
        chosen = {k: v[picked] for k, v in s.items()}
        texts: dict[str, pa.Array] = {}
        for name, _, kind in self.yearly:
            if kind == "date":
                texts[name] = csvtext.encoded_days(chosen["closing_day"], encode_ddmmyyyy)
                continue
            v = np.asarray({**KEUR, **RATIO, **INTEGER}[name](chosen), dtype=np.float64)
            if kind == "keur":
                text = csvtext.integers(np.nan_to_num(np.rint(v / 1000.0)))
            elif kind == "int":
                text = csvtext.integers(np.nan_to_num(v))
            else:
                v = np.round(np.clip(v, -99_999.0, 99_999.0), 2) + 0.0  # + 0.0: no "-0"
                text = pc.replace_substring(pc.cast(pa.array(v), pa.string()), ".", ",")
                padded = (v >= 0) & (v < 10) & (rng.random(len(v)) < 0.02)  # `09,42`
                text = csvtext.where(padded, pc.binary_join_element_wise("0", text, ""), text)
            texts[name] = csvtext.where(np.isnan(v), "", text)
        return texts


def _lines(cells: list[pa.Array]) -> pa.Array:
    """Every field quoted, `;`-separated (null cells are empty)."""
    lines = pc.binary_join_element_wise(*cells, '";"', null_handling="replace", null_replacement="")
    return pc.binary_join_element_wise('"', lines, '"', "")


def _quirky(rng: np.random.Generator, label: str) -> str:
    """Now and then a space of the label is doubled (normalisation collapses it)."""
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    if spaces and rng.random() < 0.04:
        i = spaces[int(rng.integers(0, len(spaces)))]
        return label[:i] + " " + label[i:]
    return label
