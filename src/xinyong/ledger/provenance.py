"""Provenance columns and file metadata stamped on every stored record.

Every furnished record carries ``batch_id``, ``furnisher_id`` and ``record_no``
(data model), so any row read from any Parquet file, by any engine, can be
traced back to the submitted file and its position in it, and so supersession
can be decided from the row alone. Pure functions over Arrow tables; no I/O.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from xinyong import __version__
from xinyong.ledger.batch import BatchFormat, check_batch_id, check_sha256, check_table_name

BATCH_ID = "batch_id"
FURNISHER_ID = "furnisher_id"
RECORD_NO = "record_no"
#: Leading columns of every stored table, in this order.
PROVENANCE_COLUMNS: tuple[str, ...] = (BATCH_ID, FURNISHER_ID, RECORD_NO)


def with_provenance(table: pa.Table, *, batch_id: str, furnisher_id: str) -> pa.Table:
    """``table`` with the provenance columns first, filled in where missing.

    ``batch_id`` and ``furnisher_id`` are the ledger's to assign: a caller's
    column of that name may hold nulls or the same value, anything else is a
    mix-up that must not be stored. ``record_no`` is the caller's if given
    (ingest knows each record's position in the file, and derived rows such as
    monthly history share their parent's); otherwise it is 1..n in table order.
    """
    check_batch_id(batch_id)
    names = table.column_names
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"duplicate column names {dupes}")
    n = table.num_rows
    columns: dict[str, pa.ChunkedArray | pa.Array] = {
        BATCH_ID: _constant(table, BATCH_ID, batch_id),
        FURNISHER_ID: _constant(table, FURNISHER_ID, furnisher_id),
        RECORD_NO: _record_numbers(table) if RECORD_NO in names else _sequence(n),
    }
    for name in names:
        if name not in columns:
            columns[name] = table.column(name)
    result = pa.table(columns)
    if table.schema.metadata:
        result = result.replace_schema_metadata(table.schema.metadata)
    return result


def parquet_metadata(
    *,
    table: str,
    batch_id: str,
    furnisher_id: str,
    content_hash: str,
    format: BatchFormat,
) -> dict[bytes, bytes]:
    """Key/value metadata for a stored Parquet file.

    A file copied out of the ledger (to a regulator, to a Spark cluster) still
    says which batch, furnisher and submitted file it came from.
    """
    values = {
        "table": check_table_name(table),
        "batch_id": check_batch_id(batch_id),
        "furnisher_id": furnisher_id,
        "content_hash": check_sha256(content_hash, "content_hash"),
        "format": BatchFormat(format).value,
        "xinyong_version": __version__,
    }
    return {k.encode("utf-8"): v.encode("utf-8") for k, v in values.items()}


def stamp_metadata(table: pa.Table, metadata: dict[bytes, bytes]) -> pa.Table:
    """``table`` with ``metadata`` merged over any schema metadata it had."""
    merged = dict(table.schema.metadata or {})
    merged.update(metadata)
    return table.replace_schema_metadata(merged)


def _constant(table: pa.Table, name: str, value: str) -> pa.Array:
    if name in table.column_names:
        given = pc.drop_null(table.column(name))
        if len(given):
            distinct = pc.unique(given.cast(pa.string())).to_pylist()
            if distinct != [value]:
                shown = distinct[:3]
                raise ValueError(f"column {name!r} holds {shown}, but this batch's is {value!r}")
    return pa.repeat(pa.scalar(value, pa.string()), table.num_rows)


def _record_numbers(table: pa.Table) -> pa.ChunkedArray:
    column = table.column(RECORD_NO)
    if not (pa.types.is_integer(column.type) or pa.types.is_null(column.type)):
        raise ValueError(f"{RECORD_NO} must be an integer column, got {column.type}")
    if column.null_count:
        raise ValueError(f"{RECORD_NO} has {column.null_count} null values")
    return column.cast(pa.int64())


def _sequence(n: int) -> pa.Array:
    return pa.array(range(1, n + 1), type=pa.int64())
