"""`sf synth verify`: every generated file parses, rejecting exactly the lines the generator broke."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.synthetic import generate
from orchestration.synthetic.verify import sample_per_source, verify_landing


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("verify")
    landing, truth = root / "landing", root / "synthetic"
    generate("tiny", 3, landing, truth, start="2021-01", end="2021-02", malformed_share=0.01)
    return landing, truth


def test_every_file_rejects_exactly_the_injected_lines(run: tuple[Path, Path]) -> None:
    landing, truth = run
    verification = verify_landing(landing, truth, workers=2)
    figures = verification.to_dict()
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    assert verification.ok, verification.failures[:3]
    assert figures["files"] == figures["exact_files"] == len(manifest["files"])
    assert figures["lines_rejected"] == manifest["counts"]["malformed_lines"] > 0
    # 1 % injected: the share read back lies within 0.1 point of it
    assert abs(figures["rejected_share"] - 0.01) < 0.001
    assert set(figures["by_source"]) == {e["source"] for e in manifest["files"]}


def test_a_file_broken_after_generation_is_reported_by_name(run: tuple[Path, Path], tmp_path: Path) -> None:
    landing, truth = run
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    manifest = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))
    target = next(e for e in manifest["files"] if e["source"] == "procol")
    path = copy / target["batch"] / target["file"]
    with path.open("ab") as handle:
        handle.write(b"not;a;procol;line\n")
    verification = verify_landing(copy, truth, workers=1)
    assert not verification.ok
    [failure] = verification.failures
    assert (failure.batch, failure.file) == (target["batch"], target["file"])
    assert failure.rejected == failure.injected + 1 and failure.lines_read == failure.lines_written + 1


def test_the_sample_spans_every_source_first_and_last_batches(run: tuple[Path, Path]) -> None:
    _, truth = run
    files = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))["files"]
    sample = sample_per_source(files, 1)
    assert {e["source"] for e in sample} == {e["source"] for e in files}
    assert len(sample) == len({e["source"] for e in files})
    paydex = sorted((e["batch"], e["file"]) for e in files if e["source"] == "paydex")
    chosen = sorted((e["batch"], e["file"]) for e in sample_per_source(files, 2) if e["source"] == "paydex")
    assert chosen == [paydex[0], paydex[-1]]


def test_cli_prints_the_table_writes_json_and_exits_1_on_a_difference(
    run: tuple[Path, Path], tmp_path: Path
) -> None:
    landing, truth = run
    report = tmp_path / "verify.json"
    result = CliRunner().invoke(
        main, ["synth", "verify", str(landing), "--truth", str(truth), "--json", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "every file accepted" in result.output and "total" in result.output
    assert json.loads(report.read_text())["ok"] is True

    copy = tmp_path / "broken"
    shutil.copytree(landing, copy)
    first = json.loads((truth / "manifest.json").read_text(encoding="utf-8"))["files"][0]
    (copy / first["batch"] / first["file"]).write_bytes(b"")
    result = CliRunner().invoke(main, ["synth", "verify", str(copy), "--truth", str(truth)])
    assert result.exit_code == 1
    assert first["file"] in result.output
