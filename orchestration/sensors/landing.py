"""Watch the landing folder: a new or changed delivery starts the whole pipeline.

Every asset is idempotent (files already loaded are skipped, an unchanged model is reused), so
running the complete job is cheap when little changed and always leaves a consistent list.

The cursor remembers each recognised file's size, modification time and SHA-256; a file is hashed
again only when its size or modification time changed. The run key is derived from the content of
the changed files, so the same files never start two runs, even after a copy that only touched them.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.ingestion.landing import scan_landing
from orchestration.jobs import pipeline_complet
from orchestration.resources import PlatformPaths
from orchestration.sources.reading import file_digest

Fingerprint = dict[str, dict[str, int | str]]


def landing_fingerprint(landing_dir: Path, known: Fingerprint | None = None) -> Fingerprint:
    """Recognised files keyed by batch/name, with their size, mtime and SHA-256 (reused from
    `known` when the size and mtime are unchanged)."""
    known = known or {}
    fingerprint: Fingerprint = {}
    for file in scan_landing(landing_dir):
        if not file.source:
            continue
        key = f"{file.batch_key}/{file.name}"
        stat = file.path.stat()
        entry: dict[str, int | str] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
        seen = known.get(key, {})
        same = all(seen.get(k) == v for k, v in entry.items())
        entry["sha256"] = seen["sha256"] if same and "sha256" in seen else file_digest(file.path)[0]
        fingerprint[key] = entry
    return fingerprint


def changed_files(previous: Fingerprint, current: Fingerprint) -> list[str]:
    """Files whose content is new: absent from the previous fingerprint or with another SHA-256."""
    return sorted(k for k, v in current.items() if previous.get(k, {}).get("sha256") != v["sha256"])


def run_key(current: Fingerprint, changed: list[str]) -> str:
    return hashlib.sha256(json.dumps([[k, current[k]["sha256"]] for k in changed]).encode()).hexdigest()[:20]


@dg.sensor(
    job=pipeline_complet,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the pipeline when a recognised file appears or changes in the landing folder.",
)
def capteur_depot(context: dg.SensorEvaluationContext, paths: PlatformPaths):
    # entries of an older cursor format (lists of size and mtime) count as unseen: one idempotent run
    cursor = json.loads(context.cursor) if context.cursor else {}
    previous: Fingerprint = {k: v for k, v in cursor.items() if isinstance(v, dict)}
    current = landing_fingerprint(Path(paths.landing_dir), previous)
    changed = changed_files(previous, current)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        return dg.SkipReason("no new or changed delivery")
    return dg.RunRequest(run_key=run_key(current, changed), tags={"fichiers": ", ".join(changed)[:1000]})
