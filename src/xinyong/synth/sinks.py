"""Encoders and append-only writers for the furnisher files.

Writing a file is split in two so that chunks can be generated in worker
processes: an *encoder* turns one chunk's records of one file into bytes (or,
for Parquet, one Arrow table, written as one row group), and the file's
*writer*, in the process that owns the output folder, appends the encoded
chunks in order. Memory stays bounded by the chunk size whatever the
population. Records arrive as rows (``records.Row``: the values of the
record kind's fields, in order); an encoder picks the furnisher's columns
from them with one ``itemgetter``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.synth.records import ACCOUNT_ROW_FIELDS, PUBLIC_RECORD_FIELDS, Row

EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet", "metro2": "dat"}


class Encoder(Protocol):
    """Encodes one chunk's records of one file."""

    def encode(self, rows: Sequence[Row]) -> Any:
        """What the file's writer appends: bytes, or an Arrow table."""
        ...


class Writer(Protocol):
    """Appends encoded chunks to one file."""

    path: Path
    records: int

    def append(self, chunk: Any, records: int) -> None:
        """Append one encoded chunk of ``records`` records."""
        ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def _picker(columns: Sequence[str], record_kind: str) -> itemgetter[Any]:
    fields = ACCOUNT_ROW_FIELDS if record_kind == "account" else PUBLIC_RECORD_FIELDS
    index = {name: i for i, name in enumerate(fields)}
    return itemgetter(*(index[c] for c in columns))


class CsvEncoder:
    """UTF-8 CSV lines; empty cells are nulls."""

    def __init__(self, columns: Sequence[str], record_kind: str) -> None:
        self.columns = tuple(columns)
        self._pick = _picker(columns, record_kind)

    def header(self) -> bytes:
        return csv_bytes([self.columns])

    def encode(self, rows: Sequence[Row]) -> bytes:
        return csv_bytes(map(self._pick, rows))


def csv_bytes(rows: Any) -> bytes:
    """Rows as CSV text (``None`` is written as an empty cell)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


class JsonlEncoder:
    """One JSON object per line, non-ASCII kept as is; empty keys left out
    or written as null according to the furnisher's habit."""

    def __init__(self, columns: Sequence[str], record_kind: str, omit_nulls: bool) -> None:
        self.columns = tuple(columns)
        self.omit_nulls = omit_nulls
        self._pick = _picker(columns, record_kind)
        self._encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def encode(self, rows: Sequence[Row]) -> bytes:
        columns, encode = self.columns, self._encode
        if self.omit_nulls:
            lines = [
                encode({c: v for c, v in zip(columns, values, strict=True) if v is not None})
                for values in map(self._pick, rows)
            ]
        else:
            lines = [
                encode(dict(zip(columns, values, strict=True))) for values in map(self._pick, rows)
            ]
        lines.append("")
        return "\n".join(lines).encode("utf-8")


def parquet_schema(columns: Sequence[str], integer_columns: frozenset[str]) -> Any:
    """Dates stay ISO strings, as the canonical schema states them (and so
    that a deliberately impossible date such as 2023-02-30 can be written at
    all); amounts are int64."""
    return pa.schema(
        [pa.field(c, pa.int64() if c in integer_columns else pa.string()) for c in columns]
    )


class ParquetEncoder:
    """One chunk as one Arrow table, built column by column."""

    def __init__(
        self, columns: Sequence[str], record_kind: str, integer_columns: frozenset[str]
    ) -> None:
        self.columns = tuple(columns)
        self.schema = parquet_schema(columns, integer_columns)
        self._pick = _picker(columns, record_kind)

    def encode(self, rows: Sequence[Row]) -> Any:
        columns = zip(*map(self._pick, rows), strict=True)
        arrays = [
            pa.array(values, type=f.type) for values, f in zip(columns, self.schema, strict=True)
        ]
        return pa.Table.from_arrays(arrays, schema=self.schema)


def warm_up() -> None:
    """Load what pyarrow loads on its first conversion (pandas, if
    installed), so that worker processes forked afterwards share it."""
    pa.array([""], type=pa.string())


class BytesWriter:
    """A text file (CSV with its header, or JSON Lines) that chunks are appended to."""

    def __init__(self, path: Path, header: bytes = b"") -> None:
        self.path = path
        self.records = 0
        self._file: IO[bytes] = path.open("wb")
        self._file.write(header)

    def append(self, chunk: bytes, records: int) -> None:
        self._file.write(chunk)
        self.records += records

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class ParquetWriter:
    """Parquet with one row group per chunk, compressed with zstd."""

    def __init__(self, path: Path, schema: Any) -> None:
        self.path = path
        self.records = 0
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")

    def append(self, chunk: Any, records: int) -> None:
        if records:
            self._writer.write_table(chunk)
            self.records += records

    def flush(self) -> None:
        """Row groups are written as they come; the footer waits for ``close``."""

    def close(self) -> None:
        self._writer.close()
