"""Read the ledger with SQL: DuckDB views over the stored Parquet files.

The SQL is built as plain strings by pure functions, so the Spark engine can
transpile the same text with SQLGlot instead of keeping a second copy. Only
``view_sql`` is DuckDB-specific (``read_parquet``); Spark registers the same
file lists with its own reader.

Supersession: records are never updated in place, so "the current record for
a key" is the one from the latest batch, and within a batch the highest
``record_no``. Batch ids sort by storage time, so both are plain column
comparisons that any engine can do; superseded rows stay in the ledger.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

from xinyong.ledger.batch import check_table_name
from xinyong.ledger.errors import TableMissingError
from xinyong.ledger.provenance import BATCH_ID, RECORD_NO
from xinyong.ledger.store import Ledger

#: Later is larger: the default order that decides which record supersedes.
SUPERSESSION_ORDER: tuple[str, ...] = (BATCH_ID, RECORD_NO)
#: Name of the rank column inside ``current``'s subquery.
RANK_COLUMN = "supersession_rank"
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (ANSI; SQLGlot maps it to Spark).

    Only plain identifiers are accepted, so a column name can never carry SQL.
    """
    if not _IDENTIFIER_RE.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


def sql_string(value: str) -> str:
    """``value`` as a single-quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def view_sql(table: str, paths: Sequence[Path]) -> str:
    """``CREATE VIEW`` of one record table over its Parquet files (DuckDB).

    ``union_by_name`` lets the schema grow over time (a column added in a
    later batch reads as NULL in earlier ones) without rewriting old files.
    """
    check_table_name(table)
    if not paths:
        raise TableMissingError(f"no Parquet files for table {table!r}")
    files = ", ".join(sql_string(str(p)) for p in paths)
    return (
        f"CREATE OR REPLACE VIEW {quote_identifier(table)} AS "
        f"SELECT * FROM read_parquet([{files}], union_by_name = true, hive_partitioning = false)"
    )


def current(
    table: str,
    key_columns: Sequence[str],
    order_columns: Sequence[str] = SUPERSESSION_ORDER,
    columns: Sequence[str] | None = None,
) -> str:
    """SQL selecting the latest record per key of ``table``; deletes nothing.

    ``order_columns`` are compared descending (larger is later), NULLs last;
    by default (``batch_id``, ``record_no``). A caller may lead with a
    business date, e.g. (``date_reported``, ``batch_id``, ``record_no``), so a
    late-arriving older report does not supersede a newer one.

    With ``columns`` the result has exactly those columns; without, it is
    ``*`` and keeps the ``supersession_rank`` column (always 1), because
    ``SELECT * EXCLUDE`` is not portable to Spark. Rows whose key is NULL form
    one group, as in ``GROUP BY``; ingest must not store such keys.
    """
    check_table_name(table)
    if not key_columns:
        raise ValueError("current() needs at least one key column")
    if not order_columns:
        raise ValueError("current() needs at least one order column")
    partition = ", ".join(quote_identifier(c) for c in key_columns)
    order = ", ".join(f"{quote_identifier(c)} DESC NULLS LAST" for c in order_columns)
    outer = "*" if columns is None else ", ".join(quote_identifier(c) for c in columns)
    return (
        f"SELECT {outer} FROM ("
        f"SELECT *, ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {order}) "
        f"AS {RANK_COLUMN} FROM {quote_identifier(table)}"
        f") AS ranked WHERE {RANK_COLUMN} = 1"
    )


def connect(
    ledger: Ledger,
    *,
    snapshot_id: str | None = None,
    require: Iterable[str] = (),
    database: str = ":memory:",
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per record table of the ledger.

    With ``snapshot_id`` the views cover only that snapshot's batches, which is
    how a served score is recomputed from the data it saw. Tables named in
    ``require`` must have at least one stored file, else ``TableMissingError``
    says so plainly (instead of DuckDB's "table does not exist" later on).
    Paths are made absolute, so the views survive a change of working folder.
    """
    names = ledger.tables(snapshot_id)
    missing = sorted(set(require) - set(names))
    if missing:
        where = f"snapshot {snapshot_id}" if snapshot_id else "the stored batches"
        raise TableMissingError(
            f"ledger {ledger.root} has no Parquet files for table(s) {missing} in {where}"
        )
    con = duckdb.connect(database)
    try:
        for name in names:
            paths = [p.absolute() for p in ledger.paths(name, snapshot_id)]
            con.execute(view_sql(name, paths))
    except BaseException:
        con.close()
        raise
    return con


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Column names of a view or table; ``TableMissingError`` if it is absent."""
    check_table_name(table)
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    if not rows:
        raise TableMissingError(f"no view {table!r}: the ledger has no files for it")
    return [str(row[0]) for row in rows]


def create_current_view(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key_columns: Sequence[str],
    order_columns: Sequence[str] = SUPERSESSION_ORDER,
    name: str | None = None,
) -> str:
    """Create view ``<table>_current`` (or ``name``) of the latest record per key.

    The column list is read from the connection, so the view has the table's
    columns and no rank column. Returns the view name.
    """
    view = check_table_name(name or f"{table}_current")
    select = current(table, key_columns, order_columns, columns=table_columns(con, table))
    con.execute(f"CREATE OR REPLACE VIEW {quote_identifier(view)} AS {select}")
    return view
