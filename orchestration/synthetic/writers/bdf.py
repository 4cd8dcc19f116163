"""bdf_<YYYY>.csv (raw-sources §7.4, optional source): Banque de France balance-sheet ratios.

Once a year (June batch; the first batch carries the history) the ratios of the balance sheets
the Banque de France collected since the previous file: companies with a turnover of at least
750 k€. The siren is written with spaces, the campaign year is the closing year + 1, the closing
date is DDMMMYYYY with English tokens (some files use French ones), and the file ends with a
blank line.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.synthetic import csvtext
from orchestration.synthetic import ratios as r
from orchestration.synthetic.accounts import Statements
from orchestration.synthetic.layouts import BDF_HEADER, checked_header
from orchestration.synthetic.sectors import SECTION_LETTERS
from orchestration.synthetic.writers.base import Context, Writer
from orchestration.synthetic.writers.urssaf_common import company_names

_EXPORT_MONTH = 5  # June
_MIN_TURNOVER = 750_000.0
_EN = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_FR = ["janv", "févr", "mars", "avr", "mai", "juin", "juil", "août", "sept", "oct", "nov", "déc"]
_REGIONS = {
    "01": "GUADELOUPE",
    "02": "MARTINIQUE",
    "03": "GUYANE",
    "04": "LA REUNION",
    "06": "MAYOTTE",
    "11": "ILE DE FRANCE",
    "24": "CENTRE-VAL DE LOIRE",
    "27": "BOURGOGNE-FRANCHE-COMTE",
    "28": "NORMANDIE",
    "32": "HAUTS-DE-FRANCE",
    "44": "GRAND EST",
    "52": "PAYS DE LA LOIRE",
    "53": "BRETAGNE",
    "75": "NOUVELLE-AQUITAINE",
    "76": "OCCITANIE",
    "84": "AUVERGNE-RHONE-ALPES",
    "93": "PROVENCE-ALPES-COTE D'AZUR",
    "94": "CORSE",
}
_SECTORS = {
    "A": "07 Agriculture",
    "F": "02 Construction",
    "G": "03 Commerce",
    "I": "06 Services aux particuliers",
    "R": "06 Services aux particuliers",
    "S": "06 Services aux particuliers",
    "Q": "06 Services aux particuliers",
    "P": "06 Services aux particuliers",
}
_INDUSTRY = "01 Industrie et Transports (Hors TRM)"


class BdfWriter(Writer):
    source = "bdf"
    trailing_blank = True

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self._header = checked_header(self.source, BDF_HEADER)
        self.statements = Statements.of(self.economy, ctx.seed)
        c = self.economy.pop.companies
        section = SECTION_LETTERS[c.section]
        industry = np.isin(section, ["B", "C", "D", "E", "H"])
        trm = np.char.startswith(c.subclass, "4941")
        sector = np.array([_SECTORS.get(s, "05 Services aux entreprises") for s in section.tolist()])
        sector = np.where(industry, _INDUSTRY, sector)
        self.sector = np.where(trm, "04 Transports routiers de marchandises", sector)
        e = self.economy.pop.establishments
        self.postcode = e.postcode[c.head]
        self.region = np.array(
            [_REGIONS.get(code, "") for code in self.economy.pop.regions[c.region].tolist()]
        )
        self.names = np.char.upper(company_names(self.economy).astype(str))
        self.last_export = -1
        self._owed = False

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if t > tl.t_end:
            return
        self.statements.update(t)
        if t < tl.t_start:
            return
        self._owed |= t == tl.t_start or tl.index(t) % 12 == _EXPORT_MONTH
        if not self._owed or self.is_late(t):  # a late file comes with the next batch
            return
        self._owed = False
        rng = self.rng(t)
        s = self.statements.table()
        if len(s["company"]):
            pick = np.nonzero(
                (s["filed"] < t) & (s["filed"] >= self.last_export) & (s["ca"] >= _MIN_TURNOVER)
            )[0]
        else:
            pick = np.zeros(0, np.int64)
        self.last_export = t
        chosen = {k: v[pick] for k, v in s.items()}
        company = chosen["company"].astype(np.int64)
        closing = chosen["closing_day"]
        year = closing.astype("datetime64[Y]").astype(np.int64) + 1970
        month = closing.astype("datetime64[M]").astype(np.int64) % 12
        day = (closing - closing.astype("datetime64[M]")).astype(np.int64) + 1
        tokens = _FR if rng.random() < 0.3 else _EN
        siren = self.economy.pop.companies.siren[company]
        spaced = np.char.add(
            np.char.add(np.char.add(np.char.add(siren.astype("U3"), " "), _mid(siren)), " "), _end(siren)
        )
        ebe_extra = chosen["ebe"] + chosen["produits_exceptionnels"] - chosen["charges_exceptionnelles"]
        ratios = {
            "POIDS_FRNG": r.div(r.working_capital(chosen), chosen["ca"], 100),
            "TX_MARGE": r.div(chosen["ebe"], chosen["va"], 100),
            "DELAI_FRS": r.div(chosen["dettes_fournisseurs"], r.purchases(chosen), 360),
            "POIDS_DFISC_SOC": r.div(chosen["dettes_fiscales_sociales"], chosen["va"], 100),
            "POIDS_FIN_CT": r.div(chosen["concours_bancaires"], chosen["ca"], 100),
            "POIDS_FRAIS_FIN": r.div(chosen["charges_financieres"], ebe_extra, 100),
        }
        columns = {
            "D1": csvtext.text(spaced),
            "ANNEE": csvtext.integers(year + 1),
            "ARRETE_BILAN": pc.binary_join_element_wise(
                csvtext.integers(day, 2), csvtext.choose(month, tokens), csvtext.integers(year), ""
            ),
            "DENOM": csvtext.text(np.char.replace(self.names[company], ";", " ")),
            "CP": csvtext.text(self.postcode[company]),
            "REGION": csvtext.text(self.region[company]),
            "SECTEUR": csvtext.text(self.sector[company]),
        }
        for name, values in ratios.items():
            columns[name] = csvtext.fixed(np.round(values, 1), 1)
        lines = csvtext.join([columns[h] for h in self._header], ";", len(pick))
        order = np.lexsort((closing, siren))
        handle = self.open(t, self._header, name=f"bdf_{tl.index(t) // 12}.csv")
        self.write(handle, lines.take(pa.array(order)), rng)
        self.close(handle)


def _mid(siren: np.ndarray) -> np.ndarray:
    return np.array([s[3:6] for s in siren.tolist()], dtype="U3")


def _end(siren: np.ndarray) -> np.ndarray:
    return np.array([s[6:] for s in siren.tolist()], dtype="U3")
