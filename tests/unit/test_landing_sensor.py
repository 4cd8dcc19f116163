"""The landing sensor: one run per new content, none for what it has already seen (raw-sources §8)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from orchestration.ingestion.landing import current_batch_key
from orchestration.resources import PlatformPaths
from orchestration.sensors import landing as sensor_module
from orchestration.sensors.landing import capteur_depot

DEBIT = "Urssaf_gestion;Dep;num_cpte;Siren;Siret\n117;75;123456789012345678;123456789;12345678900011\n"


class Sensor:
    """Evaluates the sensor tick after tick, carrying its cursor like the daemon does."""

    def __init__(self, landing: Path, cursor: str | None = None) -> None:
        self.landing = landing
        self.cursor = cursor

    def tick(self) -> dg.RunRequest | dg.SkipReason:
        paths = PlatformPaths(
            landing_dir=str(self.landing),
            archive_dir=str(self.landing.parent / "archive"),
            models_dir=str(self.landing.parent / "models"),
            serving_path=str(self.landing.parent / "serving.duckdb"),
        )
        context = dg.build_sensor_context(cursor=self.cursor, resources={"paths": paths})
        result = capteur_depot(context)
        self.cursor = context.cursor
        return result


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


def test_no_run_on_a_missing_or_empty_landing_folder(landing):
    sensor = Sensor(landing)
    assert isinstance(sensor.tick(), dg.SkipReason)
    landing.mkdir()
    assert isinstance(sensor.tick(), dg.SkipReason)
    assert json.loads(sensor.cursor) == {}


def test_a_new_batch_folder_starts_one_run_and_only_one(landing):
    sensor = Sensor(landing)
    write(landing / "2402" / "sigfaible_debits.csv", DEBIT)
    write(landing / "2402" / "filter_siren_2402.csv", "siren\n123456789\n")  # unrecognised: ignored
    write(landing / "2402" / "sigfaible_cotisdues.csv.part", "")  # transfer in progress: ignored

    request = sensor.tick()
    assert isinstance(request, dg.RunRequest)
    assert request.run_key
    assert request.tags["fichiers"] == "2402/sigfaible_debits.csv"
    assert isinstance(sensor.tick(), dg.SkipReason)  # unchanged content, the cursor remembers it
    assert isinstance(sensor.tick(), dg.SkipReason)


def test_a_loose_file_belongs_to_the_batch_of_the_current_month(landing):
    sensor = Sensor(landing)
    write(landing / "Sigfaible_pcoll.csv", "Siret;Siren;Dt_effet;Cat_v2;Lib_actx_stdx\n")
    request = sensor.tick()
    assert isinstance(request, dg.RunRequest)
    assert request.tags["fichiers"] == f"{current_batch_key()}/Sigfaible_pcoll.csv"
    assert isinstance(sensor.tick(), dg.SkipReason)


def test_the_run_key_follows_the_content_not_the_name_nor_the_mtime(landing):
    debits = write(landing / "2402" / "sigfaible_debits.csv", DEBIT)
    sensor = Sensor(landing)
    first = sensor.tick()
    assert isinstance(first, dg.RunRequest)

    touch_later(debits)  # copied again, same bytes
    assert isinstance(sensor.tick(), dg.SkipReason)

    write(debits, DEBIT.replace("117;75", "117;76"))  # a corrected re-delivery under the same name
    corrected = sensor.tick()
    assert isinstance(corrected, dg.RunRequest)
    assert corrected.run_key != first.run_key

    # a fresh sensor (no cursor) seeing the first content again asks for the very same run, which
    # Dagster does not launch twice
    write(debits, DEBIT)
    again = Sensor(landing).tick()
    assert isinstance(again, dg.RunRequest) and again.run_key == first.run_key


def test_a_second_batch_starts_a_run_for_its_files_only(landing):
    sensor = Sensor(landing)
    write(landing / "2402" / "sigfaible_debits.csv", DEBIT)
    first = sensor.tick()
    write(landing / "2403" / "sigfaible_debits.csv", DEBIT)  # same bytes, new delivery
    write(landing / "2403" / "sigfaible_delais.csv", "Siret\n")
    second = sensor.tick()
    assert isinstance(second, dg.RunRequest)
    assert second.tags["fichiers"] == "2403/sigfaible_debits.csv, 2403/sigfaible_delais.csv"
    assert second.run_key != first.run_key
    assert isinstance(sensor.tick(), dg.SkipReason)


def test_unchanged_files_are_not_hashed_again(landing, monkeypatch):
    write(landing / "2402" / "sigfaible_debits.csv", DEBIT)
    write(landing / "2402" / "sigfaible_delais.csv", "Siret\n")
    sensor = Sensor(landing)
    sensor.tick()
    hashed: list[str] = []
    digest = sensor_module.file_digest

    def counting_digest(path: Path) -> tuple[str, int]:
        hashed.append(path.name)
        return digest(path)

    monkeypatch.setattr(sensor_module, "file_digest", counting_digest)
    assert isinstance(sensor.tick(), dg.SkipReason)
    assert hashed == []
    touch_later(landing / "2402" / "sigfaible_delais.csv")
    assert isinstance(sensor.tick(), dg.SkipReason)
    assert hashed == ["sigfaible_delais.csv"]
