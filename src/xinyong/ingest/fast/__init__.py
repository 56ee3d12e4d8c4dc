"""A vectorised fast path for ingest, with the reference path's outcomes exactly.

The reference path (:mod:`xinyong.ingest.pipeline` with the format modules)
checks record by record in Python: about 10,000 records a second. This
package checks a whole file at once in DuckDB, with SQL generated from the
same sources of truth (the published JSON Schemas, the Metro 2 layout
tables, the domain's code enums), and gives every record the same outcome:
the same ledger row, or the same violations (field, rule and message).
Identifier checksums stay python-stdnum's, called once per distinct
identifier.

Where the fast path cannot be sure to agree, it does not guess: a whole file
goes to the reference path (``check_file`` returns None, or the pieces stop
with :class:`Declined` when a later part of the file shows it; the reference
then also raises any whole-file error with its own message), or single
records do (their outcome is the reference's own, merged back in record
order).

Files are read a block at a time, from a path or from bytes, never whole.

Entry points: :func:`check_file` (pieces of outcome, streamed) and
:func:`collect` (the whole outcome, or None: for tests and small files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from .outcome import Collected, Declined, Piece

FORMATS = ("csv", "jsonl", "parquet", "metro2")
"""Formats with a fast path; others (``metro2_packed``) always take the reference path."""


def check_file(
    format: str, data_or_path: bytes | Path, furnisher_id: str, hash_key: bytes
) -> Iterator[Piece] | None:
    """The outcome of every record of a file, in pieces, or None for the reference path.

    What can be decided at once (the format, a CSV header, a Parquet schema)
    is settled before this returns; what only a later part of the file
    shows stops the pieces with :class:`Declined`, and the caller then
    discards them for the reference path's. Any other exception propagates
    as it would on the reference path.
    """
    if format not in FORMATS or "|" in furnisher_id:
        return None  # '|' in a hash part: keyed_hash's length-prefixed encoding, not SQL's
    if format == "metro2":
        from .metro2 import check_metro2

        return check_metro2(data_or_path, furnisher_id, hash_key)
    from .canonical import run
    from .sources import LOADERS

    staged = LOADERS[format](data_or_path)
    if staged is None:
        return None
    return run(staged, furnisher_id, hash_key)


def collect(
    format: str,
    data: bytes | Path,
    furnisher_id: str,
    hash_key: bytes,
    progress: Callable[[int], None] | None = None,
) -> Collected | None:
    """The whole file's outcome in memory, or None where the reference path must judge it."""
    pieces = check_file(format, data, furnisher_id, hash_key)
    if pieces is None:
        return None
    collected = Collected()
    try:
        for piece in pieces:
            collected.add(piece)
            if progress is not None:
                progress(piece.last_record_no)
    except Declined:
        return None
    return collected


__all__ = ["FORMATS", "Collected", "Declined", "Piece", "check_file", "collect"]
