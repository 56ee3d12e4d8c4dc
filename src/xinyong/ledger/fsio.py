"""Durable file writes for the ledger: write, fsync, make read-only.

Kept apart from the store's logic so that the one thing a crash can interrupt
(a file half written) has one place, and tests can patch it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

READ_ONLY_FILE = 0o444
READ_ONLY_DIR = 0o555
PARQUET_COMPRESSION = "zstd"


def hash_file(path: Path | str) -> str:
    """SHA-256 hex of a submitted file, read in chunks (files can be large)."""
    return sha256_file(Path(path))


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write, fsync and make read-only one Parquet file (a patch point in tests)."""
    pq.write_table(table, str(path), compression=PARQUET_COMPRESSION)
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
