"""Identifier outcomes for a file read in chunks: each distinct identifier validated once.

A file names the same person on many records, spread over its chunks;
validation (python-stdnum, :func:`identifiers.check_triples`) is the costly
step, so every distinct (scheme, value, country) is validated once per file
and its outcome kept, with the keyed hash and mask of a valid identifier
computed as the reference path computes them, once per identifier too.

Outcomes are kept in Arrow tables ("pages") and a dict from identifier key
to its position among all of them. The dict is looked up once per record
and the outcomes taken from the pages with those positions, a handful of
vectorised takes per call: new pages (one per call that meets new keys) are
merged with the previous one while it is no more than twice as large, so
that there are only logarithmically many pages however many calls there
were, and each outcome is copied a logarithmic number of times.

Past :data:`CACHE_LIMIT` outcomes the cache is emptied and starts again: a
file naming more distinct identifiers than that pays some validations twice,
never unbounded memory (a few hundred bytes an outcome).

The check query calls the cache as a DuckDB function (:func:`register`),
vector by vector, so each record's outcome arrives beside it in the query
itself, in order, with no join.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

import duckdb
import duckdb.func
import numpy as np
import pyarrow as pa

from xinyong.identifiers.base import mask_compact
from xinyong.identifiers.hashing import message_bytes

from .identifiers import NO_COUNTRY, SEPARATOR, KeyedHasher, check_triples, keys

CACHE_LIMIT: Final = 500_000
"""Outcomes kept at most."""

OUTCOME_SCHEMA: Final = pa.schema(
    [
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


def outcomes_of(keys: Sequence[str], hasher: KeyedHasher) -> pa.Table:
    """The outcome of each identifier key (see :func:`identifiers.keys`), in order.

    Validation is :func:`~.identifiers.check_triples`'s (as the reference
    path's ``identity_columns`` validates). The hash is
    :func:`~xinyong.identifiers.hashing.identifier_hash`'s: HMAC-SHA256 over
    :func:`~xinyong.identifiers.hashing.message_bytes` of the validated
    scheme, country and compact value; the mask is :func:`mask_compact`, as
    :meth:`Identifier.masked` gives it.
    """
    triples = []
    for key in keys:
        scheme, value, country = key.split(SEPARATOR)
        triples.append((scheme, value, None if country == NO_COUNTRY else country))
    rows = check_triples(triples)
    hashes: list[str | None] = []
    masks: list[str | None] = []
    for row in rows:
        if row[3]:
            scheme, value, country = row[6], row[7], row[8]
            hashes.append(hasher.hexdigest(_message(scheme, country or "", value)))
            masks.append(mask_compact(value))
        else:
            hashes.append(None)
            masks.append(None)
    columns: list[Any] = [
        [row[3] for row in rows],
        [row[4] for row in rows],
        [row[5] for row in rows],
        [row[8] for row in rows],
        hashes,
        masks,
        [row[9] for row in rows],
        [row[10] for row in rows],
        [row[11] for row in rows],
    ]
    return pa.table(
        [pa.array(c, type=f.type) for c, f in zip(columns, OUTCOME_SCHEMA, strict=True)],
        schema=OUTCOME_SCHEMA,
    )


def _message(scheme: str, country: str, value: str) -> bytes:
    """:func:`message_bytes` of three parts, its common form (no ``|`` in any part) made here.

    A third cheaper than the general function, once per distinct identifier.
    """
    text = f"{scheme}|{country}|{value}"
    if text.count("|") == 2:  # no part holds the separator
        return text.encode("utf-8", "surrogatepass")
    return message_bytes(scheme, country, value)


class IdentifierCache:
    """The outcome of every identifier key met so far in one file (see :func:`identifiers.keys`)."""

    def __init__(self, hash_key: bytes, limit: int = CACHE_LIMIT) -> None:
        self.hasher = KeyedHasher(hash_key)
        self.limit = limit
        self.validated = 0
        """Keys validated in all (a key evicted and met again counts twice)."""
        self._positions: dict[str | None, int] = {}
        """Key to position among all pages' rows (None, no identifier, is never a key)."""
        self._pages: list[pa.Table] = []
        self._starts: list[int] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._positions)

    def outcomes(self, row_keys: pa.Array) -> pa.Table:
        """Each record's identifier outcome, in record order (nulls where it names none).

        Safe to call from several threads (DuckDB's): one call at a time.
        """
        with self._lock:
            return self._outcomes(row_keys)

    def _outcomes(self, row_keys: pa.Array) -> pa.Table:
        texts: list[str | None] = row_keys.to_pylist()
        where = self._where(texts)
        missing = np.flatnonzero(where < 0).tolist()
        new = [key for key in (texts[i] for i in missing) if key is not None]
        if new:
            new = list(dict.fromkeys(new))
            reset = len(self._positions) + len(new) > self.limit
            if reset:
                self._positions, self._pages, self._starts = {}, [], []
                new = list(dict.fromkeys(k for k in texts if k is not None))
            self._add(new)
            if reset:
                where = self._where(texts)
            else:
                # Only the records just missed are looked up again: a second
                # pass over every record cost as much as the first.
                where[missing] = self._where([texts[i] for i in missing])
        return self._take(where)

    def _where(self, texts: list[str | None]) -> np.ndarray[Any, np.dtype[np.int64]]:
        """Each key's position among all pages' rows; -1 for a key not held, or no identifier.

        One pass in C (``map`` of the dict's ``get``, read by NumPy), about a
        quarter cheaper per record than a list comprehension of lookups and
        the conversion of its ``None``.
        """
        found = map(self._positions.get, texts, itertools.repeat(-1))
        return np.fromiter(found, np.int64, len(texts))

    def _add(self, keys: list[str]) -> None:
        start = len(self._positions)
        page = outcomes_of(keys, self.hasher)
        for offset, key in enumerate(keys):
            self._positions[key] = start + offset
        self.validated += len(keys)
        pages, starts = self._pages, self._starts
        pages.append(page)
        starts.append(start)
        while len(pages) > 1 and pages[-2].num_rows <= 2 * pages[-1].num_rows:
            last = pages.pop()
            starts.pop()
            pages[-1] = pa.concat_tables([pages[-1], last]).combine_chunks()

    def _take(self, where: np.ndarray[Any, np.dtype[np.int64]]) -> pa.Table:
        """The outcomes at global positions ``where`` (-1: a null row), in that order."""
        pages, starts = self._pages, self._starts
        if len(pages) <= 1:
            if not pages:
                return OUTCOME_SCHEMA.empty_table().take(pa.nulls(len(where), pa.int64()))
            return pages[0].take(pa.array(where, pa.int64(), mask=where < 0))
        positions = where
        page_of = np.searchsorted(np.asarray(starts), positions, side="right") - 1  # -1: no row
        parts: list[pa.Table] = []
        order: list[np.ndarray[Any, Any]] = []
        for page in np.unique(page_of).tolist():
            rows = np.flatnonzero(page_of == page)
            if page < 0:
                parts.append(pages[0].take(pa.nulls(len(rows), pa.int64())))
            else:
                parts.append(pages[page].take(pa.array(positions[rows] - starts[page])))
            order.append(rows)
        taken = pa.concat_tables(parts)
        if len(parts) == 1:
            return taken
        inverse = np.empty(len(where), np.int64)
        inverse[np.concatenate(order)] = np.arange(len(where), dtype=np.int64)
        return taken.take(pa.array(inverse))

    def page_count(self) -> int:
        """Pages held (logarithmic in the outcomes held)."""
        return len(self._pages)


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
    fields = list(OUTCOME_SCHEMA)
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
