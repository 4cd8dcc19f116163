"""StockUniteLegale_utf8.csv (raw-sources §4.2): the monthly legal-unit stock.

A unit becomes `C` (ceased) once all its establishments are closed and processed. Sole traders
carry names instead of a denomination; partially diffusible ones hide them behind [ND].
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import insee_header
from orchestration.synthetic.sectors import with_dot
from orchestration.synthetic.writers.base import Context
from orchestration.synthetic.writers.insee_common import (
    BAND_LABELS,
    NO_BAND,
    InseeStockWriter,
    band_index,
    band_reference,
    timestamps,
)

DYNAMIC = (
    "trancheEffectifsUniteLegale",
    "anneeEffectifsUniteLegale",
    "dateDernierTraitementUniteLegale",
    "nombrePeriodesUniteLegale",
    "categorieEntreprise",
    "anneeCategorieEntreprise",
    "dateDebut",
    "etatAdministratifUniteLegale",
    "caractereEmployeurUniteLegale",
)


class SireneUlWriter(InseeStockWriter):
    source = "sirene_ul"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        pop = self.economy.pop
        c = pop.companies
        e = pop.establishments
        rng = self.rng(-1)
        self.order = np.argsort(c.siren, kind="stable")
        o = self.order
        n = len(o)
        self.head = c.head[o]
        self.periods = 1 + rng.poisson(0.8, n)
        self.seconds = rng.integers(0, 86_400, n)
        hidden = c.diffusion[o] == "P"
        nd = lambda values: np.where(hidden & (values != ""), "[ND]", values)  # noqa: E731
        person = {k: v[o] for k, v in c.person.items()}
        association = np.char.startswith(c.legal[o], "92")
        rna = np.char.add("W", np.char.zfill(rng.integers(0, 10**9, n).astype(str), 9))
        static = {
            "siren": csvtext.text(c.siren[o]),
            "statutDiffusionUniteLegale": csvtext.text(c.diffusion[o]),
            "dateCreationUniteLegale": csvtext.iso_days(c.creation_day[o]),
            "sigleUniteLegale": csvtext.quote_rfc4180(csvtext.text(c.sigle[o])),
            "sexeUniteLegale": csvtext.text(nd(person["sexe"])),
            "prenom1UniteLegale": csvtext.text(nd(person["prenom1"])),
            "prenom2UniteLegale": csvtext.text(nd(person["prenom2"])),
            "prenomUsuelUniteLegale": csvtext.text(nd(person["prenom_usuel"])),
            "identifiantAssociationUniteLegale": csvtext.text(
                np.where(association & (rng.random(n) < 0.7), rna, "")
            ),
            "nomUniteLegale": csvtext.text(nd(person["nom"])),
            "denominationUniteLegale": csvtext.quote_rfc4180(csvtext.text(c.denomination[o])),
            "categorieJuridiqueUniteLegale": csvtext.text(c.legal[o]),
            "activitePrincipaleUniteLegale": csvtext.text(with_dot(c.subclass[o])),
            "nomenclatureActivitePrincipaleUniteLegale": csvtext.text(np.full(n, "NAFRev2")),
            "nicSiegeUniteLegale": csvtext.text(e.nic[self.head]),
            "economieSocialeSolidaireUniteLegale": csvtext.text(c.ess[o]),
            "societeMissionUniteLegale": csvtext.text(c.mission[o]),
        }
        self.setup(insee_header(self.source, 0), static, DYNAMIC, n)
        # Establishments grouped by company (they are sorted by company in the population).
        self._starts = np.searchsorted(e.company, np.arange(len(c) + 1))

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if not tl.t_start <= t <= tl.t_end or self.superseded(t):
            return
        economy = self.economy
        c = economy.pop.companies
        e = economy.pop.establishments
        o = self.order
        batch_day = tl.first_days[t]
        head_seen = economy.est_open_day[self.head] + economy.creation_lag[self.head]
        visible = ~np.isnat(head_seen) & (head_seen < batch_day)
        # Ceased once every establishment is closed and processed.
        closed_seen = economy.est_close_day + economy.closure_lag
        done = ~np.isnat(closed_seen) & (closed_seen < batch_day)
        irrelevant = np.isnat(economy.est_open_day) | e.pseudo
        all_closed = np.logical_and.reduceat(done | irrelevant, self._starts[:-1])[o]
        last_close = np.fmax.reduceat(
            np.where(done, economy.est_close_day, np.datetime64("NaT")).astype("datetime64[D]"),
            self._starts[:-1],
        )[o]
        last_seen = np.fmax.reduceat(
            np.where(done, closed_seen, np.datetime64("NaT")).astype("datetime64[D]"), self._starts[:-1]
        )[o]
        ceased = all_closed & ~np.isnat(last_close) & ~np.isnat(economy.end_day[o])
        year, refresh, december = band_reference(tl, t)
        headcount = economy.headcount[o, december]
        existed = c.creation_day[o] < tl.first_days[december + 1]
        band = np.where(existed, band_index(headcount), NO_BAND)
        category = np.where(headcount >= 5000, 2, np.where(headcount >= 250, 1, 0))
        processed = np.where(head_seen < refresh, refresh, head_seen)
        processed = np.where(ceased, np.maximum(processed, last_seen), processed)
        employer = ~ceased & (band != NO_BAND) & (band != 0)
        category = np.where(existed, category, 3)
        debut = np.where(ceased, last_close, c.creation_day[o])
        state = {
            "band": band,
            "category": category,
            "processed": processed.astype(np.int64),
            "ceased": ceased,
            "employer": employer,
            "existed": existed,
        }

        def render(rows: np.ndarray) -> dict[str, pa.Array]:
            return {
                "trancheEffectifsUniteLegale": csvtext.choose(band[rows], BAND_LABELS),
                "anneeEffectifsUniteLegale": csvtext.choose(
                    (band[rows] != NO_BAND).astype(np.int64), ["", str(year)]
                ),
                "dateDernierTraitementUniteLegale": timestamps(processed[rows], self.seconds[rows]),
                "nombrePeriodesUniteLegale": csvtext.integers((self.periods + ceased)[rows]),
                "categorieEntreprise": csvtext.choose(category[rows], ["PME", "ETI", "GE", ""]),
                "anneeCategorieEntreprise": csvtext.choose(existed[rows].astype(np.int64), ["", str(year)]),
                "dateDebut": csvtext.iso_days(debut[rows]),
                "etatAdministratifUniteLegale": csvtext.choose(ceased[rows].astype(np.int64), ["A", "C"]),
                "caractereEmployeurUniteLegale": csvtext.choose(employer[rows].astype(np.int64), ["N", "O"]),
            }

        self.deliver(t, insee_header(self.source, tl.index(t)), visible, state, render)
