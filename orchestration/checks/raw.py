"""Asset checks of the raw assets, driven by each contract's quality rules."""

import re

import dagster as dg

from orchestration.ingestion.warehouse import FILES_TABLE, table_columns
from orchestration.resources import Warehouse
from orchestration.sources.contract import Contract, all_contracts

SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warning": dg.AssetCheckSeverity.WARN}


def _normalised_type(column_type: str) -> str:
    """DuckDB ignores VARCHAR lengths: `VARCHAR(5)` is stored as `VARCHAR`."""
    return re.sub(r"^VARCHAR\(\d+\)$", "VARCHAR", column_type.replace(" NOT NULL", "").upper())


def _current(contract: Contract) -> str:
    return " where _valid_to_batch is null" if contract.is_stock else ""


def build_raw_checks(contract: Contract) -> list[dg.AssetChecksDefinition]:
    asset_key = dg.AssetKey(["raw", contract.source])
    checks: list[dg.AssetChecksDefinition] = []

    @dg.asset_check(
        asset=asset_key,
        name="conformite_contrat",
        blocking=True,
        description="The raw table has exactly the contract's columns and types.",
    )
    def conformite(warehouse: Warehouse) -> dg.AssetCheckResult:
        schema, table = contract.table.split(".")
        with warehouse.connect(read_only=True) as con:
            actual = dict(
                con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ?",
                    [schema, table],
                ).fetchall()
            )
        expected = {c: _normalised_type(t) for c, t in table_columns(contract).items()}
        wrong = {
            c: {"attendu": t, "trouve": actual.get(c)}
            for c, t in expected.items()
            if _normalised_type(actual.get(c, "")) != t
        }
        return dg.AssetCheckResult(passed=not wrong, metadata={"ecarts": dg.MetadataValue.json(wrong)})

    checks.append(conformite)

    key_rule = contract.quality_rule("duplicateValues")
    if key_rule and contract.natural_key:
        key = ", ".join(f'"{k}"' for k in contract.natural_key)

        @dg.asset_check(
            asset=asset_key,
            name="cle_naturelle_unique",
            description=f"No duplicate ({', '.join(contract.natural_key)}) in the current state.",
        )
        def cle_unique(warehouse: Warehouse) -> dg.AssetCheckResult:
            sql = (
                f"select count(*) from (select {key} from {contract.table}{_current(contract)} "
                f"group by {key} having count(*) > 1)"
            )
            if not contract.is_stock:
                sql = (
                    f"select count(*) from (select {key} from {contract.table} r join {FILES_TABLE} f "
                    "on f.sha256 = r._file_sha256 and f.batch_key = r._batch_key and f.applied "
                    f"and not f.superseded group by {key}, r._batch_key having count(*) > 1)"
                )
            with warehouse.connect(read_only=True) as con:
                duplicates = con.execute(sql).fetchall()[0][0]
            return dg.AssetCheckResult(
                passed=duplicates == 0,
                severity=SEVERITY[key_rule.severity],
                metadata={"cles_en_double": duplicates},
            )

        checks.append(cle_unique)

    reject_rule = contract.quality_rule("rejectedShare")
    if reject_rule:

        @dg.asset_check(
            asset=asset_key,
            name="part_lignes_rejetees",
            blocking=reject_rule.severity == "error",
            description=f"Rejected share of the latest file <= {reject_rule.threshold:.0%}.",
        )
        def part_rejets(warehouse: Warehouse) -> dg.AssetCheckResult:
            with warehouse.connect(read_only=True) as con:
                rows = con.execute(
                    f"select file_name, batch_key, rejected_share from {FILES_TABLE} "
                    "where source = ? and status <> 'fatal' order by load_seq desc limit 1",
                    [contract.source],
                ).fetchall()
            if not rows:
                return dg.AssetCheckResult(passed=True, metadata={"fichier": "aucun"})
            name, batch, share = rows[0]
            return dg.AssetCheckResult(
                passed=share <= reject_rule.threshold,
                severity=SEVERITY[reject_rule.severity],
                metadata={
                    "fichier": f"{batch}/{name}",
                    "part_rejetee": share,
                    "seuil": reject_rule.threshold,
                },
            )

        checks.append(part_rejets)

    change_rule = contract.quality_rule("rowCountChange")
    if change_rule:

        @dg.asset_check(
            asset=asset_key,
            name="variation_volume",
            description=f"Loaded lines change <= {change_rule.threshold:.0%} vs the previous file.",
        )
        def variation(warehouse: Warehouse) -> dg.AssetCheckResult:
            with warehouse.connect(read_only=True) as con:
                rows = con.execute(
                    f"select lines_loaded from {FILES_TABLE} where source = ? and applied "
                    "order by batch_key desc, load_seq desc limit 2",
                    [contract.source],
                ).fetchall()
            if len(rows) < 2 or rows[1][0] == 0:
                return dg.AssetCheckResult(passed=True, metadata={"comparaison": "pas de version précédente"})
            change = abs(rows[0][0] - rows[1][0]) / rows[1][0]
            return dg.AssetCheckResult(
                passed=change <= change_rule.threshold,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"variation": change, "lignes": rows[0][0], "lignes_precedentes": rows[1][0]},
            )

        checks.append(variation)
    return checks


raw_checks = [check for contract in all_contracts().values() for check in build_raw_checks(contract)]
