"""Watch the landing folder: a new or changed delivery starts the whole pipeline.

Every asset is idempotent (files already loaded are skipped, an unchanged model is reused), so
running the complete job is cheap when little changed and always leaves a consistent list.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.ingestion.landing import scan_landing
from orchestration.jobs import pipeline_complet
from orchestration.resources import PlatformPaths


def landing_fingerprint(landing_dir: Path) -> dict[str, list[int]]:
    """Recognised files keyed by batch/name, with their size and modification time."""
    return {
        f"{f.batch_key}/{f.name}": [f.path.stat().st_size, f.path.stat().st_mtime_ns]
        for f in scan_landing(landing_dir)
        if f.source
    }


@dg.sensor(
    job=pipeline_complet,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the pipeline when a recognised file appears or changes in the landing folder.",
)
def capteur_depot(context: dg.SensorEvaluationContext, paths: PlatformPaths):
    current = landing_fingerprint(Path(paths.landing_dir))
    previous = json.loads(context.cursor) if context.cursor else {}
    changed = sorted(k for k, v in current.items() if previous.get(k) != v)
    context.update_cursor(json.dumps(current, sort_keys=True))
    if not changed:
        return dg.SkipReason("no new or changed delivery")
    run_key = hashlib.sha256(json.dumps(changed).encode()).hexdigest()[:20]
    return dg.RunRequest(run_key=run_key, tags={"fichiers": ", ".join(changed)[:1000]})
