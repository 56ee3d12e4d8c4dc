"""Columns of mostly distinct values are written plain; every value reads back the same.

A Parquet writer hashes every value of a dictionary-encoded column and
falls back to plain pages once the dictionary outgrows a page, which for a
column of keyed hashes is all work and no saving. The ledger decides per
column from the first rows (a stream's first piece).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from ledger_testkit import FURNISHER, column_chunks

from xinyong.ledger import BatchFormat, Ledger, RecordCounts, content_hash
from xinyong.ledger.fsio import PLAIN_MIN_ROWS, dictionary_columns
from xinyong.ledger.stream import TableStream

SCHEMA = pa.schema([("record_no", pa.int64()), ("key", pa.string()), ("status", pa.string())])


def _piece(first: int, n: int) -> pa.Table:
    numbers = range(first, first + n)
    return pa.table(
        {
            "record_no": pa.array(numbers, pa.int64()),
            "key": [f"{i * 2654435761 % 2**32:08x}" for i in numbers],
            "status": [("11", "13", "71")[i % 3] for i in numbers],
        },
        schema=SCHEMA,
    )


def _encodings(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, column in column_chunks(path):
        out.setdefault(name, set()).update(column.encodings)
    return out


def test_mostly_distinct_columns_are_plain_and_values_read_back(tmp_path: Path) -> None:
    pieces = [_piece(1, 3000), _piece(3001, 3000)]
    ledger = Ledger(tmp_path)
    ledger.write_batch(
        FURNISHER,
        content_hash(b"d"),
        BatchFormat.CSV,
        TableStream(iter([("accounts", p) for p in pieces]), {"accounts": SCHEMA}),
        lambda: {"accounts": RecordCounts(6000, 6000, 0)},
    )
    (path,) = ledger.paths("accounts")
    encodings = _encodings(path)
    assert "RLE_DICTIONARY" not in encodings["key"]
    assert "RLE_DICTIONARY" not in encodings["record_no"]
    assert "RLE_DICTIONARY" in encodings["status"]
    assert "RLE_DICTIONARY" in encodings["batch_id"]
    stored = pq.read_table(path).select(SCHEMA.names)
    assert stored.equals(pa.concat_tables(pieces))


def test_small_tables_keep_every_dictionary() -> None:
    table = _piece(1, PLAIN_MIN_ROWS - 1)
    assert dictionary_columns(table) == SCHEMA.names
    assert dictionary_columns(_piece(1, PLAIN_MIN_ROWS)) == ["status"]


def test_columns_that_cannot_be_counted_keep_their_dictionary() -> None:
    n = PLAIN_MIN_ROWS
    table = pa.table(
        {
            "items": pa.array([[i] for i in range(n)], pa.list_(pa.int64())),
            "nothing": pa.nulls(n),
            "key": [str(i) for i in range(n)],
        }
    )
    assert dictionary_columns(table) == ["items", "nothing"]
