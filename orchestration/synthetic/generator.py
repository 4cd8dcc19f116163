"""Entry point: generate a landing folder of monthly deliveries and its ground truth."""

from __future__ import annotations

import gc
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from orchestration.synthetic import csvtext
from orchestration.synthetic.dynamics import Economy
from orchestration.synthetic.geography import Geography
from orchestration.synthetic.memory import (
    MEMORY_TRACE_VARIABLE,
    MemoryTrace,
    limit_heap_growth,
    release_free_memory,
    system_allocator,
)
from orchestration.synthetic.oracle import window_probabilities
from orchestration.synthetic.population import build_population
from orchestration.synthetic.reference import load_reference
from orchestration.synthetic.shocks import Shocks
from orchestration.synthetic.tiers import TIERS
from orchestration.synthetic.timeline import HORIZON, Timeline, index_text
from orchestration.synthetic.truth import write_companies, write_establishments, write_manifest, write_oracle
from orchestration.synthetic.writers.apconso import ApconsoWriter
from orchestration.synthetic.writers.apdemande import ApdemandeWriter
from orchestration.synthetic.writers.base import Context
from orchestration.synthetic.writers.bdf import BdfWriter
from orchestration.synthetic.writers.ccsf import CcsfWriter
from orchestration.synthetic.writers.cotisation import CotisationWriter
from orchestration.synthetic.writers.debit import DebitWriter
from orchestration.synthetic.writers.delai import DelaiWriter
from orchestration.synthetic.writers.diane import DianeWriter
from orchestration.synthetic.writers.effectif import EffectifWriter
from orchestration.synthetic.writers.effectif_ent import EffectifEntWriter
from orchestration.synthetic.writers.paydex import PaydexWriter
from orchestration.synthetic.writers.procol import ProcolWriter
from orchestration.synthetic.writers.ratios_inpi_bce import RatiosInpiBceWriter
from orchestration.synthetic.writers.sirene import SireneWriter
from orchestration.synthetic.writers.sirene_histo import SireneHistoWriter
from orchestration.synthetic.writers.sirene_ul import SireneUlWriter

DEFAULT_MALFORMED_SHARE = 0.002
WRITERS = (
    SireneWriter,
    SireneUlWriter,
    SireneHistoWriter,
    EffectifWriter,
    EffectifEntWriter,
    DebitWriter,
    CotisationWriter,
    DelaiWriter,
    CcsfWriter,
    ProcolWriter,
    ApdemandeWriter,
    ApconsoWriter,
    PaydexWriter,
    RatiosInpiBceWriter,
    DianeWriter,
    BdfWriter,
)

# After each simulated month the writers run in two lanes side by side: their work is mostly
# pyarrow and numpy, which release the GIL. Writers sharing a state object (AccountText and
# AccountDebt, PartialActivity, Statements) stay in one lane; the lanes carry about the same work
# at national scale (the INSEE stocks, the headcounts and paydex against the others). Each file is
# written by one writer, with its own randomness: the bytes do not depend on how lanes interleave.
INSEE_LANE = (
    SireneWriter,
    SireneUlWriter,
    SireneHistoWriter,
    EffectifWriter,
    EffectifEntWriter,
    PaydexWriter,
)
LANES = (tuple(w for w in WRITERS if w not in INSEE_LANE), INSEE_LANE)
WRITER_ORDER = {cls.source: i for i, cls in enumerate(WRITERS)}


@dataclass(frozen=True)
class Summary:
    tier: str
    seed: int
    start: str
    end: str
    companies: int
    establishments: int
    files: int
    rows: int  # data lines written, malformed ones included
    malformed_lines: int
    oracle_rows: int
    elapsed_seconds: float


def _check_dirs(landing_dir: Path, truth_dir: Path) -> None:
    landing, truth = landing_dir.resolve(), truth_dir.resolve()
    if truth == landing or landing in truth.parents:
        raise ValueError(f"the truth folder {truth} must not be inside the landing folder {landing}")
    # Mixing two economies in one landing folder would corrupt both (hidden files are tolerated).
    if landing.exists() and any(not p.name.startswith(".") for p in landing.iterdir()):
        raise ValueError(f"the landing folder {landing} is not empty: generate into an empty folder")


@system_allocator()  # Arrow through malloc for the whole run, so trimming reaches it
def generate(
    tier: str,
    seed: int,
    landing_dir: Path,
    truth_dir: Path,
    start: str | None = None,
    end: str | None = None,
    malformed_share: float | None = None,
    progress: bool = False,
    horizon: str | None = None,
    backfill_until: str | None = None,
) -> Summary:
    """Simulate the economy month by month, writing each month's deliveries as it goes.

    `horizon` (YYYY-MM, default `end`) is the last month the economy is built for; deliveries stop
    at `end`. With the same seed, tier, start and horizon, a run to an earlier end writes exactly the
    first batches of a run to a later end, so a landing can be extended one month at a time.

    `backfill_until` (YYYY-MM between start and end, default none) writes no batch before that month
    B: the batch of B holds a one-off historical extract next to B's own delivery, as when a platform
    goes live (the economy, the truth files and every batch after B are the monthly run's). Flux
    sources carry every line the earlier monthly files held, in delivery order; stock sources their
    state as of B, the headcount files with every month known by then (see writers/base.py).
    """
    began = time.perf_counter()
    limit_heap_growth()
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r} (known: {', '.join(TIERS)})")
    share = DEFAULT_MALFORMED_SHARE if malformed_share is None else float(malformed_share)
    if not 0.0 <= share <= 0.04:
        raise ValueError("malformed_share must lie in [0, 0.04] (stock files above 5 % are held back)")
    landing_dir, truth_dir = Path(landing_dir), Path(truth_dir)
    _check_dirs(landing_dir, truth_dir)
    config = TIERS[tier]
    timeline = Timeline.for_tier(config, start, end, horizon, backfill_until)
    geo_seq, pop_seq, shock_seq, economy_seq = np.random.SeedSequence(seed).spawn(4)

    reference = load_reference()
    geography = Geography.build(reference, np.random.default_rng(geo_seq))
    population = build_population(
        np.random.default_rng(pop_seq), config.companies, timeline, reference, geography
    )
    shocks = Shocks.build(
        np.random.default_rng(shock_seq), timeline, population.regions, population.region_zone
    )
    economy = Economy(population, shocks, timeline, economy_seq)

    landing_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context(economy, landing_dir, seed, share, config.gzip_sources, config)
    writers = [cls(ctx) for cls in WRITERS]
    lanes = [[w for w in writers if type(w) in lane] for lane in LANES]
    months = tqdm(range(timeline.n_months), desc=f"synthetic {tier}", unit="month", disable=not progress)
    trace_file = os.environ.get(MEMORY_TRACE_VARIABLE)
    with (
        MemoryTrace(Path(trace_file) if trace_file else None) as trace,
        ThreadPoolExecutor(len(lanes), thread_name_prefix="synthetic-lane") as pool,
    ):

        def run_lane(lane: int, t: int) -> None:
            for writer in lanes[lane]:
                trace.step(writer.source, t, lane)
                writer.after_step(t)
                if timeline.backfill and t == timeline.t_first:
                    writer.close_extract()
            trace.step("", t, lane)

        for t in months:
            trace.step("economy", t)
            economy.step()
            for future in [pool.submit(run_lane, lane, t) for lane in range(len(lanes))]:
                future.result()
            release_free_memory()

        trace.step("finish")
        csvtext.drain()  # every compressed file is complete
        # The writers' caches (pre-rendered columns, stocks re-delivered whole) are not needed for
        # the ground truth: freeing them first keeps the oracle below the simulation's peak.
        writers.clear()
        for lane in lanes:
            lane.clear()
        gc.collect()
        release_free_memory()
        trace.step("truth")
        window = window_probabilities(economy.drift_q, shocks.spiral_scale, economy.hazard_offset)
        oracle = write_oracle(truth_dir / "oracle.parquet", economy, window)
        write_companies(truth_dir / "entreprises.parquet", economy)
        write_establishments(truth_dir / "etablissements.parquet", economy)

    # Manifest entries in delivery order, then writer order (the lanes append them interleaved).
    ctx.files.sort(key=lambda entry: (entry["batch"], WRITER_ORDER[entry["source"]]))
    by_source: dict[str, dict[str, int]] = {}
    for entry in ctx.files:
        stats = by_source.setdefault(entry["source"], {"files": 0, "data_lines": 0, "malformed_lines": 0})
        stats["files"] += 1
        stats["data_lines"] += entry["data_lines"]
        stats["malformed_lines"] += entry["malformed_lines"]
    rows = sum(s["data_lines"] for s in by_source.values())
    malformed = sum(s["malformed_lines"] for s in by_source.values())
    e = population.establishments
    # Establishments that ever existed (planned openings of companies gone by then never happen).
    establishments = int((~e.pseudo & ~np.isnat(economy.est_open_day)).sum())
    # The first batch written, when a backfill moved it (absent otherwise: unchanged manifests).
    backfill = {"backfill_until": index_text(timeline.first_batch)} if timeline.backfill else {}
    write_manifest(
        truth_dir / "manifest.json",
        {
            "tier": tier,
            "seed": seed,
            "start": index_text(timeline.start),
            "end": index_text(timeline.end),
            "horizon": index_text(timeline.horizon),
            **backfill,
            "simulation_start": index_text(timeline.sim_start),
            "simulation_end": index_text(timeline.horizon + HORIZON),
            "malformed_share": share,
            "counts": {
                "companies": len(population.companies),
                "establishments": establishments,
                "pseudo_sirets": int(e.pseudo.sum()),
                "urssaf_accounts": len(population.accounts),
                "files": len(ctx.files),
                "data_lines": rows,
                "malformed_lines": malformed,
                "oracle_rows": oracle["rows"],
                "oracle_positive_rows": oracle["positive_rows"],
            },
            "sources": by_source,
            "files": ctx.files,
        },
    )
    return Summary(
        tier=tier,
        seed=seed,
        start=index_text(timeline.start),
        end=index_text(timeline.end),
        companies=len(population.companies),
        establishments=establishments,
        files=len(ctx.files),
        rows=rows,
        malformed_lines=malformed,
        oracle_rows=oracle["rows"],
        elapsed_seconds=round(time.perf_counter() - began, 3),
    )
