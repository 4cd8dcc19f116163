"""Content-addressed archive: every delivered file version, unchanged, never overwritten."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from orchestration.sources.reading import file_digest


class ArchiveError(RuntimeError):
    pass


def archive_suffix(name: str) -> str:
    """`sigfaible_debits.csv.gz` -> `.csv.gz`; `Diane_2024.txt` -> `.txt`."""
    lower = name.lower()
    for compressed in (".gz", ".zip"):
        if lower.endswith(compressed):
            return Path(name[: -len(compressed)]).suffix.lower() + compressed
    return Path(name).suffix.lower()


def archive_path(archive_dir: Path, source: str, sha256: str, name: str) -> Path:
    return archive_dir / source / f"{sha256}{archive_suffix(name)}"


def archive_file(path: Path, archive_dir: Path, source: str, sha256: str) -> Path:
    """Copy `path` into the archive under its SHA-256; an existing copy is verified, never replaced."""
    target = archive_path(archive_dir, source, sha256, path.name)
    if target.exists():
        if file_digest(target)[0] != sha256:
            raise ArchiveError(f"archive corrupted: {target} does not hash to {sha256}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    shutil.copyfile(path, tmp)
    if file_digest(tmp)[0] != sha256:
        tmp.unlink(missing_ok=True)
        raise ArchiveError(f"{path} changed while it was being archived")
    os.replace(tmp, target)
    target.chmod(0o444)
    return target
