"""Identifier outcomes for a file read in chunks: each distinct identifier validated once.

A file names the same person on many records, spread over its chunks;
validation (python-stdnum, :mod:`identifiers`) is the costly step, so every
distinct (scheme, value, country) is validated once per file and its
outcome kept: Arrow tables, one per batch of new identifiers, and a dict
from identifier key to its row. A chunk's lookup then costs in proportion to
the chunk, not to all the file has named so far.

The keyed hash and the mask of a valid identifier are computed as the
reference path computes them (:func:`outcomes_of`), once per distinct
identifier.

Past :data:`CACHE_LIMIT` outcomes the cache is emptied and starts again: a
file naming more distinct identifiers than that pays some validations twice,
never unbounded memory (a few hundred bytes an outcome).

The check query calls the cache as a DuckDB function (:func:`register`),
vector by vector, so each record's outcome arrives beside it in the query
itself, in order, with no join.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable
from typing import Any, Final

import duckdb
import duckdb.func
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.identifiers.base import mask_compact
from xinyong.identifiers.hashing import message_bytes

from .identifiers import check_keys, keys, lookup

CACHE_LIMIT: Final = 500_000
"""Outcomes kept at most."""

_PART_BITS: Final = 32

OUTCOME_SCHEMA: Final = pa.schema(
    [
        ("_key", pa.string()),
        ("_id_ok", pa.bool_()),
        ("_id_rule", pa.string()),
        ("_id_message", pa.string()),
        ("_id_country", pa.string()),
        ("_id_hash", pa.string()),
        ("_id_masked", pa.string()),
        ("_id_warnings", pa.string()),
        ("_warn_n", pa.int32()),
        ("_id_ric_birth", pa.date32()),
    ]
)
"""One identifier's outcome, as the check query reads it beside each record."""


def outcomes_of(checked: pa.Table, hash_key: bytes) -> pa.Table:
    """:func:`check_keys` results with the keyed hash and mask of each valid identifier.

    The hash is :func:`~xinyong.identifiers.hashing.identifier_hash`'s: HMAC-SHA256
    over :func:`~xinyong.identifiers.hashing.message_bytes` of scheme, country
    and compact value, the key's state computed once (``hmac`` copies) rather
    than per identifier; the mask is :func:`mask_compact`, as
    :meth:`Identifier.masked` gives it.
    """
    keyed = hmac.new(hash_key, digestmod=hashlib.sha256)
    names = ("_id_ok", "_v_scheme", "_v_value", "_v_country")
    parts = zip(*(checked.column(n).to_pylist() for n in names), strict=True)
    hashes: list[str | None] = []
    masks: list[str | None] = []
    for valid, scheme, value, country in parts:
        if valid:
            digest = keyed.copy()
            digest.update(message_bytes(scheme, country or "", value))
            hashes.append(digest.hexdigest())
            masks.append(mask_compact(value))
        else:
            hashes.append(None)
            masks.append(None)
    columns: dict[str, Any] = {
        "_key": checked.column("_key"),
        "_id_ok": checked.column("_id_ok"),
        "_id_rule": checked.column("_id_rule"),
        "_id_message": checked.column("_id_message"),
        "_id_country": checked.column("_v_country"),
        "_id_hash": pa.array(hashes, pa.string()),
        "_id_masked": pa.array(masks, pa.string()),
        "_id_warnings": checked.column("_id_warnings"),
        "_warn_n": checked.column("_id_warn_n"),
        "_id_ric_birth": checked.column("_id_ric_birth"),
    }
    return pa.table(columns).cast(OUTCOME_SCHEMA)


class IdentifierCache:
    """The outcome of every identifier key met so far in one file (see :func:`identifiers.keys`)."""

    def __init__(self, hash_key: bytes, limit: int = CACHE_LIMIT) -> None:
        self.hash_key = hash_key
        self.limit = limit
        self.validated = 0
        """Keys validated in all (a key evicted and met again counts twice)."""
        self._rows: dict[str, int] = {}
        self._parts: list[pa.Table] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def outcomes(self, row_keys: pa.Array) -> pa.Table:
        """Each record's identifier outcome, in record order (nulls where it names none).

        Safe to call from several threads (DuckDB's): one call at a time.
        """
        with self._lock:
            return self._outcomes(row_keys)

    def _outcomes(self, row_keys: pa.Array) -> pa.Table:
        distinct: list[str] = pc.drop_null(pc.unique(row_keys)).to_pylist()
        known = self._rows
        where = [known.get(key) for key in distinct]
        new = [key for key, row in zip(distinct, where, strict=True) if row is None]
        if new:
            if len(known) + len(new) > self.limit:
                self._rows, self._parts, new = {}, [], distinct
            self._add(new)
            where = [self._rows[key] for key in distinct]
        by_part: dict[int, list[int]] = {}
        low = (1 << _PART_BITS) - 1
        for row in where:
            assert row is not None
            by_part.setdefault(row >> _PART_BITS, []).append(row & low)
        pieces = [self._parts[part].take(rows) for part, rows in by_part.items()]
        results = pa.concat_tables(pieces) if pieces else OUTCOME_SCHEMA.empty_table()
        return lookup(row_keys, results)

    def _add(self, keys: list[str]) -> None:
        part = len(self._parts)
        self._parts.append(outcomes_of(check_keys(pa.array(keys, pa.string())), self.hash_key))
        for row, key in enumerate(keys):
            self._rows[key] = (part << _PART_BITS) | row
        self.validated += len(keys)


FUNCTION: Final = "xinyong_identifier"
"""The DuckDB function :func:`register` adds: (scheme, value, country) to an outcome struct."""

_SQL_TYPES: Final = {
    pa.bool_(): "BOOLEAN",
    pa.string(): "VARCHAR",
    pa.int32(): "INTEGER",
    pa.date32(): "DATE",
}


def register(
    con: duckdb.DuckDBPyConnection, cache: IdentifierCache, failed: Callable[[BaseException], None]
) -> None:
    """Add :data:`FUNCTION` to ``con``: each row's identifier outcome, from ``cache``.

    An exception inside reaches the query's caller as a DuckDB error; the
    original is handed to ``failed`` first, so that it can be raised as itself.
    """
    fields = [f for f in OUTCOME_SCHEMA if f.name != "_key"]
    struct = ", ".join(f'"{f.name}" {_SQL_TYPES[f.type]}' for f in fields)

    def identify(scheme: Any, value: Any, country: Any) -> pa.StructArray:
        try:
            table = cache.outcomes(keys(scheme, value, country))
            columns = [table.column(f.name).combine_chunks() for f in fields]
            return pa.StructArray.from_arrays(columns, fields=fields)
        except BaseException as exc:
            failed(exc)
            raise

    varchar = duckdb.sqltype("VARCHAR")
    con.create_function(
        FUNCTION,
        identify,
        [varchar, varchar, varchar],
        duckdb.sqltype(f"STRUCT({struct})"),
        type=duckdb.func.ARROW,
        null_handling=duckdb.func.SPECIAL,
    )
