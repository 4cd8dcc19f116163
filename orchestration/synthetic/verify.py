"""Check a generated landing against its manifest: every file parses, rejecting exactly what was broken.

The generator records, per file, how many data lines it wrote and how many it deliberately broke
(`manifest.json` in the truth folder). `verify_landing` parses every file with the product's own
parser (the code behind `sf raw parse` and the ingestion assets) and compares: a file passes when it
is accepted, reads as many lines as were written and rejects exactly the broken ones. The
acceptance target is about shares (rejected share = injected share within 0.1 point); exact counts
are stricter and say more when they fail.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

SHARE_TOLERANCE = 0.001  # ±0.1 percentage point


@dataclass
class FileCheck:
    batch: str
    file: str
    source: str
    status: str
    lines_written: int
    lines_read: int
    injected: int
    rejected: int
    reason: str | None = None

    @property
    def share_gap(self) -> float:
        """|rejected share − injected share| of this file (0 for an empty file)."""
        if not self.lines_written:
            return 0.0
        return abs(self.rejected / max(self.lines_read, 1) - self.injected / self.lines_written)

    @property
    def exact(self) -> bool:
        return (
            self.status == "loaded"
            and self.lines_read == self.lines_written
            and self.rejected == self.injected
        )


@dataclass
class SourceSummary:
    files: int = 0
    lines_read: int = 0
    injected: int = 0
    rejected: int = 0
    exact_files: int = 0
    max_share_gap: float = 0.0

    def add(self, check: FileCheck) -> None:
        self.files += 1
        self.lines_read += check.lines_read
        self.injected += check.injected
        self.rejected += check.rejected
        self.exact_files += check.exact
        self.max_share_gap = max(self.max_share_gap, check.share_gap)

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.lines_read if self.lines_read else 0.0


@dataclass
class Verification:
    landing: str
    seconds: float
    by_source: dict[str, SourceSummary]
    failures: list[FileCheck] = field(default_factory=list)
    files_in_manifest: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, object]:
        total = SourceSummary()
        for summary in self.by_source.values():
            for name in ("files", "lines_read", "injected", "rejected", "exact_files"):
                setattr(total, name, getattr(total, name) + getattr(summary, name))
            total.max_share_gap = max(total.max_share_gap, summary.max_share_gap)
        return {
            "landing": self.landing,
            "seconds": round(self.seconds, 1),
            "ok": self.ok,
            "files": total.files,
            "files_in_manifest": self.files_in_manifest,
            "exact_files": total.exact_files,
            "lines_read": total.lines_read,
            "lines_injected": total.injected,
            "lines_rejected": total.rejected,
            "rejected_share": round(total.rejected_share, 6),
            "max_file_share_gap": round(total.max_share_gap, 6),
            "by_source": {
                source: {**asdict(s), "rejected_share": round(s.rejected_share, 6)}
                for source, s in sorted(self.by_source.items())
            },
            "failures": [asdict(f) for f in self.failures[:100]],
        }


def _check(landing: Path, entry: dict[str, object], con: duckdb.DuckDBPyConnection) -> FileCheck:
    from orchestration.sources.contract import get_contract
    from orchestration.sources.parser import parse_file

    path = landing / str(entry["batch"]) / str(entry["file"])
    result = parse_file(
        con, get_contract(str(entry["source"])), path, batch_key=str(entry["batch"]), file_name=path.name
    )
    report = result.report
    return FileCheck(
        batch=str(entry["batch"]),
        file=str(entry["file"]),
        source=str(entry["source"]),
        status=report.status,
        lines_written=int(entry["data_lines"]),
        lines_read=report.lines_read,
        injected=int(entry["malformed_lines"]),
        rejected=report.lines_rejected,
        reason=report.fatal_reason,
    )


_WORKER_CON: duckdb.DuckDBPyConnection | None = None
# One thread per parsing process; spills go to the system temporary folder, not to `.tmp/` in the
# current directory (DuckDB's default for in-memory databases).
_DUCKDB_CONFIG = {
    "threads": 1,
    "memory_limit": "4GB",
    "temp_directory": str(Path(tempfile.gettempdir()) / "sf-verify"),
}


def _worker_check(landing: str, entry: dict[str, object]) -> FileCheck:
    global _WORKER_CON
    if _WORKER_CON is None:  # one in-memory database per worker process, one thread each
        _WORKER_CON = duckdb.connect(config=_DUCKDB_CONFIG)
    return _check(Path(landing), entry, _WORKER_CON)


def _checks(landing: Path, entries: list[dict[str, object]], workers: int) -> Iterator[FileCheck]:
    if workers <= 1:
        con = duckdb.connect(config=_DUCKDB_CONFIG)
        try:
            for entry in entries:
                yield _check(landing, entry, con)
        finally:
            con.close()
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_worker_check, [str(landing)] * len(entries), entries, chunksize=4)


def sample_per_source(files: list[dict[str, object]], count: int) -> list[dict[str, object]]:
    """`count` files of each source, evenly spaced over its deliveries, first and last included.

    The national landing holds about 630 million lines (hours to parse on two cores); a sample that
    spans every source, the initial extract and the latest batches checks the same code paths.
    """
    by_source: dict[str, list[dict[str, object]]] = {}
    for entry in files:
        by_source.setdefault(str(entry["source"]), []).append(entry)
    chosen = []
    for entries in by_source.values():
        entries.sort(key=lambda e: (str(e["batch"]), str(e["file"])))
        if len(entries) <= count:
            chosen.extend(entries)
            continue
        step = (len(entries) - 1) / max(count - 1, 1)
        chosen.extend(entries[round(i * step)] for i in range(count))
    return chosen


def verify_landing(
    landing: Path,
    truth: Path,
    workers: int = min(2, os.cpu_count() or 1),
    progress: Callable[[int, int], None] | None = None,
    per_source: int | None = None,
) -> Verification:
    """Parse every file of the manifest (or `per_source` files of each source, see
    `sample_per_source`) and compare with what the generator injected."""
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"] if per_source is None else sample_per_source(manifest["files"], per_source)
    # Largest files first, so the two workers finish together.
    entries = sorted(
        files,
        key=lambda e: -(landing / e["batch"] / e["file"]).stat().st_size,
    )
    began = time.perf_counter()
    by_source: dict[str, SourceSummary] = {}
    failures: list[FileCheck] = []
    for done, check in enumerate(_checks(landing, entries, workers), start=1):
        by_source.setdefault(check.source, SourceSummary()).add(check)
        if not check.exact or check.share_gap > SHARE_TOLERANCE:
            failures.append(check)
        if progress:
            progress(done, len(entries))
    return Verification(
        str(landing), time.perf_counter() - began, by_source, failures, len(manifest["files"])
    )


def format_verification(verification: Verification) -> str:
    data = verification.to_dict()
    lines = [
        f"{'source':<18}{'files':>7}{'lines read':>14}{'injected':>10}{'rejected':>10}"
        f"{'share':>9}{'max gap':>9}{'exact':>7}"
    ]
    for source, s in data["by_source"].items():  # type: ignore[union-attr]
        lines.append(
            f"{source:<18}{s['files']:>7}{s['lines_read']:>14,}{s['injected']:>10,}{s['rejected']:>10,}"
            f"{100 * s['rejected_share']:>8.3f}%{100 * s['max_share_gap']:>8.3f}%"
            f"{s['exact_files']:>7}"
        )
    lines.append(
        f"{'total':<18}{data['files']:>7}{data['lines_read']:>14,}{data['lines_injected']:>10,}"
        f"{data['lines_rejected']:>10,}{100 * data['rejected_share']:>8.3f}%"
        f"{100 * data['max_file_share_gap']:>8.3f}%{data['exact_files']:>7}"
    )
    verdict = (
        "every file accepted; rejected lines = injected lines in every file"
        if verification.ok
        else f"{len(verification.failures)} file(s) differ from the manifest, first: "
        f"{verification.failures[0]}"
    )
    checked = (
        f"{data['files']} of {data['files_in_manifest']} files"
        if data["files"] != data["files_in_manifest"]
        else f"all {data['files']} files"
    )
    lines.append(f"{verdict}; {checked} parsed in {data['seconds']} s")
    return "\n".join(lines)
