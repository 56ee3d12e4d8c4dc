"""Canonical records as Parquet: schema field names as columns, dates as dates or text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any, BinaryIO

import pyarrow.parquet as pq

from xinyong.ingest.canonical_schema import kind_schema
from xinyong.ingest.records import FileRejected, RawRecord
from xinyong.ingest.source import Source, open_binary
from xinyong.ingest.text import record_kind

FORMAT = "parquet"
MAGIC = b"PAR1"


def sniff(data: bytes) -> bool:
    return len(data) >= 8 and data[:4] == MAGIC and data[-4:] == MAGIC


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read(data: Source) -> Iterator[RawRecord]:
    """Yield each row, streaming row groups so a large file never sits in memory whole."""
    with open_binary(data) as stream:
        parquet = open_parquet(stream)
        if "record_kind" not in parquet.schema_arrow.names:
            raise FileRejected("Parquet file has no record_kind column", rule="header")
        record_no = 0
        for batch in parquet.iter_batches(batch_size=65536):
            for row in batch.to_pylist():
                record_no += 1
                yield row_record(record_no, row)


def open_parquet(stream: BinaryIO) -> pq.ParquetFile:
    """The file's footer read; a file that has none refuses the whole file."""
    try:
        return pq.ParquetFile(stream)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise FileRejected(f"not a readable Parquet file: {exc}", rule="format") from exc


def row_record(record_no: int, row: dict[str, Any]) -> RawRecord:
    """One Parquet row as a raw record.

    A null in a column of the record's own kind is a field given as null
    (the column is there, as a CSV column is); a null elsewhere is nothing at
    all, so that a file mixing both kinds has no unknown fields. The raw text
    a reject quotes is the row's non-null values, as JSON.
    """
    given = {k: v for k, v in row.items() if v is not None}
    kind, problems = record_kind(given)
    own = kind_schema(kind).checks
    fields: dict[str, Any] = {k: v for k, v in row.items() if v is not None or k in own}
    raw = json.dumps(given, ensure_ascii=False, default=_json_default, sort_keys=True)
    return RawRecord(record_no, f"row {record_no}", raw, fields, kind, tuple(problems))
