"""The data contracts are valid ODCS v3 documents and coherent with the parser's vocabulary."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
import yaml

from orchestration.settings import CONTRACTS_DIR
from orchestration.sources.contract import all_contracts
from orchestration.sources.decoders import DECODERS

CONTRACT_FILES = sorted(CONTRACTS_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def odcs_schema():
    return json.loads(resources.files("open_data_contract_standard").joinpath("schema.json").read_text())


@pytest.mark.parametrize("path", CONTRACT_FILES, ids=lambda p: p.stem)
def test_contract_is_valid_odcs(path, odcs_schema):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(odcs_schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{path.name}: {'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )
    assert document["name"] == path.stem


@pytest.mark.parametrize("source", sorted(all_contracts()))
def test_contract_columns_are_decodable(source):
    contract = all_contracts()[source]
    names = [c.name for c in contract.columns]
    assert len(names) == len(set(names)), "duplicated output column"
    for column in contract.columns:
        layout = contract.layout
        layout_bound = column.name in (
            layout.get("periodColumn"),
            layout.get("valueColumn"),
            layout.get("yearColumn"),
        )
        assert (column.decoder is None) != (column.transform is None) or layout_bound, column.name
        if column.decoder:
            assert column.decoder in DECODERS, f"{column.name}: unknown decoder {column.decoder}"
            assert column.source, f"{column.name}: a decoded column names its source column"
    assert contract.natural_key, "every source declares its natural key (primaryKey positions)"
    assert contract.quality_rule("rejectedShare") is not None


def test_recognition_orders_are_unique():
    orders = [c.file_name.order for c in all_contracts().values()]
    assert len(orders) == len(set(orders))
