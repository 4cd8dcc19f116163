"""demo/livraison_suivante: the next monthly delivery, exactly as the generator writes it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg
import pyarrow.parquet as pq
import pytest

from orchestration.assets.demo import livraison_suivante
from orchestration.resources import PlatformPaths
from orchestration.synthetic import generate

pytestmark = pytest.mark.slow

SEED = 42
START, END, NEXT, HORIZON = "2021-01", "2021-06", "2021-07", "2021-08"


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _paths(root: Path) -> PlatformPaths:
    return PlatformPaths(
        landing_dir=str(root / "landing"),
        archive_dir=str(root / "archive"),
        models_dir=str(root / "models"),
        serving_path=str(root / "serving.duckdb"),
        synthetic_dir=str(root / "synthetic"),
    )


def _materialize(paths: PlatformPaths) -> dg.ExecuteInProcessResult:
    return dg.materialize([livraison_suivante], resources={"paths": paths}, raise_on_error=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same economy generated directly up to NEXT: what the asset must reproduce."""
    root = tmp_path_factory.mktemp("reference")
    generate("tiny", SEED, root / "landing", root / "synthetic", start=START, end=NEXT, horizon=HORIZON)
    return root


def test_next_delivery_is_the_generators_batch(tmp_path: Path, reference: Path):
    generate(
        "tiny", SEED, tmp_path / "landing", tmp_path / "synthetic", start=START, end=END, horizon=HORIZON
    )
    landing = tmp_path / "landing"
    before = _hashes(landing / "2106")

    result = _materialize(_paths(tmp_path))
    assert result.success
    batches = sorted(p.name for p in landing.iterdir())
    assert batches == ["2101", "2102", "2103", "2104", "2105", "2106", "2107"]  # no temporary folder left

    # Exactly the files the generator writes for July, and the earlier batches are the same economy.
    assert _hashes(landing / "2107") == _hashes(reference / "landing" / "2107")
    assert _hashes(landing / "2106") == before == _hashes(reference / "landing" / "2106")

    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert event.asset_key == dg.AssetKey(["demo", "livraison_suivante"])
    assert metadata["lot"].value == "2107"
    assert metadata["fichiers_ecrits"].value == len(list((landing / "2107").iterdir())) > 10
    assert metadata["octets"].value == sum(p.stat().st_size for p in (landing / "2107").iterdir())
    assert metadata["tier"].value == "tiny" and metadata["seed"].value == SEED
    assert metadata["mois_restants"].value == 1

    # The ground truth follows: the oracle covers July, the manifest ends there.
    truth = tmp_path / "synthetic"
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["end"], manifest["horizon"]) == (NEXT, HORIZON)
    assert _hashes(truth) == _hashes(reference / "synthetic")
    periods = pq.read_table(truth / "oracle.parquet", columns=["periode"]).column(0).to_pylist()
    assert max(periods).isoformat() == "2021-07-01"

    # One more month reaches the horizon; past it the asset fails without touching the landing.
    assert _materialize(_paths(tmp_path)).success
    assert (landing / "2108").is_dir()
    failed = _materialize(_paths(tmp_path))
    assert not failed.success
    assert "horizon 2021-08" in str(failed.get_step_failure_events()[0].event_specific_data.error)
    assert sorted(p.name for p in landing.iterdir())[-1] == "2108"
    assert not any(p.name.startswith(".") for p in [*landing.iterdir(), *truth.iterdir()])


def test_not_part_of_the_complete_job():
    from orchestration.definitions import defs

    key = dg.AssetKey(["demo", "livraison_suivante"])
    assert key in defs.resolve_asset_graph().get_all_asset_keys()
    assert key not in defs.resolve_job_def("pipeline_complet").asset_layer.selected_asset_keys
