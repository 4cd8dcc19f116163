"""What sits in the landing folder: batch folders `YYMM/` or loose files (raw-sources §8)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from orchestration.sources.contract import Contract
from orchestration.sources.reading import FatalFileError, inner_name
from orchestration.sources.recognition import is_in_progress, recognise_name

BATCH_KEY = re.compile(r"[0-9]{2}(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class DeliveredFile:
    path: Path
    batch_key: str
    name: str  # base name as delivered (with .gz / .zip)
    inner_name: str  # name the recognition applies to
    contract: Contract | None

    @property
    def source(self) -> str | None:
        return self.contract.source if self.contract else None


def current_batch_key(today: dt.date | None = None) -> str:
    """Loose files at the landing root belong to the batch of the current month."""
    today = today or dt.date.today()
    return f"{today.year % 100:02d}{today.month:02d}"


def is_batch_key(name: str) -> bool:
    return BATCH_KEY.fullmatch(name) is not None


def _describe(path: Path, batch_key: str) -> DeliveredFile:
    try:
        inner = inner_name(path)
    except FatalFileError:
        inner = path.name
    contract = recognise_name(inner)
    if contract and path.name.lower().endswith(".zip") and ".zip" not in contract.file_name.archives:
        contract = None
    return DeliveredFile(path, batch_key, path.name, inner, contract)


def scan_landing(landing_dir: Path, today: dt.date | None = None) -> list[DeliveredFile]:
    """Every delivered file, batch folders in key order then loose files; transfers in progress skipped."""
    if not landing_dir.exists():
        return []
    files: list[DeliveredFile] = []
    loose_batch = current_batch_key(today)
    for entry in sorted(landing_dir.iterdir()):
        if is_in_progress(entry.name):
            continue
        if entry.is_dir() and is_batch_key(entry.name):
            for path in sorted(entry.iterdir()):
                if path.is_file() and not is_in_progress(path.name):
                    files.append(_describe(path, entry.name))
        elif entry.is_file():
            files.append(_describe(entry, loose_batch))
    files.sort(key=lambda f: (f.batch_key, f.name))
    return files
