"""A batch's tables written piece by piece, so that a large batch never sits in memory.

Ingest produces a file's outcome in pieces (tens of thousands of records
each); :class:`TableStream` carries them to :meth:`Ledger.write_batch`, which
appends each piece to its table's Parquet file with a
``pyarrow.parquet.ParquetWriter`` inside the batch's temporary folder. The
batch still appears by one rename when complete, so a crash or kill while
pieces are being written leaves the ledger as it was.

Each piece gets the same provenance columns and file metadata a whole table
would (:mod:`provenance`), so a streamed batch and a batch written from whole
tables are the same files to every reader.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.ledger.batch import TableFile, check_table_name
from xinyong.ledger.fsio import sha256_file, writer_options
from xinyong.ledger.provenance import stamp_metadata, with_provenance

Piece = tuple[str, pa.Table | pa.RecordBatch]


@dataclass(frozen=True)
class TableStream:
    """The tables of one batch, as ``(table name, rows)`` pieces in any interleaving.

    ``schemas`` gives every table that may appear (a piece is cast to its
    table's schema); a table in ``always`` is stored even when no piece has
    rows (an empty reject table says "no rejects" explicitly), any other
    table only when some piece has rows.
    """

    pieces: Iterable[Piece]
    schemas: Mapping[str, pa.Schema]
    always: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in self.schemas:
            check_table_name(name)
        unknown = set(self.always) - set(self.schemas)
        if unknown:
            raise ValueError(f"tables {sorted(unknown)} are in always but have no schema")


class StreamWriter:
    """Appends pieces to one Parquet file per table in ``folder``; :meth:`close` finishes them.

    ``stamp`` turns a piece into stored rows (provenance and metadata), the
    same function whole tables go through. ``finish`` is called once per
    completed file (fsync, read-only): the ledger passes its own, which tests
    patch to kill the process at that moment.
    """

    def __init__(
        self,
        folder: Path,
        schemas: Mapping[str, pa.Schema],
        stamp: Callable[[str, pa.Table], pa.Table],
        file_name: Callable[[str], str],
        finish: Callable[[Path], None],
    ) -> None:
        self.folder = folder
        self.schemas = schemas
        self.stamp = stamp
        self.file_name = file_name
        self.finish = finish
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._rows: dict[str, int] = {}

    def write(self, name: str, rows: pa.Table | pa.RecordBatch) -> None:
        """Append ``rows`` to table ``name`` (nothing for an empty piece)."""
        if name not in self.schemas:
            raise ValueError(f"table {name!r} is not one of this batch's {sorted(self.schemas)}")
        table = pa.Table.from_batches([rows]) if isinstance(rows, pa.RecordBatch) else rows
        if not table.num_rows:
            return
        self._append(name, table.cast(self.schemas[name]))

    def _append(self, name: str, table: pa.Table) -> None:
        stamped = self.stamp(name, table)
        writer = self._writers.get(name)
        if writer is None:
            path = self.folder / self.file_name(name)
            # Which columns get a dictionary is decided by the first piece (thousands of rows).
            writer = pq.ParquetWriter(str(path), stamped.schema, **writer_options(stamped))
            self._writers[name] = writer
            self._rows[name] = 0
        writer.write_table(stamped.replace_schema_metadata(writer.schema.metadata))
        self._rows[name] += stamped.num_rows

    def close(self, always: Iterable[str] = ()) -> dict[str, TableFile]:
        """Finish every file (an empty one for each table in ``always`` never written)."""
        for name in always:
            if name not in self._writers:
                self._append_empty(name)
        files: dict[str, TableFile] = {}
        for name in sorted(self._writers):
            self._writers.pop(name).close()
            path = self.folder / self.file_name(name)
            self.finish(path)
            files[name] = TableFile(rows=self._rows[name], sha256=sha256_file(path))
        return files

    def abort(self) -> None:
        """Close open writers after a failure (the folder is then removed by the ledger)."""
        for writer in self._writers.values():
            with contextlib.suppress(Exception):
                writer.close()
        self._writers.clear()

    def _append_empty(self, name: str) -> None:
        stamped = self.stamp(name, self.schemas[name].empty_table())
        path = self.folder / self.file_name(name)
        writer = pq.ParquetWriter(str(path), stamped.schema, **writer_options(stamped))
        writer.write_table(stamped)
        self._writers[name] = writer
        self._rows[name] = 0


def stamper(
    batch_id: str, furnisher_id: str, metadata: Callable[[str], dict[bytes, bytes]]
) -> Callable[[str, pa.Table], pa.Table]:
    """The function that makes rows of table ``name`` into stored rows of this batch."""

    def stamp(name: str, table: pa.Table) -> pa.Table:
        return stamp_metadata(
            with_provenance(table, batch_id=batch_id, furnisher_id=furnisher_id), metadata(name)
        )

    return stamp
