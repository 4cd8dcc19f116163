"""The parser's shortcuts give exactly what the general path gives.

Two shortcuts keep national files fast: a field is trimmed only on lines where a blank touches a
separator or an end (or a quote may hide one), and a gzip file is read by DuckDB directly instead
of through a Python copy. Each test parses the same text both ways and compares every loaded row
and every rejection.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.sources import parser
from orchestration.sources.contract import get_contract
from orchestration.sources.parser import parse_file
from tests.unit.test_parse_own_fixtures import OWN_FIXTURES, RAW


def _parsed(path: Path, source: str) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    con = duckdb.connect()
    try:
        result = parse_file(con, get_contract(source), path, file_name=path.name.removesuffix(".gz"))
        assert result.report.status != "fatal", result.report.fatal_reason
        loaded = con.execute(f"select * from {result.loaded} order by _line_number").fetchall()
        rejected = con.execute(f"select * from {result.rejected} order by line_number").fetchall()
        return loaded, rejected
    finally:
        con.close()


def _with_blanks(text: str, separator: str, quoting: str) -> str:
    """Each data line with blanks in one kind of place (the kinds in turn): a space or a tab at the
    start, at the end, before every separator or after it. One kind per line, so that a shortcut
    missing any one of them leaves some line untrimmed. Where every field is quoted (Diane), the
    blanks go just inside the quotes, the only place they are allowed."""
    q = '"' if quoting == "all" else ""
    kinds = [
        lambda body: q + " " + body[len(q) :],
        lambda body: body[: len(body) - len(q)] + "\t" + q,
        lambda body: body.replace(q + separator, "\t" + q + separator),
        lambda body: body.replace(separator + q, separator + q + " "),
        lambda body: q + "\t" + body[len(q) :],
        lambda body: body[: len(body) - len(q)] + " " + q,
        lambda body: body.replace(q + separator, " " + q + separator),
        lambda body: body.replace(separator + q, separator + q + "\t"),
    ]
    lines = text.split("\n")
    for i in range(1, len(lines)):
        body = lines[i].removesuffix("\r")
        if body.strip():
            ending = lines[i][len(body) :]  # keep CRLF files CRLF
            lines[i] = kinds[i % len(kinds)](body) + ending
    return "\n".join(lines)


@pytest.mark.parametrize("source", sorted(OWN_FIXTURES))
def test_trimming_only_where_blanks_touch_a_separator_changes_nothing(source, tmp_path, monkeypatch):
    fixture = RAW / OWN_FIXTURES[source][0]
    contract = get_contract(source)
    raw = fixture.read_bytes()
    utf16 = raw.startswith(b"\xff\xfe")  # Diane: blanks go in as UTF-16 too
    text = raw.decode("utf-16" if utf16 else "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "cp1252")
    blanked_text = _with_blanks(text, contract.dialect.separator, contract.dialect.quoting)
    blanked = tmp_path / fixture.name
    blanked.write_bytes(
        b"\xff\xfe" + blanked_text.encode("utf-16-le") if utf16 else blanked_text.encode("utf-8")
    )

    fast = _parsed(blanked, source)
    monkeypatch.setattr(parser, "_needs_trim_sql", lambda contract: "true")
    everywhere = _parsed(blanked, source)
    assert fast == everywhere
    assert fast[0], "the blanked fixture still loads rows"


@pytest.mark.parametrize("source", ["sirene", "debit", "apdemande", "effectif"])
def test_a_gzip_file_parses_as_its_content(source, tmp_path):
    fixture = RAW / OWN_FIXTURES[source][0]
    packed = tmp_path / (fixture.name + ".gz")
    packed.write_bytes(gzip.compress(fixture.read_bytes()))
    assert _parsed(packed, source) == _parsed(fixture, source)


def test_a_gzip_file_in_windows_1252_falls_back_as_a_plain_one(tmp_path):
    fixture = RAW / OWN_FIXTURES["effectif"][0]  # the Windows-1252 one
    packed = tmp_path / (fixture.name + ".gz")
    packed.write_bytes(gzip.compress(fixture.read_bytes()))
    con = duckdb.connect()
    report = parse_file(con, get_contract("effectif"), packed, file_name=fixture.name).report
    assert report.encoding == "windows-1252"
    assert _parsed(packed, "effectif") == _parsed(fixture, "effectif")


def test_a_truncated_gzip_file_is_refused_with_its_name(tmp_path):
    fixture = RAW / OWN_FIXTURES["debit"][0]
    packed = tmp_path / (fixture.name + ".gz")
    packed.write_bytes(gzip.compress(fixture.read_bytes() * 50)[:-40])
    report = parse_file(duckdb.connect(), get_contract("debit"), packed).report
    assert report.status == "fatal"
    assert packed.name in report.fatal_reason
