"""StockEtablissementHistorique_utf8.csv (raw-sources §4.3): the monthly establishment history.

Each establishment INSEE knows has its periods, newest first: a closed one starts with its `F`
period (from the closing day, `changementEtatAdministratif` true), then its active period, then
the periods before the simulation (contiguous, each started by a change of activity or of
employer character; activities older than 2008 are NAF rév. 1 codes). The current period agrees
with the establishment stock of the same batch: same state, same start, same employer character,
and closures appear after the same INSEE processing lag. The oldest period sometimes has no
start (`dateDebut` empty), as in the real file.
"""

from __future__ import annotations

import zlib

import numpy as np
import pyarrow as pa

from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import SIRENE_HISTO_HEADER, checked_header
from orchestration.synthetic.sectors import NAF_REV1_CODES, with_dot
from orchestration.synthetic.writers.base import Context
from orchestration.synthetic.writers.insee_common import (
    NO_BAND,
    InseeStockWriter,
    employer_bands,
    past_periods,
    sirene_rows,
)

F_SLOT, A_SLOT, OLD_SLOT = 0, 1, 2
NAF_REV2_START = np.datetime64("2008-01-01")
DYNAMIC = (
    "dateFin",
    "dateDebut",
    "caractereEmployeurEtablissement",
    "changementCaractereEmployeurEtablissement",
)
_BOOL = ["false", "true"]


class SireneHistoWriter(InseeStockWriter):
    source = "sirene_histo"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        economy = self.economy
        e = economy.pop.establishments
        self.est = sirene_rows(economy)
        r = self.est
        # The same draw as the establishment stock, so both tell the same story.
        sirene_rng = np.random.default_rng([ctx.seed, zlib.crc32(b"sirene"), 0, 0])
        periods, change_day = past_periods(economy, r, sirene_rng)
        # Establishments closed before the simulation changed before they closed.
        closed_before = economy.est_close_day[r]
        late_change = ~np.isnat(closed_before) & (change_day >= closed_before)
        change_day = np.where(late_change, np.maximum(e.creation_day[r], closed_before - 1), change_day)
        rng = self.rng(-1)

        # One slot per period an establishment can have: F (closing), A (current), older ones.
        slots = periods + 1
        self.of = np.repeat(np.arange(len(r)), slots)  # establishment (position in r) of each slot
        first = np.r_[0, np.cumsum(slots)[:-1]]
        rank = np.arange(len(self.of)) - np.repeat(first, slots)
        self.kind = np.minimum(rank, OLD_SLOT)
        n = len(self.of)
        creation = e.creation_day[r][self.of]
        change = change_day[self.of]

        # Older periods: random boundaries between the creation and the current period's start.
        old = self.kind == OLD_SLOT
        owner = self.of[old]
        u = rng.random(int(old.sum()))
        u = u[np.lexsort((-u, owner))]  # descending within each establishment: newest first
        oldest = np.r_[owner[1:] != owner[:-1], True]
        u[oldest] = 0.0
        span = (change[old] - creation[old]).astype(np.int64)
        old_start = creation[old] + (u * span).astype(np.int64).astype("timedelta64[D]")
        newest = np.r_[True, owner[1:] != owner[:-1]]
        old_end = np.where(newest, change[old], np.r_[old_start[:1], old_start[:-1]]) - 1
        self.start = np.where(self.kind == A_SLOT, change, np.datetime64("NaT"))
        self.start[old] = np.where(oldest & ~e.show_creation[r][owner], np.datetime64("NaT"), old_start)
        self.old_end = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        self.old_end[old] = old_end
        self.degenerate = np.zeros(n, dtype=bool)
        self.degenerate[old] = old_end < old_start

        # What changed at the start of each period (none for an establishment's first period).
        has_older = np.r_[self.kind[1:] == OLD_SLOT, False] & (self.kind != F_SLOT)
        activity_change = has_older & (rng.random(n) < 0.5)
        employer_change = has_older & ~activity_change
        group_first = np.repeat(first, slots)
        above_activity = _cumulative_before(activity_change, group_first)
        above_employer = _cumulative_before(employer_change.astype(np.int64), group_first)
        naf = e.naf[r][self.of].astype("U6")
        nomenclature = e.nomenclature[r][self.of].astype("U7")
        replaced = old & (above_activity > 0)
        pre_2008 = replaced & (self.old_end < NAF_REV2_START)
        naf[pre_2008] = rng.choice(NAF_REV1_CODES, int(pre_2008.sum()))
        nomenclature[pre_2008] = "NAFRev1"
        later = replaced & ~pre_2008
        companies = economy.pop.companies
        naf[later] = with_dot(companies.subclass[rng.integers(0, len(companies), int(later.sum()))])
        employed_at_start = economy.est_headcount[r, 0][self.of] > 0
        self.old_employer = employed_at_start ^ (above_employer % 2 == 1)
        self.employer_change = employer_change
        self.a_employer = np.zeros(len(r), dtype=bool)  # frozen at closure

        es = e.siret[r][self.of]
        text = csvtext.text
        static = {
            "siren": text(economy.pop.companies.siren[e.company[r]][self.of]),
            "nic": text(e.nic[r][self.of]),
            "siret": text(es),
            "etatAdministratifEtablissement": csvtext.choose(
                (self.kind == F_SLOT).astype(np.int64), ["A", "F"]
            ),
            "changementEtatAdministratifEtablissement": csvtext.choose(
                (self.kind == F_SLOT).astype(np.int64), _BOOL
            ),
            "enseigne1Etablissement": csvtext.quote_rfc4180(text(e.enseigne[r][self.of])),
            "changementEnseigneEtablissement": "false",
            "denominationUsuelleEtablissement": csvtext.quote_rfc4180(text(e.usual_name[r][self.of])),
            "changementDenominationUsuelleEtablissement": "false",
            "activitePrincipaleEtablissement": text(naf),
            "nomenclatureActivitePrincipaleEtablissement": text(nomenclature),
            "changementActivitePrincipaleEtablissement": csvtext.choose(
                activity_change.astype(np.int64), _BOOL
            ),
        }
        self._header = checked_header(self.source, SIRENE_HISTO_HEADER)
        self.setup(self._header, static, DYNAMIC, n)

    def due(self, t: int) -> bool:
        tl = self.timeline
        return tl.t_start <= t <= tl.t_end and (t - tl.t_start) % self.ctx.cadence.history_every == 0

    def after_step(self, t: int) -> None:
        if not self.due(t):
            return
        tl = self.timeline
        economy = self.economy
        r = self.est
        batch_day = tl.first_days[t]
        opened, close = economy.est_open_day[r], economy.est_close_day[r]
        seen = ~np.isnat(opened) & (opened + economy.creation_lag[r] < batch_day)
        closed = ~np.isnat(close) & (close + economy.closure_lag[r] < batch_day)
        _, band = employer_bands(economy, r, t)
        self.a_employer = np.where(closed, self.a_employer, (band != NO_BAND) & (band != 0))
        if self.superseded(t):  # the employer character above is still followed from delivery to delivery
            return

        of, kind = self.of, self.kind
        closed_slot = closed[of]
        visible = seen[of] & np.where(kind == F_SLOT, closed_slot, ~self.degenerate)
        start = np.where(kind == F_SLOT, close[of], self.start)
        a_end = np.maximum(close[of] - 1, self.start)
        end = np.where(
            kind == OLD_SLOT,
            self.old_end,
            np.where((kind == A_SLOT) & closed_slot, a_end, np.datetime64("NaT")),
        )
        a_employer = self.a_employer[of]
        employer = np.where(kind == A_SLOT, a_employer, np.where(kind == F_SLOT, False, self.old_employer))
        employer_change = np.where(kind == F_SLOT, a_employer, self.employer_change)
        state = {
            "start": start.astype(np.int64),
            "end": end.astype(np.int64),
            "employer": employer,
            "employer_change": employer_change,
        }

        def render(rows: np.ndarray) -> dict[str, pa.Array]:
            return {
                "dateFin": csvtext.iso_days(end[rows]),
                "dateDebut": csvtext.iso_days(start[rows]),
                "caractereEmployeurEtablissement": csvtext.choose(
                    employer[rows].astype(np.int64), ["N", "O"]
                ),
                "changementCaractereEmployeurEtablissement": csvtext.choose(
                    employer_change[rows].astype(np.int64), _BOOL
                ),
            }

        self.deliver(t, self._header, visible, state, render)


def _cumulative_before(flags: np.ndarray, group_first: np.ndarray) -> np.ndarray:
    """For each slot, how many flags are set on the earlier slots of its establishment."""
    flags = flags.astype(np.int64)
    total = np.cumsum(flags)
    before = total - flags
    return before - np.where(group_first > 0, total[group_first - 1], 0)
