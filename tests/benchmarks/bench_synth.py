"""Benchmark of the synthetic generator: wall time and peak memory of `sf synth` on a tier.

`sf synth --tier <tier>` runs in a child process (from an empty folder, so every run measures the
whole generation), then `sf synth report` on its output. Peak memory is the child's maximum
resident set size from the kernel (wait4) and the peak of its process tree sampled every 0.2 s
(the gzip writers of the national tier compress in threads of the same process). The generated
folders are deleted afterwards unless --keep (the national landing takes several gigabytes).
Nothing is asserted: benchmarks measure, they do not judge.

    python -m tests.benchmarks.bench_synth --tier tiny     # about a minute, proves the script
    python -m tests.benchmarks.run --only synth            # national tier (make bench)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from orchestration.settings import load_settings
from orchestration.synthetic.memory import MEMORY_TRACE_VARIABLE
from tests.benchmarks.bench_dbt import run_measured
from tests.benchmarks.results import RESULTS, record

NAME = "synth"
SF = Path(sys.executable).parent / "sf"


def _folder_mib(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def run(
    tier: str = "national",
    seed: int = 42,
    workdir: Path | None = None,
    keep: bool = False,
    verify_per_source: int | None = None,
) -> dict[str, object]:
    """Generate the tier from scratch in a child process, then report on it; return the figures."""
    workdir = workdir or load_settings().data_dir / "bench" / tier / "synth"
    if workdir.exists():
        shutil.rmtree(workdir)  # generation needs an empty landing folder
    workdir.mkdir(parents=True)
    landing, truth = workdir / "landing", workdir / "synthetic"
    print(f"[{NAME}] tier {tier}, seed {seed}, in {workdir}", flush=True)
    trace = workdir / "memory_trace.json"  # the peak resident set of each writer (see synthetic.memory)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", MEMORY_TRACE_VARIABLE: str(trace)}

    command = [
        str(SF),
        "synth",
        "--tier",
        tier,
        "--seed",
        str(seed),
        "--out",
        str(landing),
        "--truth",
        str(truth),
    ]
    generation = run_measured(command, env, workdir / "synth.log")
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest["counts"]
    figures: dict[str, object] = {
        "tier": tier,
        "seed": seed,
        "months": f"{manifest['start']}..{manifest['end']}",
        "simulated_months": f"{manifest['simulation_start']}..{manifest['simulation_end']}",
        "generate": generation,
        "companies": counts["companies"],
        "establishments": counts["establishments"],
        "files": counts["files"],
        "data_lines": counts["data_lines"],
        "malformed_lines": counts["malformed_lines"],
        "oracle_rows": counts["oracle_rows"],
        "lines_per_second": round(counts["data_lines"] / generation["seconds"]),
        # The five steps that rose highest, with their largest rise and its month index.
        "memory_by_step": dict(list(json.loads(trace.read_text(encoding="utf-8")).items())[:5]),
        "landing_mib": _folder_mib(landing),
        "truth_mib": _folder_mib(truth),
        "landing_mib_by_source": {
            source: round(
                sum(
                    (landing / f["batch"] / f["file"]).stat().st_size
                    for f in manifest["files"]
                    if f["source"] == source
                )
                / 2**20,
                1,
            )
            for source in sorted(manifest["sources"])
        },
    }
    print(
        f"[{NAME}] generation: {generation['seconds']} s, peak RSS {generation['peak_rss_mib']} MiB "
        f"(process tree {generation['peak_tree_rss_mib']} MiB), {figures['files']} files, "
        f"{figures['data_lines']} lines, landing {figures['landing_mib']} MiB",
        flush=True,
    )

    report = run_measured(
        [str(SF), "synth", "report", str(landing), "--out", str(workdir / "report")],
        env,
        workdir / "report.log",
    )
    figures["report"] = report
    print(f"[{NAME}] report: {report['seconds']} s, peak RSS {report['peak_rss_mib']} MiB", flush=True)
    # Parsing the national landing back takes longer than generating it: keep what was measured
    # so far should it be interrupted (`--verify-only` then completes the record).
    record(NAME, {**figures, "verify": "pending"})
    figures["verify"] = verify(workdir, verify_per_source)
    if not keep:
        shutil.rmtree(landing)
        shutil.rmtree(truth)
    return figures


def verify(workdir: Path, per_source: int | None = None) -> dict[str, object]:
    """Parse the generated files back (`sf synth verify`: all of them, or `per_source` files of each
    source) and keep the acceptance figures. The whole national landing is about an hour of parsing."""
    landing, truth, out = workdir / "landing", workdir / "synthetic", workdir / "verify.json"
    command = [str(SF), "synth", "verify", str(landing), "--truth", str(truth), "--json", str(out)]
    if per_source:
        command += ["--per-source", str(per_source)]
    with (workdir / "verify.log").open("w") as log:
        subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    data = json.loads(out.read_text(encoding="utf-8"))
    injected_share = data["lines_injected"] / data["lines_read"] if data["lines_read"] else 0.0
    figures = {
        key: data[key]
        for key in (
            "ok",
            "seconds",
            "files",
            "files_in_manifest",
            "exact_files",
            "lines_read",
            "lines_injected",
            "lines_rejected",
            "rejected_share",
            "max_file_share_gap",
        )
    }
    figures["injected_share"] = round(injected_share, 6)
    figures["rejected_share_by_source"] = {
        source: entry["rejected_share"] for source, entry in data["by_source"].items()
    }
    figures["failures"] = data["failures"][:10]
    print(
        f"[{NAME}] verify: {data['files']} of {data['files_in_manifest']} files parsed, "
        f"rejected share {100 * data['rejected_share']:.3f} % vs injected {100 * injected_share:.3f} %, "
        f"largest gap in a file {100 * data['max_file_share_gap']:.3f} point, "
        f"{'all exact' if data['ok'] else str(len(data['failures'])) + ' file(s) differ'}",
        flush=True,
    )
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="national")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the generated landing and truth folders")
    parser.add_argument(
        "--verify-only",
        action="store_true",
        help="only parse back a landing kept by an earlier --keep run, adding the figures to its record",
    )
    parser.add_argument(
        "--verify-per-source",
        type=int,
        default=None,
        help="parse back only N files of each source (default: every file, as the acceptance asks)",
    )
    args = parser.parse_args(argv)
    if args.verify_only:
        workdir = args.workdir or load_settings().data_dir / "bench" / args.tier / "synth"
        key = NAME if args.tier == "national" else f"{NAME}_{args.tier}"
        previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        recorded = previous.get(key, {}).get("figures", {})
        figures = {**recorded, "tier": args.tier, "verify": verify(workdir, args.verify_per_source)}
    else:
        figures = run(args.tier, args.seed, args.workdir, args.keep, args.verify_per_source)
    print(f"[{NAME}] written to {record(NAME, figures)}")


if __name__ == "__main__":
    main()
