"""Row-group statistics where a reader can use them: numbers, dates, provenance; not text.

The writer's minimum and maximum of every text value were most of the statistics'
cost (callgrind, on Metro 2 ledger rows) and a range of names or keyed hashes
selects nothing; a range of reporting dates, record numbers or batch ids does.
Both ways a batch is written (whole tables and a stream of pieces) do the same,
and every value reads back as written.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ledger_testkit import FURNISHER, column_chunks

from xinyong.ledger import BatchFormat, Ledger, RecordCounts, content_hash
from xinyong.ledger.fsio import statistics_columns
from xinyong.ledger.stream import TableStream

SCHEMA = pa.schema(
    [
        ("record_no", pa.int64()),
        ("id_hash", pa.string()),
        ("family_name", pa.string()),
        ("date_reported", pa.date32()),
        ("current_balance_minor", pa.int64()),
        ("raw", pa.binary()),
    ]
)
ROWS = 3000


def _table(first: int, n: int) -> pa.Table:
    numbers = range(first, first + n)
    return pa.table(
        {
            "record_no": pa.array(numbers, pa.int64()),
            "id_hash": [f"{i * 2654435761 % 2**32:064x}" for i in numbers],
            "family_name": [("Li", "Wang", "Zhang")[i % 3] for i in numbers],
            "date_reported": [dt.date(2026, 4, 30)] * n,
            "current_balance_minor": pa.array([i * 100 for i in numbers], pa.int64()),
            "raw": [b"x" * (i % 5) for i in numbers],
        },
        schema=SCHEMA,
    )


def _with_statistics(path: Path) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for name, column in column_chunks(path):
        has = column.is_stats_set and column.statistics.has_min_max
        out[name] = out.get(name, False) or has
    return out


def _write(ledger: Ledger, streamed: bool) -> Path:
    counts = {"accounts": RecordCounts(ROWS, ROWS, 0)}
    if streamed:
        pieces = [
            ("accounts", _table(1, ROWS // 2)),
            ("accounts", _table(1 + ROWS // 2, ROWS // 2)),
        ]
        ledger.write_batch(
            FURNISHER,
            content_hash(b"streamed"),
            BatchFormat.CSV,
            TableStream(iter(pieces), {"accounts": SCHEMA}),
            lambda: counts,
        )
    else:
        ledger.write_batch(
            FURNISHER,
            content_hash(b"whole"),
            BatchFormat.CSV,
            {"accounts": _table(1, ROWS)},
            counts,
        )
    (path,) = ledger.paths("accounts")
    return path


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_numbers_dates_and_provenance_have_statistics_text_has_none(
    tmp_path: Path, streamed: bool
) -> None:
    path = _write(Ledger(tmp_path), streamed)
    stats = _with_statistics(path)
    for name in ("record_no", "date_reported", "current_balance_minor", "batch_id", "furnisher_id"):
        assert stats[name], name
    for name in ("id_hash", "family_name", "raw"):
        assert not stats[name], name
    stored = pq.read_table(path).select(SCHEMA.names)
    assert stored.equals(_table(1, ROWS))


def test_each_row_group_gives_its_own_range(tmp_path: Path) -> None:
    path = _write(Ledger(tmp_path), streamed=True)
    ranges = [
        (column.statistics.min, column.statistics.max)
        for name, column in column_chunks(path)
        if name == "record_no"
    ]
    assert ranges == [(1, ROWS // 2), (1 + ROWS // 2, ROWS)]  # one row group per piece


def test_text_and_bytes_are_left_out_but_the_provenance_columns() -> None:
    schema = pa.schema(
        [
            ("batch_id", pa.string()),
            ("furnisher_id", pa.string()),
            ("when", pa.timestamp("us", tz="UTC")),
            ("flag", pa.bool_()),
            ("note", pa.large_string()),
            ("blob", pa.large_binary()),
        ]
    )
    assert statistics_columns(schema) == ["batch_id", "furnisher_id", "when", "flag"]
