"""StockEtablissement_utf8_geo.csv (raw-sources §4.1): the monthly establishment stock.

The stock of batch m shows the register as INSEE had processed it before the 1st of m: creations
and closures appear after a processing lag, bands are refreshed once a year. Some old closed
establishments keep NAF rév. 1 codes, partially diffusible ones hide their address behind [ND],
a few rows are not geocoded (empty coordinates, score 0) or carry NOT_VALID coordinates.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchestration.synthetic import csvtext
from orchestration.synthetic.layouts import insee_header
from orchestration.synthetic.writers.base import Context
from orchestration.synthetic.writers.insee_common import (
    BAND_LABELS,
    NO_BAND,
    InseeStockWriter,
    band_index,
    band_reference,
    past_periods,
    sirene_rows,
    timestamps,
)

_STREET_WORDS = {
    "RUE": "Rue",
    "AV": "Avenue",
    "BD": "Boulevard",
    "PL": "Place",
    "CHE": "Chemin",
    "RTE": "Route",
    "ALL": "Allee",
    "IMP": "Impasse",
    "QUAI": "Quai",
    "ZA": "Zone Artisanale",
    "LD": "Lieu-dit",
    "CRS": "Cours",
    "AVENUE": "Avenue",
    "CHEMIN": "Chemin",
}
DYNAMIC = (
    "trancheEffectifsEtablissement",
    "anneeEffectifsEtablissement",
    "dateDernierTraitementEtablissement",
    "nombrePeriodesEtablissement",
    "dateDebut",
    "etatAdministratifEtablissement",
    "caractereEmployeurEtablissement",
)


class SireneWriter(InseeStockWriter):
    source = "sirene"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        economy = self.economy
        pop = economy.pop
        e = pop.establishments
        rng = self.rng(-1)
        self.rows = sirene_rows(economy)
        r = self.rows
        n = len(r)
        created_in_sim = e.creation_day[r] >= self.timeline.first_days[0]
        self.periods, self.change_day = past_periods(economy, r, rng)
        self.seconds = rng.integers(0, 86_400, n)

        text = csvtext.text
        hidden = e.diffusion[r] == "P"
        nd = lambda values: csvtext.where(hidden, "[ND]", text(values))  # noqa: E731
        coords = e.coordinates[r]
        geocoded = ~np.isnan(coords[:, 0]) & ~hidden & (rng.random(n) > 0.03)
        not_valid = geocoded & (rng.random(n) < 0.0005)
        lon = csvtext.where(
            not_valid, "NOT_VALID", csvtext.fixed(np.where(geocoded, coords[:, 0], np.nan), 6)
        )
        lat = csvtext.where(
            not_valid, "NOT_VALID", csvtext.fixed(np.where(geocoded, coords[:, 1], np.nan), 6)
        )
        geo_type = csvtext.choose(
            np.where(rng.random(n) < 0.75, 0, np.where(rng.random(n) < 0.7, 1, 2)),
            ["housenumber", "street", "municipality"],
        )
        score = pc.binary_join_element_wise("0.", csvtext.integers(rng.integers(45, 100, n), 2), "")
        number, kind, name = text(e.street_number[r]), text(e.street_type[r]), text(e.street_name[r])
        street = csvtext.spaced(number, kind, name)
        words = csvtext.mapped(e.street_type[r], lambda code: _STREET_WORDS.get(code, code.title()))
        postcode, commune = text(e.postcode[r]), text(e.commune_label[r])
        adresse = csvtext.spaced(number, words, pc.utf8_title(name), postcode, pc.utf8_title(commune))
        commune_code = text(e.commune_code[r])
        geo_id = pc.binary_join_element_wise(
            commune_code,
            csvtext.integers(rng.integers(0, 9999, n), 4),
            pc.utf8_lpad(number, width=5, padding="0"),
            "_",
        )
        abroad = e.foreign_country[r] != ""
        shown_creation = e.show_creation[r] | created_in_sim
        company = e.company[r]
        static = {
            "siren": text(pop.companies.siren[company]),
            "nic": text(e.nic[r]),
            "siret": text(e.siret[r]),
            "statutDiffusionEtablissement": text(e.diffusion[r]),
            "dateCreationEtablissement": csvtext.where(
                shown_creation, csvtext.iso_days(e.creation_day[r]), ""
            ),
            "etablissementSiege": csvtext.choose(e.head[r].astype(np.int64), ["false", "true"]),
            "complementAdresseEtablissement": csvtext.quote_rfc4180(nd(e.complement[r])),
            "numeroVoieEtablissement": nd(e.street_number[r]),
            "indiceRepetitionEtablissement": nd(e.repetition[r]),
            "typeVoieEtablissement": nd(e.street_type[r]),
            "libelleVoieEtablissement": csvtext.quote_rfc4180(nd(e.street_name[r])),
            "codePostalEtablissement": postcode,
            "libelleCommuneEtablissement": csvtext.quote_rfc4180(csvtext.where(abroad, "", commune)),
            "libelleCommuneEtrangerEtablissement": csvtext.where(abroad, commune, ""),
            "codeCommuneEtablissement": commune_code,
            "codePaysEtrangerEtablissement": text(e.foreign_country[r]),
            "libellePaysEtrangerEtablissement": text(e.foreign_label[r]),
            "enseigne1Etablissement": csvtext.quote_rfc4180(text(e.enseigne[r])),
            "denominationUsuelleEtablissement": csvtext.quote_rfc4180(text(e.usual_name[r])),
            "activitePrincipaleEtablissement": text(e.naf[r]),
            "nomenclatureActivitePrincipaleEtablissement": text(e.nomenclature[r]),
            "longitude": lon,
            "latitude": lat,
            "geo_score": csvtext.where(geocoded, score, "0"),
            "geo_type": csvtext.where(geocoded, geo_type, ""),
            "geo_adresse": csvtext.quote_rfc4180(csvtext.where(geocoded, adresse, "")),
            "geo_id": csvtext.where(geocoded, geo_id, ""),
            "geo_ligne": csvtext.where(geocoded, "G", ""),
            "geo_l4": csvtext.quote_rfc4180(csvtext.where(geocoded, street, "")),
        }
        self.setup(insee_header(self.source, 0), static, DYNAMIC, n)

    def after_step(self, t: int) -> None:
        tl = self.timeline
        if not tl.t_start <= t <= tl.t_end or self.superseded(t):
            return
        economy = self.economy
        r = self.rows
        batch_day = tl.first_days[t]
        opened = economy.est_open_day[r]
        closed_day = economy.est_close_day[r]
        visible = ~np.isnat(opened) & (opened + economy.creation_lag[r] < batch_day)
        closed = ~np.isnat(closed_day) & (closed_day + economy.closure_lag[r] < batch_day)
        year, refresh, december = band_reference(tl, t)
        dec_first, dec_next = tl.first_days[december], tl.first_days[december + 1]
        at_december = (
            ~np.isnat(opened) & (opened < dec_next) & (np.isnat(closed_day) | (closed_day >= dec_first))
        )
        band = np.where(at_december, band_index(economy.est_headcount[r, december]), NO_BAND)
        seen = opened + economy.creation_lag[r]
        processed = np.where(seen < refresh, refresh, seen)
        processed = np.where(closed, np.maximum(processed, closed_day + economy.closure_lag[r]), processed)
        employer = ~closed & (band != NO_BAND) & (band != 0)
        debut = np.where(closed, closed_day, self.change_day)
        state = {
            "band": band,
            "processed": processed.astype(np.int64),
            "closed": closed,
            "employer": employer,
        }

        def render(rows: np.ndarray) -> dict[str, pa.Array]:
            return {
                "trancheEffectifsEtablissement": csvtext.choose(band[rows], BAND_LABELS),
                "anneeEffectifsEtablissement": csvtext.choose(
                    (band[rows] != NO_BAND).astype(np.int64), ["", str(year)]
                ),
                "dateDernierTraitementEtablissement": timestamps(processed[rows], self.seconds[rows]),
                "nombrePeriodesEtablissement": csvtext.integers((self.periods + closed)[rows]),
                "dateDebut": csvtext.iso_days(debut[rows]),
                "etatAdministratifEtablissement": csvtext.choose(closed[rows].astype(np.int64), ["A", "F"]),
                "caractereEmployeurEtablissement": csvtext.choose(
                    employer[rows].astype(np.int64), ["N", "O"]
                ),
            }

        # The NAF 2025 column (empty) is appended from 2025-12.
        self.deliver(t, insee_header(self.source, tl.index(t)), visible, state, render)
