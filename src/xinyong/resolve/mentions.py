"""Ledger records grouped into mentions: the unit that resolution links.

A lender reports the same account every month with the same description of its
customer; linking each monthly record separately would redo the same work
twelve times a year. So records are grouped: a *mention* is every record of
one furnisher's account (or public record) that describes its subject in
exactly the same words. Its ``group_hash`` is SHA-256 over the table, the
furnisher, the account (or record) reference and all identity columns as
furnished, so a new month's record finds its mention by hash, and a changed
description (a move, a corrected name) is a new mention that the model links.

The mention key is its first record's position, ``<batch_id>.<a|p><record_no>``
(``a`` accounts, ``p`` public records, record number zero-padded to nine digits),
with ``.c<n>`` appended for an account's associated consumer ``n`` (Metro 2
J1/J2: the same ledger row position, another person):
batch ids sort by storage time, so the smallest key in a cluster is its
earliest record, which is what gives a subject its stable id
(:func:`subject_id_for`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

import duckdb
import pyarrow as pa
from sqlalchemy import Connection, select

from xinyong.ingest.ledger_tables import SUPERSESSION_KEYS
from xinyong.ledger import Ledger
from xinyong.ledger.query import quote_identifier, sql_string
from xinyong.resolve.features import IDENTITY_COLUMNS
from xinyong.store.resolution_schema import RECORD_TABLES, resolution_mentions

__all__ = [
    "TABLE_LETTERS",
    "mention_key",
    "read_batch_records",
    "subject_id_for",
]

TABLE_LETTERS: Final = {"accounts": "a", "public_records": "p"}
_REFERENCE: Final = {table: SUPERSESSION_KEYS[table][1] for table in RECORD_TABLES}
_LOOKUP_CHUNK: Final = 500


def mention_key(table: str, batch_id: str, record_no: int) -> str:
    """The key of a mention whose first record is ``record_no`` of ``batch_id``."""
    return f"{batch_id}.{TABLE_LETTERS[table]}{record_no:09d}"


def subject_id_for(key: str) -> str:
    """The subject id of a cluster whose earliest mention is ``key``.

    A hash rather than the key itself: opaque (it reveals no batch or record
    position to an inquirer), fixed length, and still a pure function of the
    earliest record, so a re-run from scratch gives every subject the same id.
    """
    return "s" + hashlib.sha256(f"xinyong.subject|{key}".encode()).hexdigest()[:31]


def _records_sql(table: str, paths: Sequence[str]) -> str:
    files = ", ".join(sql_string(p) for p in paths)
    identity = ", ".join(quote_identifier(c) for c in IDENTITY_COLUMNS)
    ref = quote_identifier(_REFERENCE[table])
    hashed = ", ".join(
        f"coalesce(CAST({quote_identifier(c)} AS VARCHAR), chr(0))"
        for c in ("furnisher_id", _REFERENCE[table], *IDENTITY_COLUMNS)
    )
    letter = TABLE_LETTERS[table]
    consumer = "CAST(COALESCE(consumer_no, 0) AS INTEGER)" if table == "accounts" else "0"
    return (
        f"SELECT {sql_string(table)} AS table_name, batch_id, furnisher_id, "
        f"CAST(record_no AS BIGINT) AS record_no, {consumer} AS consumer_no, "
        f"{ref} AS reference, {identity}, "
        f"batch_id || '.{letter}' || lpad(CAST(record_no AS VARCHAR), 9, '0') "
        f"|| CASE WHEN {consumer} > 0 THEN '.c' || CAST({consumer} AS VARCHAR) ELSE '' END "
        "AS record_key, "
        f"sha256(concat_ws(chr(31), {sql_string(table)}, {hashed})) AS group_hash "
        f"FROM read_parquet([{files}], union_by_name = true)"
    )


def read_batch_records(ledger: Ledger, batch_ids: Iterable[str]) -> pa.Table:
    """Every account and public record of the given stored batches, with group hashes.

    Columns: ``table_name``, ``batch_id``, ``furnisher_id``, ``record_no``,
    ``consumer_no`` (0 for the primary consumer and public records),
    ``reference``, the identity columns, ``record_key`` (what the mention key
    would be if this record were first) and ``group_hash``.
    """
    wanted = set(batch_ids)
    parts = []
    for table in RECORD_TABLES:
        paths = [
            str((ledger.batches_dir / m.batch_id / f"{table}.parquet").absolute())
            for m in ledger.stored()
            if m.batch_id in wanted and table in m.tables
        ]
        if paths:
            parts.append(_records_sql(table, paths))
    if not parts:
        return pa.table({"record_key": pa.array([], pa.string())})
    con = duckdb.connect()
    try:
        return con.sql(" UNION ALL BY NAME ".join(parts)).to_arrow_table()
    finally:
        con.close()


def existing_mentions(conn: Connection, group_hashes: Sequence[str]) -> dict[str, str]:
    """``group_hash -> mention_key`` of the mentions already in the store."""
    found: dict[str, str] = {}
    for start in range(0, len(group_hashes), _LOOKUP_CHUNK):
        chunk = group_hashes[start : start + _LOOKUP_CHUNK]
        rows = conn.execute(
            select(resolution_mentions.c.group_hash, resolution_mentions.c.mention_key).where(
                resolution_mentions.c.group_hash.in_(chunk)
            )
        )
        found.update({row.group_hash: row.mention_key for row in rows})
    return found
