"""The vectorised check of a canonical file (CSV, JSON Lines, Parquet) in DuckDB.

One query checks the whole file, planned once, while the file is read in
chunks (:mod:`sources`) that DuckDB pulls as an Arrow stream (:mod:`feed`):

1. each chunk is prepared in Arrow (:mod:`prep`);
2. the query coerces every field (:func:`canonical_sql.coerce_columns`),
   asks for each record's identifier outcome (a function over
   :mod:`id_cache`: every distinct identifier validated once per file with
   python-stdnum) and produces, per record, its status, its violations in
   the reference order and its ledger columns, streamed out as Arrow record
   batches in record order, which become pieces of outcome (:mod:`outcome`).

Memory is bounded by the chunks in flight, not the file: DuckDB works
within :data:`MEMORY_LIMIT` per connection and spills beyond it to a
temporary folder that goes with the check.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from functools import partial
from typing import Final

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.ingest.canonical_rules import Checked, check_record
from xinyong.ingest.records import RawRecord
from xinyong.ingest.text import KINDS

from . import id_cache
from .canonical_sql import (
    StagedField,
    cast_columns,
    coerce_columns,
    expand,
    kind_bad,
    kind_columns,
    kind_needs_reference,
    kind_violations,
    output_columns,
    pre_columns,
)
from .feed import Feed
from .outcome import Piece, piece_of
from .sources import Staged
from .sqltext import VIOLATION_FIELDS, ident

BATCH_ROWS = 16_384
MEMORY_LIMIT: Final = "1GB"
"""Memory each DuckDB connection of a check may hold before spilling to disk."""


def connect(folder: str, memory_limit: str = MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB that spills to ``folder`` past ``memory_limit``, keeping order."""
    con = duckdb.connect(
        config={
            "preserve_insertion_order": True,
            "temp_directory": folder,
            "memory_limit": memory_limit,
        }
    )
    con.execute("SET enable_progress_bar = false")
    return con


def _main_sql(furnisher_id: str, hash_key: bytes) -> str:
    account_number = ident("s_account_number")
    account, public = kind_violations("account"), kind_violations("public_record")
    return f"""
        WITH v AS (
            SELECT *,
                coalesce(CASE WHEN _kind = 'account' THEN {kind_bad("account")}
                    ELSE {kind_bad("public_record")} END, false) AS _bad,
                CASE WHEN _kind = 'account' THEN {kind_needs_reference("account")}
                    ELSE {kind_needs_reference("public_record")} END AS _ref_field
            FROM checked
        ),
        s AS (
            SELECT *,
                CASE
                    WHEN _ref OR _ref_field
                        OR (NOT _bad AND _kind = 'account' AND contains({account_number}, '|'))
                    THEN 'X'
                    WHEN _bad THEN 'R'
                    ELSE 'A'
                END AS _status,
                CASE WHEN NOT _bad THEN NULL::INTEGER[]
                    WHEN _kind = 'account' THEN {account.ids}
                    ELSE {public.ids} END AS _checks,
                CASE WHEN NOT _bad THEN NULL::VARCHAR[]
                    WHEN _kind = 'account' THEN {account.dynamic}
                    ELSE {public.dynamic} END AS _dynamic,
                CASE WHEN NOT _bad THEN NULL::VARCHAR[]
                    WHEN _kind = 'account' THEN {ident("_unknown_account")}
                    ELSE {ident("_unknown_public_record")} END AS _unknown
            FROM v
        )
        SELECT _rn, _kind, _status, _checks, _dynamic, _unknown, coalesce(_warn_n, 0) AS _warn_n,
            {", ".join(output_columns(hash_key, furnisher_id))}
        FROM s
    """


def run(
    staged: Staged, furnisher_id: str, hash_key: bytes, *, batch_rows: int | None = None
) -> Iterator[Piece]:
    """Check every record of a staged file; yields pieces in record order.

    Pieces have about ``batch_rows`` records (:data:`BATCH_ROWS`). Raises
    :class:`~xinyong.ingest.fast.outcome.Declined` (from any chunk) when the
    file turns out to be one for the reference path.
    """
    rows = batch_rows or BATCH_ROWS
    check = partial(_check, furnisher_id=furnisher_id, hash_key=hash_key)
    failures: list[BaseException] = []
    with tempfile.TemporaryDirectory(prefix="xinyong-fast-") as folder:
        con = connect(os.path.join(folder, "check"))
        side = connect(os.path.join(folder, "stage"))
        reader: pa.RecordBatchReader | None = None
        feed: Feed | None = None
        try:
            feed = Feed(staged, side, failures.append)
            stream = feed.start()
            if stream is None:
                return
            con.register("src", stream)
            id_cache.register(con, id_cache.IdentifierCache(hash_key), failures.append)
            create_views(con, staged, feed.fields)
            try:
                # DuckDB starts pulling the stream (and calling the function) at once.
                reader = con.sql(_main_sql(furnisher_id, hash_key)).to_arrow_reader(rows)
                outcome = partial(
                    piece_of, raw_texts=feed.raw_texts, reference=feed.reference, check=check
                )

                def make(batch: pa.Table) -> Piece:
                    return outcome(with_violations(batch))

                for piece in batched(reader, rows, make):
                    feed.release(piece.last_record_no)
                    yield piece
            except Exception:
                if failures:  # the stream's or the function's own, reported by DuckDB as its own
                    raise failures[0] from None
                raise
        finally:
            # The query first (its threads may still be pulling the stream), then
            # the connections: closing a connection under a running query crashes.
            if reader is not None:
                reader.close()
            if feed is not None:
                feed.close()
            con.close()
            side.close()


def create_views(
    con: duckdb.DuckDBPyConnection, staged: Staged, fields: dict[str, StagedField]
) -> None:
    """The view ``checked`` over ``src``: every field coerced, each record's identifier outcome.

    Layer by layer (each reads the previous one's columns): the casts, the
    shape tests, the coerced values and flags, then the identifier function.
    """
    con.execute(f"CREATE TEMP VIEW a0 AS SELECT *, {', '.join(cast_columns(fields))} FROM src")
    con.execute(f"CREATE TEMP VIEW a AS SELECT *, {', '.join(pre_columns(fields))} FROM a0")
    items = [
        "_rn",
        f"{staged.location} AS _loc",
        f"{staged.ref} AS _ref",
        *kind_columns(fields),
        *staged.unknown,  # after _kind, which they may read
        *coerce_columns(fields),
    ]
    scheme, value, country = (ident(f"s_id_{n}") for n in ("scheme", "value", "country"))
    con.execute(
        f"CREATE TEMP VIEW checked AS SELECT *, "
        f"unnest({id_cache.FUNCTION}({scheme}, {value}, {country})) "
        f"FROM (SELECT {', '.join(items)} FROM a)"
    )


_VIOLATIONS: Final = pa.list_(pa.struct([(name, pa.string()) for name in VIOLATION_FIELDS]))
"""The ``_violations`` column :func:`outcome.piece_of` reads: a list per rejected record."""


def with_violations(batch: pa.Table) -> pa.Table:
    """``batch`` with ``_violations`` (each rejected record's list) for the query's parts of it.

    The query gives rejected records their failed checks' numbers and the
    values their messages need (:class:`canonical_sql.KindViolations`);
    here they become the violation list, for those records only.
    """
    rejected = pc.is_valid(batch.column("_checks").combine_chunks())
    rows = pc.indices_nonzero(rejected).to_pylist()
    counts = np.zeros(batch.num_rows, np.int32)
    items: list[dict[str, str | None]] = []
    if rows:
        picked = batch.select(["_kind", "_checks", "_dynamic", "_unknown"]).take(rows)
        plans = {kind: kind_violations(kind) for kind in KINDS}
        for row, kind, ids, dynamic, unknown in zip(
            rows, *(picked.column(i).to_pylist() for i in range(4)), strict=True
        ):
            found = expand(plans[kind], ids, dynamic, unknown)
            counts[row] = len(found)
            items += found
    # Built from the rejected records' items and offsets: a Python list with
    # a None for every accepted record cost more than all the items.
    offsets = np.zeros(batch.num_rows + 1, np.int32)
    np.cumsum(counts, out=offsets[1:])
    violations = pa.ListArray.from_arrays(
        pa.array(offsets),
        pa.array(items, _VIOLATIONS.value_type),
        mask=pc.invert(rejected),
    )
    return batch.drop_columns(["_checks", "_dynamic", "_unknown"]).append_column(
        "_violations", violations
    )


def batched(
    reader: pa.RecordBatchReader, rows: int, make: Callable[[pa.Table], Piece]
) -> Iterator[Piece]:
    """Pieces of about ``rows`` records from DuckDB's (smaller) Arrow batches."""
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in reader:
        pending.append(batch)
        size += batch.num_rows
        if size >= rows:
            yield make(pa.Table.from_batches(pending))
            pending, size = [], 0
    if pending:
        yield make(pa.Table.from_batches(pending))


def _check(record: RawRecord, *, furnisher_id: str, hash_key: bytes) -> Checked:
    return check_record(record, furnisher_id, hash_key)
