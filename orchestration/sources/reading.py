"""Bytes to text: archives, byte-order marks and encodings of a delivered file (raw-sources §2.1-§2.2).

DuckDB reads plain UTF-8 files directly. Everything else (gzip, zip, UTF-16LE, a Windows-1252
fallback) is transcoded once, in large chunks, into a UTF-8 working copy that DuckDB then reads.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class FatalFileError(Exception):
    """The whole file is refused; nothing from it is loaded."""

    def __init__(self, code: str, message: str, columns: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.columns = columns or []  # the required columns missing from the header, if any


@dataclass(frozen=True)
class TextFile:
    path: Path  # a UTF-8 file DuckDB can read
    encoding: str  # encoding detected in the delivered file
    fallback: bool  # decoded as Windows-1252 because it was not valid UTF-8


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file as delivered."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def inner_name(path: Path) -> str:
    """The name the recognition rules apply to: without `.gz`, or the single member of a zip."""
    name = path.name
    if name.lower().endswith(".gz"):
        return name[:-3]
    if name.lower().endswith(".zip"):
        members = _zip_members(path)
        return Path(members[0]).name
    return name


def _zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if not m.endswith("/")]
    except (zipfile.BadZipFile, OSError) as exc:
        raise FatalFileError("unreadable_archive", f"{path.name}: not a readable zip archive") from exc
    if len(members) != 1:
        raise FatalFileError(
            "unreadable_archive",
            f"{path.name}: a zip must hold exactly one CSV member, found {len(members)}",
        )
    return members


@contextmanager
def _open_bytes(path: Path) -> Iterator[BinaryIO]:
    lower = path.name.lower()
    if lower.endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            yield handle  # type: ignore[misc]
    elif lower.endswith(".zip"):
        member = _zip_members(path)[0]
        with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
            yield handle  # type: ignore[misc]
    else:
        with path.open("rb") as handle:
            yield handle


def _detect_bom(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16"
    return None


def _transcode(path: Path, encoding: str, target: Path, *, crlf_to_lf: bool = False) -> None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    pending = ""  # a trailing CR held back until the next chunk tells whether an LF follows
    offset = 0  # bytes decoded before the current chunk, so that an error gives its file offset
    with _open_bytes(path) as source, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := source.read(CHUNK):
            try:
                text = pending + decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                exc.start += offset
                raise
            offset += len(chunk)
            if crlf_to_lf:
                pending = "\r" if text.endswith("\r") else ""
                text = text[: len(text) - len(pending)].replace("\r\n", "\n")
            out.write(text)
        text = pending + decoder.decode(b"", final=True)
        out.write(text.replace("\r\n", "\n") if crlf_to_lf else text)


def _peek(path: Path) -> bytes:
    try:
        with _open_bytes(path) as handle:
            return handle.read(4)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise FatalFileError("unreadable_archive", f"{path.name}: cannot read the archive ({exc})") from exc


@contextmanager
def utf8_text(
    path: Path, workdir: Path, *, force_fallback: bool = False, crlf_to_lf: bool = False
) -> Iterator[TextFile]:
    """Yield a UTF-8 readable version of `path`, transcoding into `workdir` when needed
    (`crlf_to_lf`: a working copy with CRLF line endings turned into LF, for files mixing both)."""
    head = _peek(path)
    bom = _detect_bom(head)
    if bom is None and b"\x00" in head:
        # NUL bytes are valid UTF-8: without this the file would fail as "missing required columns"
        raise FatalFileError(
            "undecodable",
            f"{path.name}: NUL bytes at the start of the file, UTF-16 without a byte-order mark? "
            "(expected UTF-8, or UTF-16LE starting with the BOM FF FE)",
        )
    lower = path.name.lower()
    readable_as_is = (
        bom in (None, "utf-8-sig")
        if not lower.endswith((".gz", ".zip"))
        # DuckDB decompresses gzip itself, faster than a Python copy (a damaged archive fails there
        # and is retried through the copy below, which names the problem)
        else lower.endswith(".gz") and bom is None
    )
    if readable_as_is and not force_fallback and not crlf_to_lf:
        # DuckDB drops a UTF-8 BOM itself and reports invalid UTF-8, which triggers the fallback.
        yield TextFile(path, "utf-8", False)
        return
    target = workdir / f"{path.name}.utf8"
    try:
        encoding = "cp1252" if force_fallback else (bom or "utf-8")
        try:
            _transcode(path, encoding, target, crlf_to_lf=crlf_to_lf)
        except UnicodeDecodeError:
            if encoding != "utf-8":
                raise
            encoding = "cp1252"
            _transcode(path, encoding, target, crlf_to_lf=crlf_to_lf)
    except UnicodeDecodeError as exc:
        tried = "neither UTF-8 nor Windows-1252" if encoding == "cp1252" else f"not valid {encoding}"
        raise FatalFileError(
            "undecodable", f"{path.name}: undecodable content at byte offset {exc.start}: {tried}"
        ) from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise FatalFileError("unreadable_archive", f"{path.name}: cannot read ({exc})") from exc
    try:
        label = {"utf-16": "utf-16le", "utf-8-sig": "utf-8", "cp1252": "windows-1252"}.get(encoding, encoding)
        yield TextFile(target, label, encoding == "cp1252")
    finally:
        target.unlink(missing_ok=True)
