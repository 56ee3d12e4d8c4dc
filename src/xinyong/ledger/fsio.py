"""Durable file writes for the ledger: write, fsync, make read-only.

Kept apart from the store's logic so that the one thing a crash can interrupt
(a file half written) has one place, and tests can patch it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xinyong.ledger.provenance import BATCH_ID, FURNISHER_ID

READ_ONLY_FILE = 0o444
READ_ONLY_DIR = 0o555
PARQUET_COMPRESSION = "zstd"
PLAIN_MIN_ROWS = 1_000
"""Rows a table (or a stream's first piece) needs before a column may be written plain."""
STATISTICS_TEXT = frozenset({BATCH_ID, FURNISHER_ID})
"""Text columns that keep their statistics (see :func:`statistics_columns`)."""
PLAIN_SAMPLE_ROWS = 20_000
"""Rows looked at to decide, the first ones (counting all of a large table would cost
about what the dictionaries save)."""


def dictionary_columns(table: pa.Table) -> list[str]:
    """The columns worth dictionary encoding: all but those of mostly distinct values.

    A Parquet writer dictionary-encodes every column unless told otherwise,
    and gives up on a column only once its dictionary outgrows a page: a
    column of keyed hashes, masked account numbers or line locations is
    hashed value by value first, then written plain anyway (measured on
    200,000 accounts: about a tenth of the ledger's write time, and a file
    14 % larger). Columns where more than half of the first
    :data:`PLAIN_SAMPLE_ROWS` values differ are written plain from the
    start; readers see the same values either way. Small tables keep the
    writer's default (every column): there the sample says little and the
    cost is nothing.
    """
    if table.num_rows < PLAIN_MIN_ROWS:
        return list(table.column_names)
    sample = table.slice(0, PLAIN_SAMPLE_ROWS)
    keep = []
    for name, column in zip(sample.column_names, sample.columns, strict=True):
        if not _countable(column.type) or (
            pc.count_distinct(column, mode="all").as_py() * 2 <= sample.num_rows
        ):
            keep.append(name)
    return keep


def statistics_columns(schema: pa.Schema) -> list[str]:
    """The columns whose row groups carry min/max statistics: all but text and bytes.

    Statistics let a reader skip row groups (or whole batches) by value, which
    is worth having for numbers, dates and times: ``date_reported`` is nearly
    constant within a furnisher's batch, so a reader asking for one period
    skips the others. For text the writer compares every value with the
    running minimum and maximum: counted with callgrind writing 272,000 Metro 2
    ledger rows, statistics on every column took 17 % of the write's
    instructions, the ones kept here 2 %. A minimum and maximum of names,
    addresses or keyed hashes narrows no query. The provenance columns
    (:data:`STATISTICS_TEXT`) keep theirs: constant within a file, and what a
    reader selects a batch by.
    """
    return [f.name for f in schema if f.name in STATISTICS_TEXT or not _text(f.type)]


def _text(kind: pa.DataType) -> bool:
    """Whether ``kind`` holds text or bytes, whose statistics the ledger leaves out."""
    types = pa.types
    return bool(
        types.is_string(kind)
        or types.is_large_string(kind)
        or types.is_binary(kind)
        or types.is_large_binary(kind)
    )


def writer_options(table: pa.Table) -> dict[str, Any]:
    """The ledger's Parquet writer settings for ``table`` (a whole table, or a stream's
    first piece): the codec, :func:`dictionary_columns`, :func:`statistics_columns`.

    One place, so that a table written whole and one written piece by piece are
    the same files.
    """
    return {
        "compression": PARQUET_COMPRESSION,
        "use_dictionary": dictionary_columns(table),
        "write_statistics": statistics_columns(table.schema),
    }


def _countable(kind: pa.DataType) -> bool:
    """Whether Arrow counts distinct values of ``kind``: not of nested, null or
    dictionary columns, which keep the writer's default."""
    return not (pa.types.is_nested(kind) or pa.types.is_null(kind) or pa.types.is_dictionary(kind))


def hash_file(path: Path | str) -> str:
    """SHA-256 hex of a submitted file, read in chunks (files can be large)."""
    return sha256_file(Path(path))


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write, fsync and make read-only one Parquet file (a patch point in tests)."""
    pq.write_table(table, str(path), **writer_options(table))
    fsync_file(path)
    os.chmod(path, READ_ONLY_FILE)


def finish_parquet(path: Path) -> None:
    """Persist and make read-only a Parquet file written piece by piece (a patch point in tests)."""
    fsync_file(path)
    os.chmod(path, READ_ONLY_FILE)


def write_file(path: Path, data: bytes) -> None:
    """Create ``path`` (never overwrite), write all of ``data``, fsync, make read-only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, READ_ONLY_FILE)


def fsync_file(path: Path) -> None:
    """Persist a file's contents before the rename that makes it visible."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Persist a folder's entries (the rename itself), not just file contents."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    """SHA-256 hex of a file's bytes, streamed."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()
