"""Loading into the warehouse: idempotence, archive, stock state per batch, replays, held-back files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.ingestion.landing import scan_landing
from orchestration.ingestion.loader import ingest_source
from orchestration.ingestion.warehouse import connect
from orchestration.sources.contract import get_contract

DEBIT_HEADER = (
    "Urssaf_gestion;Dep;num_cpte;Siren;Siret;Dt_immat;Etat_cpte;Cd_pro_col;Periode;Num_Ecn;Num_Hist_Ecn;"
    "Dt_trt_ecn;Mt_PO;Mt_PP;Cd_op_ecn;Motif_ecn;Recours_en_cours"
)
EFFECTIF_HEADER = "compte;siret;rais_soc;ape_ins;dep;eff202411;eff202412;eff202413;base;UR_EMET"


def write(landing: Path, batch: str, name: str, lines: list[str]) -> Path:
    path = landing / batch / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def debit_line(siret: str, hist: int, po: int, date: str = "1240115") -> str:
    return f"117;75;123456789012345678;{siret[:9]};{siret};20150708;1;0;202411;101;{hist};{date};{po};{po * 3};1;2;0"


def effectif_line(siret: str, *values: str) -> str:
    return f"123456789012345678;{siret};NOM;1234Z;75;{';'.join(values)};B;117"


def ingest(tmp_path: Path, source: str, **kwargs):
    con = connect(tmp_path / "warehouse.duckdb")
    try:
        return ingest_source(
            con, get_contract(source), scan_landing(tmp_path / "landing"), tmp_path / "archive", **kwargs
        ), con
    except Exception:
        con.close()
        raise


def test_redelivering_an_identical_file_adds_nothing_and_keeps_the_version(tmp_path):
    landing = tmp_path / "landing"
    write(landing, "2402", "sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 1, 100)])
    first, con = ingest(tmp_path, "debit")
    con.close()
    write(landing, "2403", "Sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 2, 0)])
    second, con = ingest(tmp_path, "debit")
    con.close()
    third, con = ingest(tmp_path, "debit")
    assert [o.status for o in first.outcomes] == ["loaded"]
    assert [o.status for o in second.outcomes] == ["skipped", "loaded"]
    assert [o.status for o in third.outcomes] == ["skipped", "skipped"]
    assert third.data_version == second.data_version != first.data_version
    assert con.sql("select count(*) from raw.debit").fetchall()[0][0] == 2
    archived = sorted(p.name for p in (tmp_path / "archive" / "debit").iterdir())
    assert len(archived) == 2 and all(len(name) == len("x" * 64 + ".csv") for name in archived)
    con.close()


def test_a_corrected_flux_redelivery_supersedes_the_earlier_version(tmp_path):
    landing = tmp_path / "landing"
    write(landing, "2402", "sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 1, 100)])
    _, con = ingest(tmp_path, "debit")
    con.close()
    write(landing, "2402", "sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 1, 150)])
    result, con = ingest(tmp_path, "debit")
    assert [o.status for o in result.outcomes] == ["loaded"]
    rows = con.sql("select sha256, superseded from raw.files order by load_seq").fetchall()
    assert [r[1] for r in rows] == [True, False]
    assert con.sql("select count(*) from raw.debit").fetchall()[0][0] == 2  # nothing destroyed
    con.close()


def test_stock_state_as_of_each_batch_whatever_the_loading_order(tmp_path):
    landing = tmp_path / "landing"
    a, b = "12345678900011", "98765432100017"
    write(
        landing,
        "2401",
        "sigfaible_effectif_siret.csv",
        [EFFECTIF_HEADER, effectif_line(a, "10", "11", ""), effectif_line(b, "5", "5", "5")],
    )
    write(
        landing, "2403", "sigfaible_effectif_siret.csv", [EFFECTIF_HEADER, effectif_line(a, "10", "12", "13")]
    )
    _, con = ingest(tmp_path, "effectif")
    con.close()
    # the February delivery arrives late: the state is replayed from it
    write(
        landing,
        "2402",
        "sigfaible_effectif_siret.csv",
        [EFFECTIF_HEADER, effectif_line(a, "10", "11", "12"), effectif_line(b, "5", "6", "")],
    )
    result, con = ingest(tmp_path, "effectif")
    assert result.rebuilt_from == "2402"

    def state(batch: str) -> list[tuple]:
        return con.execute(
            "select siret, month(periode), effectif from raw.effectif where _batch_key <= ? "
            "and coalesce(_valid_to_batch, '9999') > ? order by all",
            [batch, batch],
        ).fetchall()

    assert state("2401") == [(a, 1, 10), (a, 2, 11), (b, 1, 5), (b, 2, 5), (b, 3, 5)]
    assert state("2402") == [(a, 1, 10), (a, 2, 11), (a, 3, 12), (b, 1, 5), (b, 2, 6)]
    assert state("2403") == [(a, 1, 10), (a, 2, 12), (a, 3, 13)]
    current = con.sql("select count(*) from raw.effectif where _valid_to_batch is null").fetchall()[0][0]
    assert current == result.rows_current == 3
    con.close()


def test_a_stock_file_over_the_rejection_threshold_is_held_back(tmp_path):
    landing = tmp_path / "landing"
    good = [EFFECTIF_HEADER, effectif_line("12345678900011", "10", "11", "12")]
    write(landing, "2401", "sigfaible_effectif_siret.csv", good)
    write(
        landing,
        "2402",
        "sigfaible_effectif_siret.csv",
        [
            EFFECTIF_HEADER,
            effectif_line("12345678900011", "1", "1", "1"),
            effectif_line("1234A678900011", "1", "1", "1"),
        ],
    )
    result, con = ingest(tmp_path, "effectif", stock_threshold=0.05)
    assert [o.status for o in result.outcomes] == ["loaded", "held_back"]
    assert (
        con.sql("select max(effectif) from raw.effectif where _valid_to_batch is null").fetchall()[0][0] == 12
    )
    assert con.sql("select count(*) from raw.effectif__held_back").fetchall()[0][0] == 3
    quarantine = con.sql("select line_number, reason_code from raw.quarantine").fetchall()
    assert quarantine == [(3, "invalid_identifier")]
    con.close()


def test_transfers_in_progress_and_unknown_files_are_not_loaded(tmp_path):
    landing = tmp_path / "landing"
    write(landing, "2401", "sigfaible_debits.csv.part", [DEBIT_HEADER])
    write(landing, "2401", ".sigfaible_debits.csv", [DEBIT_HEADER])
    write(landing, "2401", "filter_siren_2401.csv", ["siren", "123456789"])
    files = scan_landing(landing)
    assert [(f.name, f.source) for f in files] == [("filter_siren_2401.csv", None)]


@pytest.mark.parametrize("compressed", [False, True])
def test_archive_is_content_addressed_and_read_only(tmp_path, compressed):
    import gzip

    landing = tmp_path / "landing"
    path = write(
        landing, "2401", "sigfaible_debits.csv", [DEBIT_HEADER, debit_line("12345678900011", 1, 100)]
    )
    if compressed:
        gz = path.with_name(path.name + ".gz")
        gz.write_bytes(gzip.compress(path.read_bytes(), mtime=0))
        path.unlink()
    result, con = ingest(tmp_path, "debit")
    con.close()
    archived = next((tmp_path / "archive" / "debit").iterdir())
    assert archived.name == result.outcomes[0].sha256 + (".csv.gz" if compressed else ".csv")
    assert not os.access(archived, os.W_OK) or os.geteuid() == 0
