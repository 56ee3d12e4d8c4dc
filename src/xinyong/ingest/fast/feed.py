"""A staged file's chunks as one Arrow stream, for a check query planned once per file.

Planning the check query costs a few tenths of a second (its SQL is tens of
kilobytes), so the file is not checked chunk by chunk with a query each:
one query reads all chunks from an Arrow record batch stream that DuckDB
pulls as it goes, which keeps memory to the chunks in flight. Before a
chunk enters the stream it is made ready here, in Python and Arrow:

* :func:`prep.prepare` strips its text and finds control characters;
* every field gets ``st_`` and ``ctl_`` columns, whether this chunk needed
  them or not, so that every chunk has the one shape the query was planned
  for (where a chunk needs no stripping, ``st_`` is ``v_`` itself).

The chunks stay here until the pieces of outcome for their records are
made, which need their raw texts (rejects quote them) and, for the few
records the SQL leaves to the reference check, the records themselves.

The stream is pulled from DuckDB's own threads; an exception raised here
reaches the caller as a DuckDB error, so it is handed to ``failed`` first,
for the caller to raise the original.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import replace

import duckdb
import pyarrow as pa

from xinyong.ingest.records import RawRecord

from .canonical_sql import StagedField
from .prep import prepare
from .sources import Chunk, Staged


class Feed:
    """The chunks of one staged file, prepared, as an Arrow stream; and those still needed."""

    def __init__(
        self,
        staged: Staged,
        side: duckdb.DuckDBPyConnection,
        failed: Callable[[BaseException], None],
    ) -> None:
        self._staged = staged.fields
        self.fields: dict[str, StagedField] = {
            name: replace(field, stripped=True, controls=True)
            for name, field in staged.fields.items()
            if field.present
        }
        """The fields as every chunk in the stream has them: stripped and searched."""
        self._chunks = staged.chunks(side)
        self._failed = failed
        self._lock = threading.Lock()
        self._window: list[Chunk] = []
        self.chunks = 0
        """Chunks fed so far."""

    def start(self) -> pa.RecordBatchReader | None:
        """The stream, its schema that of the first chunk; None for a file without records."""
        first = next(self._chunks, None)
        if first is None:
            return None
        table = self._ready(first)
        schema = table.schema

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from self._fed(first, table)
                for chunk in self._chunks:
                    yield from self._fed(chunk, self._ready(chunk).cast(schema))
            except GeneratorExit:
                raise
            except BaseException as exc:
                self._failed(exc)
                raise

        return pa.RecordBatchReader.from_batches(schema, batches())

    def close(self) -> None:
        """Stop reading the file: its reader's own resources (a DuckDB query) go first."""
        if isinstance(self._chunks, Generator):
            self._chunks.close()

    def _fed(self, chunk: Chunk, table: pa.Table) -> list[pa.RecordBatch]:
        with self._lock:
            self._window.append(chunk)
        self.chunks += 1
        batches: list[pa.RecordBatch] = table.to_batches()
        return batches

    def _ready(self, chunk: Chunk) -> pa.Table:
        """The chunk's table in the stream's shape."""
        table, fields = prepare(chunk.table, self._staged)
        columns = dict(zip(table.column_names, table.columns, strict=True))
        never = pa.repeat(False, table.num_rows)
        for name, field in fields.items():
            if not field.present:
                continue
            if not field.stripped:
                columns["st_" + name] = columns["v_" + name].cast(pa.string())
            if not field.controls:
                columns["ctl_" + name] = never
        ordered = chunk.table.column_names + [
            f"{prefix}{name}" for name in self.fields for prefix in ("st_", "ctl_")
        ]
        return pa.table({name: columns[name] for name in ordered})

    def release(self, last_record_no: int) -> None:
        """Forget the chunks whose records are all up to ``last_record_no`` (their outcome made)."""
        with self._lock:
            self._window = [c for c in self._window if c.last > last_record_no]

    def _chunk(self, record_no: int) -> Chunk:
        with self._lock:
            for chunk in self._window:
                if chunk.first <= record_no <= chunk.last:
                    return chunk
        raise LookupError(f"record {record_no} is in no chunk still held")

    def raw_texts(self, record_nos: Sequence[int]) -> list[str]:
        """The raw texts of records (in any order) of the chunks still held."""
        out: list[str] = []
        i = 0
        while i < len(record_nos):
            chunk = self._chunk(record_nos[i])
            j = i
            while j < len(record_nos) and chunk.first <= record_nos[j] <= chunk.last:
                j += 1
            out += chunk.raw_texts(record_nos[i:j])
            i = j
        return out

    def reference(self, record_no: int) -> RawRecord:
        """The reference reader's record ``record_no`` (of a chunk still held)."""
        return self._chunk(record_no).reference(record_no)
