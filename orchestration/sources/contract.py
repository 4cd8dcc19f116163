"""Typed view of the ODCS v3 data contracts in `data_contracts/`.

The contract of a source is the single source of truth of its schema: the parser, the warehouse
tables, the asset checks and the synthetic generator all read it through this module. ODCS keeps
platform-specific settings in `customProperties` (a list of `{property, value}`); they are read
here and nowhere else.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestration.settings import CONTRACTS_DIR


class ContractError(ValueError):
    """A contract file is malformed (names the file and the faulty element)."""


def _custom(element: dict[str, Any]) -> dict[str, Any]:
    return {item["property"]: item["value"] for item in element.get("customProperties", []) or []}


@dataclass(frozen=True)
class Column:
    """One output column of a raw table."""

    name: str
    physical_type: str
    required: bool
    description: str
    source: str | None = None
    source_required: bool = False
    decoder: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    transform: str | None = None
    codes: dict[str, str] | None = None
    primary_key_position: int | None = None
    examples: tuple[Any, ...] = ()


@dataclass(frozen=True)
class RowRule:
    """A rule across several decoded columns: rejects the line or adds a warning."""

    when: str
    code: str
    detail: str


@dataclass(frozen=True)
class QualityRule:
    name: str
    metric: str
    severity: str
    threshold: float
    description: str


@dataclass(frozen=True)
class Dialect:
    separator: str
    quoting: str  # "none" (quotes are ordinary characters), "rfc4180" (lenient), "all"
    encoding: str  # expected encoding: "utf-8" or "utf-16le"
    header: str = "trim"  # "trim" or "diane" (NFC, collapsed spaces, typographic apostrophe)
    null_tokens: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileNameRule:
    order: int
    names: tuple[str, ...] = ()
    contains: str | None = None
    pattern: str | None = None
    archives: tuple[str, ...] = (".gz",)
    example: str = ""

    def matches(self, base_name: str) -> bool:
        name = base_name.lower()
        if name in self.names:
            return True
        if self.contains and self.contains in name:
            return True
        return bool(self.pattern and re.fullmatch(self.pattern, name))


@dataclass(frozen=True)
class Contract:
    source: str
    version: str
    path: Path
    description: str
    producer: str
    level: str
    mode: str  # "stock" or "flux"
    table: str
    file_name: FileNameRule
    dialect: Dialect
    layout: dict[str, Any]
    columns: tuple[Column, ...]
    row_rules: tuple[RowRule, ...]
    row_warnings: tuple[RowRule, ...]
    quality: tuple[QualityRule, ...]
    conditional_required: tuple[dict[str, Any], ...]
    ignored_columns: tuple[str, ...]
    raw: dict[str, Any]

    @property
    def natural_key(self) -> list[str]:
        keyed = [c for c in self.columns if c.primary_key_position]
        return [c.name for c in sorted(keyed, key=lambda c: c.primary_key_position or 0)]

    @property
    def is_stock(self) -> bool:
        return self.mode == "stock"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.source}: no output column {name!r}")

    def quality_rule(self, metric: str) -> QualityRule | None:
        return next((rule for rule in self.quality if rule.metric == metric), None)


def _column(prop: dict[str, Any], where: str) -> Column:
    custom = _custom(prop)
    try:
        codes = custom.get("codes")
        return Column(
            name=prop["name"],
            physical_type=prop["physicalType"],
            required=bool(prop.get("required", False)),
            description=prop.get("description", ""),
            source=custom.get("source"),
            source_required=bool(custom.get("sourceRequired", False)),
            decoder=custom.get("decoder"),
            options=dict(custom.get("decoderOptions") or {}),
            transform=prop.get("transformLogic"),
            codes={str(k): str(v) for k, v in codes.items()} if codes else None,
            primary_key_position=prop.get("primaryKeyPosition") if prop.get("primaryKey") else None,
            examples=tuple(prop.get("examples", []) or []),
        )
    except KeyError as exc:
        raise ContractError(f"{where}: property is missing {exc}") from exc


def _quality(items: list[dict[str, Any]]) -> tuple[QualityRule, ...]:
    rules = []
    for item in items or []:
        implementation = item.get("implementation") or {}
        metric = item.get("metric") or implementation.get("metric")
        threshold = item.get("mustBeLessOrEqualTo", implementation.get("mustBeLessOrEqualTo", 0))
        rules.append(
            QualityRule(
                name=item.get("name", metric),
                metric=metric,
                severity=item.get("severity", "error"),
                threshold=float(threshold),
                description=item.get("description", ""),
            )
        )
    return tuple(rules)


def load_contract(path: Path) -> Contract:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: invalid YAML: {exc}") from exc
    custom = _custom(raw)
    schema = raw["schema"][0]
    schema_custom = _custom(schema)
    file_rule = custom["fileName"]
    dialect = custom["dialect"]
    columns = tuple(
        _column(prop, f"{path.name}: schema.properties[{i}]")
        for i, prop in enumerate(schema.get("properties", []))
    )
    return Contract(
        source=raw["name"],
        version=str(raw["version"]),
        path=path,
        description=(raw.get("description") or {}).get("purpose", ""),
        producer=custom["producer"],
        level=custom["level"],
        mode=custom["mode"],
        table=schema["physicalName"],
        file_name=FileNameRule(
            order=int(file_rule["order"]),
            names=tuple(n.lower() for n in file_rule.get("names", [])),
            contains=file_rule.get("contains"),
            pattern=file_rule.get("pattern"),
            archives=tuple(file_rule.get("archives", [".gz"])),
            example=file_rule.get("example", ""),
        ),
        dialect=Dialect(
            separator=dialect["separator"],
            quoting=dialect["quoting"],
            encoding=dialect.get("encoding", "utf-8"),
            header=dialect.get("header", "trim"),
            null_tokens=tuple(dialect.get("nullTokens", [])),
        ),
        layout=dict(custom.get("layout") or {"type": "long"}),
        columns=columns,
        row_rules=tuple(RowRule(**r) for r in schema_custom.get("rowRules", []) or []),
        row_warnings=tuple(RowRule(**r) for r in schema_custom.get("rowWarnings", []) or []),
        quality=_quality(schema.get("quality", [])),
        conditional_required=tuple(custom.get("conditionalRequiredColumns", []) or []),
        ignored_columns=tuple(c.lower() for c in custom.get("ignoredColumns", []) or []),
        raw=raw,
    )


@functools.cache
def all_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    """Every contract, keyed by source name, in file-recognition order."""
    contracts = [load_contract(path) for path in sorted(directory.glob("*.yaml"))]
    contracts.sort(key=lambda c: c.file_name.order)
    return {c.source: c for c in contracts}


def get_contract(source: str) -> Contract:
    contracts = all_contracts()
    if source not in contracts:
        known = ", ".join(sorted(contracts))
        raise ContractError(f"unknown source {source!r} (known: {known})")
    return contracts[source]
