"""Identifier checks for the fast path: python-stdnum once per distinct identifier.

The checksum, area-code and range rules are never rewritten in SQL: each
distinct (scheme, value, country) of a file goes once through
:func:`xinyong.identifiers.validate`, exactly as
:func:`xinyong.ingest.identity.identity_columns` calls it, and the outcome
(rule and message, or compact value, country, warnings, the birth date a
resident number encodes) becomes a small Arrow table that the SQL joins back
to every record. The keyed hash and the mask of a valid identifier are then
computed in DuckDB from the compact value (:mod:`sqltext`), per distinct
identifier too; :class:`KeyedHasher` computes the same hash in Python for
paths without DuckDB (Metro 2), a microsecond per message.

Validation costs about 20 microseconds per distinct identifier (mostly
stdnum's ``clean``), so a file with many distinct people spends most of its
time here; with ``workers`` > 1 and enough identifiers the list is split
across processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from xinyong.identifiers import InvalidIdentifier, validate

RESULT_SCHEMA: Final = pa.schema(
    [
        ("k_scheme", pa.string()),
        ("k_value", pa.string()),
        ("k_country", pa.string()),
        ("_id_ok", pa.bool_()),
        ("_id_rule", pa.string()),
        ("_id_message", pa.string()),
        ("_v_scheme", pa.string()),
        ("_v_value", pa.string()),
        ("_v_country", pa.string()),
        ("_id_warnings", pa.string()),
        ("_id_warn_n", pa.int32()),
        ("_id_ric_birth", pa.date32()),
    ]
)

PARALLEL_THRESHOLD: Final = 40_000
"""Below this many distinct identifiers, starting worker processes costs more than it saves."""


def default_workers() -> int:
    """Worker processes for validation: one per CPU where ``fork`` exists, else none."""
    if "fork" not in get_all_start_methods():
        return 1
    return os.cpu_count() or 1


Triple = tuple[str, str, str | None]


def check_triples(triples: Sequence[Triple]) -> list[tuple[Any, ...]]:
    """Validate each triple the way ``identity_columns`` does; one result row each."""
    out: list[tuple[Any, ...]] = []
    for scheme, value, country in triples:
        try:
            validated = validate(scheme, value, country=country)
        except InvalidIdentifier as exc:
            out.append(
                (scheme, value, country, False, exc.rule, f"{scheme} {exc.message}") + (None,) * 6
            )
            continue
        birth = None
        if scheme == "cn_ric":
            compact = validated.value
            birth = dt.date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
        warnings = [f"id_value: {w}" for w in validated.warnings]
        out.append(
            (
                scheme,
                value,
                country,
                True,
                None,
                None,
                validated.scheme,
                validated.value,
                validated.country,
                "; ".join(warnings) or None,
                len(warnings),
                birth,
            )
        )
    return out


SEPARATOR: Final = "\x1f"
NO_COUNTRY: Final = "\x00"
"""Key parts: control characters, which coerced values never hold (they become U+FFFD)."""


def keys(scheme: pa.ChunkedArray, value: pa.ChunkedArray, country: pa.ChunkedArray) -> pa.Array:
    """One text key per record's (scheme, value, country); null where there is no identifier."""
    key: pa.ChunkedArray = pc.binary_join_element_wise(
        scheme, value, pc.fill_null(country, NO_COUNTRY), SEPARATOR
    )
    return key.combine_chunks()


def lookup(row_keys: pa.Array, results: pa.Table) -> pa.Table:
    """The identifier outcome of every record, in record order (nulls where none)."""
    index = pc.index_in(row_keys, value_set=results.column("_key"))
    return results.drop_columns(["_key"]).take(index)


def check_keys(distinct: pa.Array, workers: int | None = None) -> pa.Table:
    """The outcome of every distinct identifier key (see :func:`keys`), with the key."""
    texts = [k for k in distinct.to_pylist() if k is not None]
    parts = [k.split(SEPARATOR) for k in texts]
    triples = pa.table(
        {
            "scheme": pa.array([p[0] for p in parts], pa.string()),
            "value": pa.array([p[1] for p in parts], pa.string()),
            "country": pa.array([None if p[2] == NO_COUNTRY else p[2] for p in parts], pa.string()),
        }
    )
    checked = check_identifiers(triples, workers)
    return checked.append_column("_key", pa.array(texts, pa.string()))


def check_identifiers(triples: pa.Table, workers: int | None = None) -> pa.Table:
    """The outcome of every distinct (scheme, value, country) in ``triples``.

    ``triples`` has three string columns in that order. With ``workers`` > 1,
    processes are used above :data:`PARALLEL_THRESHOLD` identifiers.
    """
    rows: list[Triple] = list(zip(*(triples.column(i).to_pylist() for i in range(3)), strict=True))
    workers = workers if workers is not None else default_workers()
    if workers > 1 and len(rows) >= PARALLEL_THRESHOLD:
        size = -(-len(rows) // workers)
        parts = [rows[i : i + size] for i in range(0, len(rows), size)]
        # fork: the workers inherit the imported stdnum tables and need no
        # re-import of the caller's main module (spawn would); they run only
        # Python validation, never DuckDB.
        with ProcessPoolExecutor(len(parts), mp_context=get_context("fork")) as pool:
            results = [row for part in pool.map(check_triples, parts) for row in part]
    else:
        results = check_triples(rows)
    columns: list[Sequence[Any]] = (
        list(zip(*results, strict=True)) if results else [[] for _ in RESULT_SCHEMA]
    )
    return pa.table(
        [pa.array(list(c), type=f.type) for c, f in zip(columns, RESULT_SCHEMA, strict=True)],
        schema=RESULT_SCHEMA,
    )


class KeyedHasher:
    """HMAC-SHA256 under one key, for many messages: ``hmac.new(key, m, sha256)`` each.

    The key's inner and outer pads are hashed once (RFC 2104's precomputed
    state, which ``hmac`` itself keeps per object); each message then costs
    two copies of those states and two short hashes, about a microsecond,
    where ``hmac.new`` per message costs two or three. Tests compare it with
    :func:`xinyong.identifiers.keyed_hash`.
    """

    _BLOCK: Final = 64

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or not key:
            raise ValueError("the hash key must be non-empty bytes")
        padded = bytes(key)
        if len(padded) > self._BLOCK:
            padded = hashlib.sha256(padded).digest()
        padded = padded.ljust(self._BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def hexdigest(self, message: bytes) -> str:
        return self.digest(message).hex()

    def digests(self, messages: Sequence[bytes]) -> bytes:
        """The 32-byte digests of all ``messages``, concatenated in order."""
        inner_copy, outer_copy = self._inner.copy, self._outer.copy
        out = bytearray()
        for message in messages:
            inner = inner_copy()
            inner.update(message)
            outer = outer_copy()
            outer.update(inner.digest())
            out += outer.digest()
        return bytes(out)
