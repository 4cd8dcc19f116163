"""File recognition on the base name (raw-sources §2.1): the first matching rule wins.

The rules themselves live in each source's contract (`fileName`, with its order).
"""

from __future__ import annotations

from pathlib import Path

from orchestration.sources.contract import Contract, all_contracts
from orchestration.sources.reading import FatalFileError, inner_name

IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload")


def is_in_progress(name: str) -> bool:
    """Transfers still in progress are ignored altogether."""
    lower = name.lower()
    return lower.startswith(".") or lower.endswith(IN_PROGRESS_SUFFIXES)


def recognise_name(base_name: str) -> Contract | None:
    """The contract whose rule matches a base name (archive suffix already removed)."""
    for contract in all_contracts().values():
        if contract.file_name.matches(base_name):
            return contract
    return None


def recognise(path: Path) -> Contract | None:
    """The source of a delivered file, looking inside `.gz` names and single-member zips."""
    if is_in_progress(path.name):
        return None
    try:
        name = inner_name(path)
    except FatalFileError:
        return None
    contract = recognise_name(name)
    if contract and path.name.lower().endswith(".zip") and ".zip" not in contract.file_name.archives:
        return None
    return contract
