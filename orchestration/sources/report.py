"""The per-file load report of raw-sources §2.7."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_REPORTED_REJECTIONS = 100

STATUS_LOADED = "loaded"
STATUS_HELD_BACK = "held_back"
STATUS_FATAL = "fatal"
STATUS_UNRECOGNISED = "unrecognised"


@dataclass
class LoadReport:
    source: str | None
    file: str
    sha256: str
    size: int
    batch_key: str | None = None
    contract_version: str | None = None
    encoding: str | None = None
    header: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    lines_read: int = 0
    lines_blank: int = 0
    lines_loaded: int = 0
    lines_rejected: int = 0
    rows_out: int = 0
    warnings: dict[str, int] = field(default_factory=dict)
    warnings_by_column: dict[str, dict[str, int]] = field(default_factory=dict)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    rejections_by_reason: dict[str, int] = field(default_factory=dict)
    status: str = STATUS_LOADED
    fatal_code: str | None = None
    fatal_reason: str | None = None
    derniere_periode_renseignee: str | None = None

    @property
    def rejected_share(self) -> float:
        return self.lines_rejected / self.lines_read if self.lines_read else 0.0

    def add_warning(self, code: str, column: str, count: int) -> None:
        if count <= 0:
            return
        self.warnings[code] = self.warnings.get(code, 0) + count
        per_column = self.warnings_by_column.setdefault(code, {})
        per_column[column] = per_column.get(column, 0) + count

    def fatal(self, code: str, reason: str) -> LoadReport:
        self.status = STATUS_FATAL
        self.fatal_code = code
        self.fatal_reason = reason
        self.lines_read = self.lines_loaded = self.lines_rejected = self.rows_out = 0
        self.rejections = []
        self.rejections_by_reason = {}
        return self

    def check_invariant(self) -> None:
        if self.lines_read != self.lines_loaded + self.lines_rejected:
            raise AssertionError(
                f"{self.file}: lines_read {self.lines_read} != loaded {self.lines_loaded}"
                f" + rejected {self.lines_rejected}"
            )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected_share"] = round(self.rejected_share, 6)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)
