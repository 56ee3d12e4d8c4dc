"""Keyed hashes for matching without keeping identifiers in clear.

A plain SHA-256 of an 18-digit CN resident number can be reversed by trying
every area code, birth date and sequence (well under 10^11 candidates), so the
store keeps HMAC-SHA256 under a deployment secret instead. The key is a
parameter, never read here: callers pass ``Settings.hash_key_bytes()``, and
tests pass their own.

Parts are joined with ``|``. Validated identifiers never contain it; other
parts that do are refused rather than escaped, so that the canonical string
stays readable and two different part lists can never produce the same one.
"""

from __future__ import annotations

import hashlib
import hmac

from xinyong.identifiers.registry import Identifier

SEPARATOR = "|"


def keyed_hash(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 hex of ``parts`` joined with ``|``, e.g. for account numbers.

    Put a namespace first (``keyed_hash(key, "account", furnisher_id, number)``)
    so that hashes of different kinds of value can never be confused.
    """
    if not isinstance(key, bytes | bytearray) or not key:
        raise ValueError("the hash key must be non-empty bytes")
    if not parts:
        raise ValueError("nothing to hash")
    for part in parts:
        if not isinstance(part, str):
            raise TypeError(f"hash parts must be str, got {type(part).__name__}")
        if SEPARATOR in part:
            raise ValueError(f"hash parts must not contain {SEPARATOR!r}")
    message = SEPARATOR.join(parts).encode("utf-8")
    return hmac.new(bytes(key), message, hashlib.sha256).hexdigest()


def canonical_string(identifier: Identifier) -> str:
    """``scheme|country|value``, the exact text an identifier hash is taken over."""
    return SEPARATOR.join((identifier.scheme, identifier.country or "", identifier.value))


def identifier_hash(key: bytes, identifier: Identifier) -> str:
    """HMAC-SHA256 hex of ``scheme|country|compact_value`` (country empty if none).

    The scheme is part of the message, so the same digits under two schemes
    never match each other.
    """
    return keyed_hash(key, identifier.scheme, identifier.country or "", identifier.value)
