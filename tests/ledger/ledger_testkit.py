"""Fixtures built in code for the ledger tests, and the child-process workers.

The workers live in an importable module (not a test file) because the
``spawn`` start method imports their module afresh in each child.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.ledger import BatchFormat, BatchManifest, Ledger, RecordCounts, content_hash, fsio
from xinyong.ledger import store as store_module

FURNISHER = "bank-001"


def column_chunks(path: Path) -> Iterator[tuple[str, pq.ColumnChunkMetaData]]:
    """Every column chunk of a Parquet file, row group by row group, with its column's name."""
    meta = pq.ParquetFile(path).metadata
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            column = group.column(c)
            yield column.path_in_schema, column


def accounts(rows: list[tuple[str, int]]) -> pa.Table:
    """An accounts table of (account_id, current_balance_minor) in CNY."""
    return pa.table(
        {
            "account_id": pa.array([r[0] for r in rows], pa.string()),
            "currency": pa.array(["CNY"] * len(rows), pa.string()),
            "current_balance_minor": pa.array([r[1] for r in rows], pa.int64()),
        }
    )


def public_records(ids: list[str]) -> pa.Table:
    """A public_records table of court judgments."""
    return pa.table(
        {
            "record_id": pa.array(ids, pa.string()),
            "kind": pa.array(["court_judgment"] * len(ids), pa.string()),
        }
    )


def submit(
    ledger: Ledger,
    payload: bytes,
    rows: list[tuple[str, int]],
    *,
    public: list[str] | None = None,
    rejected: int = 0,
) -> BatchManifest:
    """Write a batch as ingest would: the file's hash, its tables, its counts."""
    tables = {"accounts": accounts(rows)}
    counts = {"base": RecordCounts(len(rows) + rejected, len(rows), rejected)}
    if public is not None:
        tables["public_records"] = public_records(public)
        counts["public_record"] = RecordCounts(len(public), len(public), 0)
    return ledger.write_batch(
        furnisher_id=FURNISHER,
        content_hash=content_hash(payload),
        format=BatchFormat.CSV,
        tables=tables,
        counts=counts,
        source_name="accounts.csv",
    )


def write_same_after_barrier(root: str, payload: bytes, barrier: Barrier) -> None:
    """Child: wait until every writer is ready, then submit the same bytes."""
    ledger = Ledger(Path(root))
    barrier.wait()
    submit(ledger, payload, [("A1", 100), ("A2", 200)])


def crash_after_first_file(root: str, payload: bytes) -> None:
    """Child: die abruptly (no cleanup, no exception handlers) mid-batch."""
    real = fsio.write_parquet
    calls = []

    def write_then_die(path: Path, table: pa.Table) -> None:
        real(path, table)
        calls.append(path)
        if len(calls) == 1:
            os._exit(3)

    setattr(store_module, "write_parquet", write_then_die)  # noqa: B010 (patch for the crash)
    submit(Ledger(Path(root)), payload, [("A1", 1)], public=["P1"])
