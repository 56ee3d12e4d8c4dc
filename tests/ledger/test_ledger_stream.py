"""Batches written piece by piece: the same files as whole tables, atomic, bounded."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ledger_testkit import FURNISHER, accounts, public_records

from xinyong.ledger import BatchFormat, BatchStatus, Ledger, RecordCounts, content_hash
from xinyong.ledger.stream import TableStream

SCHEMAS = {
    "accounts": accounts([]).schema.append(pa.field("record_no", pa.int64())),
    "public_records": public_records([]).schema,
    "rejects": pa.schema([("record_no", pa.int64()), ("rule", pa.string())]),
}


def _rejects(numbers: list[int]) -> pa.Table:
    return pa.table(
        {"record_no": pa.array(numbers, pa.int64()), "rule": ["code_list"] * len(numbers)}
    )


def _with_record_no(table: pa.Table, first: int) -> pa.Table:
    return table.append_column(
        "record_no", pa.array(range(first, first + table.num_rows), pa.int64())
    )


def _pieces() -> Iterator[tuple[str, pa.Table]]:
    yield "accounts", _with_record_no(accounts([("A1", 1), ("A2", 2)]), 1)
    yield "rejects", _rejects([3])
    yield "accounts", _with_record_no(accounts([]), 4)  # an empty piece writes nothing
    yield "accounts", _with_record_no(accounts([("A4", 4)]), 4)


def _stream(pieces: Iterator[tuple[str, pa.Table]] | None = None) -> TableStream:
    return TableStream(
        _pieces() if pieces is None else pieces, SCHEMAS, always=frozenset({"rejects"})
    )


def _counts() -> dict[str, RecordCounts]:
    return {"accounts": RecordCounts(4, 3, 1)}


def test_streamed_batch_equals_the_whole_table_batch(tmp_path: Path) -> None:
    whole = Ledger(tmp_path / "whole").write_batch(
        FURNISHER,
        content_hash(b"w"),
        BatchFormat.CSV,
        {
            "accounts": accounts([("A1", 1), ("A2", 2), ("A4", 4)]).append_column(
                "record_no", pa.array([1, 2, 4], pa.int64())
            ),
            "rejects": _rejects([3]),
        },
        _counts(),
    )
    streamed_ledger = Ledger(tmp_path / "streamed")
    streamed = streamed_ledger.write_batch(
        FURNISHER, content_hash(b"w"), BatchFormat.CSV, _stream(), _counts
    )
    assert streamed.status is BatchStatus.STORED
    assert streamed.counts == whole.counts
    assert {n: f.rows for n, f in streamed.tables.items()} == {"accounts": 3, "rejects": 1}
    whole_ledger = Ledger(tmp_path / "whole")
    for name in ("accounts", "rejects"):
        (a,) = whole_ledger.paths(name)
        (b,) = streamed_ledger.paths(name)
        ta, tb = pq.read_table(a), pq.read_table(b)
        assert ta.schema.names == tb.schema.names
        assert (
            ta.drop_columns(["batch_id"]).to_pylist() == tb.drop_columns(["batch_id"]).to_pylist()
        )
        meta = tb.schema.metadata
        assert meta[b"table"] == name.encode() and meta[b"batch_id"] == streamed.batch_id.encode()
        assert set(tb.column("batch_id").to_pylist()) == {streamed.batch_id}
    assert streamed_ledger.verify() == []


def test_a_table_in_always_is_stored_empty(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    manifest = ledger.write_batch(
        FURNISHER,
        content_hash(b"e"),
        BatchFormat.CSV,
        _stream(iter([("accounts", _with_record_no(accounts([("A1", 1)]), 1))])),
        lambda: {"accounts": RecordCounts(1, 1, 0)},
    )
    assert {n: f.rows for n, f in manifest.tables.items()} == {"accounts": 1, "rejects": 0}
    (path,) = ledger.paths("rejects")
    assert pq.read_table(path).num_rows == 0


def test_an_error_mid_stream_leaves_the_ledger_as_it_was(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    first = ledger.write_batch(FURNISHER, content_hash(b"1"), BatchFormat.CSV, _stream(), _counts)

    def failing() -> Iterator[tuple[str, pa.Table]]:
        yield "accounts", _with_record_no(accounts([("B1", 1)]), 1)
        raise RuntimeError("the trailer does not match")

    with pytest.raises(RuntimeError, match="trailer"):
        ledger.write_batch(
            FURNISHER, content_hash(b"2"), BatchFormat.CSV, _stream(failing()), _counts
        )
    assert [m.batch_id for m in ledger.batches()] == [first.batch_id]
    assert not list(ledger.batches_dir.glob(".tmp-*"))
    assert ledger.find_by_hash(content_hash(b"2")) is None


def test_a_duplicate_does_not_read_the_stream(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    first = ledger.write_batch(FURNISHER, content_hash(b"d"), BatchFormat.CSV, _stream(), _counts)

    def untouched() -> Iterator[tuple[str, pa.Table]]:
        raise AssertionError("a duplicate must not be read")
        yield  # pragma: no cover

    again = ledger.write_batch(
        FURNISHER, content_hash(b"d"), BatchFormat.CSV, _stream(untouched()), _counts
    )
    assert again.status is BatchStatus.DUPLICATE and again.duplicate_of == first.batch_id


def test_counts_that_do_not_fit_the_tables_argument_are_refused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    with pytest.raises(TypeError, match="counts must be a function"):
        ledger.write_batch(FURNISHER, content_hash(b"x"), BatchFormat.CSV, _stream(), _counts())
    with pytest.raises(TypeError, match="counts must be a function"):
        ledger.write_batch(FURNISHER, content_hash(b"x"), BatchFormat.CSV, {}, _counts)
    with pytest.raises(ValueError, match="not one of"):
        ledger.write_batch(
            FURNISHER,
            content_hash(b"x"),
            BatchFormat.CSV,
            _stream(iter([("loans", accounts([("A1", 1)]))])),
            _counts,
        )
    assert ledger.batches() == []
