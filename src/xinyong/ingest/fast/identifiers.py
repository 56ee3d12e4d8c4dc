"""Identifier checks for the fast paths: python-stdnum once per distinct identifier.

The checksum, area-code and range rules are never rewritten in SQL: each
distinct (scheme, value, country) of a file goes once through
:func:`xinyong.identifiers.validate`, exactly as
:func:`xinyong.ingest.identity.identity_columns` calls it
(:func:`check_triples`), and the outcome (rule and message, or compact
value, country, warnings, the birth date a resident number encodes) reaches
every record that names it (:mod:`id_cache` for canonical files,
:mod:`metro2_ids` for Metro 2). :class:`KeyedHasher` computes the keyed hash
of a valid identifier as :func:`xinyong.identifiers.identifier_hash` does,
about a microsecond per message.

Validation costs about 10 microseconds per distinct identifier (mostly
stdnum's ``clean``), so a file with many distinct people spends a good part
of its time here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from xinyong.identifiers import InvalidIdentifier, validate

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
