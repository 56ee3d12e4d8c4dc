"""Identifier checks for the fast paths that need neither pyarrow nor DuckDB.

python-stdnum is called once per distinct identifier, exactly as
:func:`xinyong.ingest.identity.identity_columns` calls
:func:`xinyong.identifiers.validate` (:func:`check_triples`), and
:class:`KeyedHasher` computes the keyed hash of a valid identifier as
:func:`xinyong.identifiers.identifier_hash` does. They live apart from
:mod:`xinyong.ingest.fast` (whose package imports pyarrow and the ledger)
because the Metro 2 fast path's spawned worker (:mod:`metro2_jobs`) runs
them: a fresh interpreter that imports only this, NumPy and
:mod:`xinyong.identifiers` starts in about half the CPU time.
:mod:`xinyong.ingest.fast.identifiers` re-exports both.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any, Final

from xinyong.identifiers import InvalidIdentifier, validate

Triple = tuple[str, str, str | None]


def check_triples(triples: Sequence[Triple]) -> list[tuple[Any, ...]]:
    """Validate each triple the way ``identity_columns`` does; one result row each.

    Birth dates are bounded by the date when the batch started, read once.
    """
    out: list[tuple[Any, ...]] = []
    today = dt.date.today()
    for scheme, value, country in triples:
        try:
            validated = validate(scheme, value, country=country, today=today)
        except InvalidIdentifier as exc:
            out.append(
                (scheme, value, country, False, exc.rule, f"{scheme} {exc.message}") + (None,) * 6
            )
            continue
        birth = None
        if scheme == "cn_ric":
            compact = validated.value
            birth = dt.date(int(compact[6:10]), int(compact[10:12]), int(compact[12:14]))
        warnings = [f"id_value: {w}" for w in validated.warnings] if validated.warnings else ()
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
