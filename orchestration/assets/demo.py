"""Demonstration assets (group `demo`, outside the job `pipeline_complet`).

`demo/livraison_suivante` drops the next monthly delivery of the synthetic economy into the landing
folder, so that a new month can be simulated from the UI: the landing sensor then sees the new batch
and starts the pipeline. The landing must have been generated with a horizon beyond its last batch
(`sf synth --end 2025-06 --horizon 2025-12`); see orchestration.synthetic.extension.
"""

from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.resources import PlatformPaths
from orchestration.synthetic.extension import DeliveryError, deliver_next_month

GROUP = "demo"


class NextDeliveryConfig(dg.Config):
    tier: str | None = Field(default=None, description="Synthetic tier (default: the truth manifest's).")
    seed: int | None = Field(default=None, description="Seed (default: the truth manifest's).")


def truth_folder(paths: PlatformPaths) -> Path:
    """The ground truth of the landing's economy: SF_SYNTHETIC_DIR, else `synthetic` next to the landing."""
    return Path(paths.synthetic_dir) if paths.synthetic_dir else Path(paths.landing_dir).parent / "synthetic"


@dg.asset(
    key=dg.AssetKey(["demo", "livraison_suivante"]),
    group_name=GROUP,
    kinds={"python"},
    description=(
        "Writes the next monthly delivery of the synthetic economy (the month after the last YYMM/ "
        "batch of the landing folder), exactly as the generator writes it; the landing sensor then "
        "runs the pipeline on it."
    ),
)
def livraison_suivante(
    context: dg.AssetExecutionContext, config: NextDeliveryConfig, paths: PlatformPaths
) -> dg.MaterializeResult:
    landing, truth = Path(paths.landing_dir), truth_folder(paths)
    context.log.info(f"regenerating the economy of {truth} up to the month after the last batch of {landing}")
    try:
        delivery = deliver_next_month(landing, truth, tier=config.tier, seed=config.seed)
    except DeliveryError as exc:
        raise dg.Failure(description=str(exc)) from exc
    context.log.info(
        f"batch {delivery.batch}: {len(delivery.files)} file(s), {delivery.bytes} bytes in {delivery.seconds} s"
    )
    return dg.MaterializeResult(
        metadata={
            "lot": dg.MetadataValue.text(delivery.batch),
            "mois": dg.MetadataValue.text(delivery.month),
            "fichiers_ecrits": dg.MetadataValue.int(len(delivery.files)),
            "octets": dg.MetadataValue.int(delivery.bytes),
            "fichiers": dg.MetadataValue.json(delivery.files),
            "dossier": dg.MetadataValue.path(str(landing / delivery.batch)),
            "tier": dg.MetadataValue.text(delivery.tier),
            "seed": dg.MetadataValue.int(delivery.seed),
            "horizon": dg.MetadataValue.text(delivery.horizon),
            "mois_restants": dg.MetadataValue.int(delivery.months_left),
            "secondes": dg.MetadataValue.float(delivery.seconds),
        }
    )
