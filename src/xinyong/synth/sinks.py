"""Append-only writers for the output files, one per file.

Text formats go straight to buffered file handles; Parquet rows are held
only until the end of the current chunk and then written as one row group,
so memory stays bounded by the chunk size whatever the population. Every
writer counts its records, so the caller learns each record's 1-based
``record_no`` (its position in the file) for the truth mapping.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

Record = dict[str, Any]

EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet", "metro2": "dat"}


class Sink(Protocol):
    """What the generator needs of a writer."""

    path: Path
    records: int

    def write(self, record: Record) -> int:
        """Append a record; return its 1-based position in the file."""
        ...

    def end_chunk(self) -> None:
        """Write out whatever is buffered; called after every chunk."""
        ...

    def close(self) -> None: ...


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


class CsvSink:
    """UTF-8 CSV with a header row; empty cells are nulls."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.records = 0
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(self.columns)

    def write(self, record: Record) -> int:
        self._writer.writerow([_text(record.get(c)) for c in self.columns])
        self.records += 1
        return self.records

    def end_chunk(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class JsonlSink:
    """One JSON object per line, non-ASCII kept as is; empty keys left out
    or written as null according to the furnisher's habit."""

    def __init__(self, path: Path, columns: Sequence[str], omit_nulls: bool = False) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.omit_nulls = omit_nulls
        self.records = 0
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="\n")

    def write(self, record: Record) -> int:
        if self.omit_nulls:
            obj = {c: record[c] for c in self.columns if record.get(c) is not None}
        else:
            obj = {c: record.get(c) for c in self.columns}
        self._file.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
        self._file.write("\n")
        self.records += 1
        return self.records

    def end_chunk(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class ParquetSink:
    """Parquet with one row group per chunk. Dates stay ISO strings, as the
    canonical schema states them (and so that a deliberately impossible
    date such as 2023-02-30 can be written at all); amounts are int64."""

    def __init__(self, path: Path, columns: Sequence[str], integer_columns: frozenset[str]) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.records = 0
        self.schema = pa.schema(
            [pa.field(c, pa.int64() if c in integer_columns else pa.string()) for c in self.columns]
        )
        self._buffer: dict[str, list[Any]] = {c: [] for c in self.columns}
        self._writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")

    @property
    def buffered(self) -> int:
        """Rows held in memory, waiting for the end of the chunk."""
        return len(self._buffer[self.columns[0]])

    def write(self, record: Record) -> int:
        for c in self.columns:
            self._buffer[c].append(record.get(c))
        self.records += 1
        return self.records

    def end_chunk(self) -> None:
        if self.buffered:
            table = pa.Table.from_pydict(self._buffer, schema=self.schema)
            self._writer.write_table(table)
            self._buffer = {c: [] for c in self.columns}

    def close(self) -> None:
        self.end_chunk()
        self._writer.close()


def open_sink(
    fmt: str, path: Path, columns: Sequence[str], integer_columns: frozenset[str], omit_nulls: bool
) -> Sink:
    """A writer for one canonical-format file."""
    if fmt == "csv":
        return CsvSink(path, columns)
    if fmt == "jsonl":
        return JsonlSink(path, columns, omit_nulls)
    if fmt == "parquet":
        return ParquetSink(path, columns, integer_columns)
    raise ValueError(f"no canonical writer for format {fmt!r}")
