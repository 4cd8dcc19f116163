"""`duckdb FILE`: a SQL shell on the platform's own DuckDB (the version that writes the files).

Analysts query the serving file with the same DuckDB as every other process of the platform, so no
second DuckDB (and no storage-version mismatch) is ever involved. Opens read-only unless --write.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

HELP = """Enter SQL ending with ';'. Dot commands:
  .tables            list the tables (schema.table)
  .schema TABLE      columns, types and comments of a table
  .help              this help
  .quit              leave"""


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    try:
        relation = con.sql(sql)
        if relation is not None:
            relation.show(max_rows=40, max_width=200)
    except duckdb.Error as exc:
        print(f"Error: {exc}", file=sys.stderr)


def _dot(con: duckdb.DuckDBPyConnection, command: str) -> bool:
    parts = command.split()
    if parts[0] in (".quit", ".exit"):
        return False
    if parts[0] == ".tables":
        _run(
            con,
            "select schema_name || '.' || table_name as table_name, comment from duckdb_tables() order by 1",
        )
    elif parts[0] == ".schema" and len(parts) == 2:
        schema, _, table = parts[1].rpartition(".")
        _run(
            con,
            "select column_name, data_type, comment from duckdb_columns() "
            f"where table_name = '{table}'" + (f" and schema_name = '{schema}'" if schema else ""),
        )
    else:
        print(HELP)
    return True


def repl(con: duckdb.DuckDBPyConnection) -> None:
    interactive = sys.stdin.isatty()
    buffer: list[str] = []
    while True:
        try:
            line = input("D " if not buffer else "· ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        if not interactive and line == "":
            break
        stripped = line.strip()
        if not buffer and stripped.startswith("."):
            if not _dot(con, stripped):
                break
            continue
        buffer.append(line)
        if stripped.endswith(";"):
            _run(con, "\n".join(buffer))
            buffer = []
    if buffer and "".join(buffer).strip():
        _run(con, "\n".join(buffer))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="duckdb", description=__doc__)
    parser.add_argument("database", nargs="?", default=":memory:")
    parser.add_argument("-c", "--command", help="run this SQL and exit")
    parser.add_argument("--write", action="store_true", help="open read-write (default: read-only)")
    args = parser.parse_args(argv)
    read_only = args.database != ":memory:" and not args.write
    con = duckdb.connect(args.database, read_only=read_only)
    if args.command:
        _run(con, args.command)
        return
    if sys.stdin.isatty():
        print(
            f"DuckDB {duckdb.__version__} — {args.database}{' (read-only)' if read_only else ''}. .help for help."
        )
    repl(con)


if __name__ == "__main__":
    main()
