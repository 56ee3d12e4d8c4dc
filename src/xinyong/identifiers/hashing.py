"""Keyed hashes for matching without keeping identifiers in clear.

A plain SHA-256 of an 18-digit CN resident number can be reversed by trying
every area code, birth date and sequence (well under 10^11 candidates), so the
store keeps HMAC-SHA256 under a deployment secret instead. The key is a
parameter, never read here: callers pass ``Settings.hash_key_bytes()``, and
tests pass their own.

Parts are joined with ``|``, which keeps the message readable and is the
encoding every hash already in a ledger was taken over (validated
identifiers never contain ``|``). A part that does contain it (an account
number ``12|34``) cannot be joined unambiguously, so such part lists are
hashed over a second encoding instead: the byte ``0xFF`` (which never occurs
in UTF-8, so no joined message can start with it), then each part as an
8-byte big-endian length and its UTF-8 bytes. Two different part lists
therefore never give the same message, and no existing hash changes.

Text that is not encodable as UTF-8 (a lone surrogate, which ``json.loads``
produces from ``"\ud800"``) is hashed with ``surrogatepass``, so it can
never crash a batch; the fast ingest path leaves such values to this code.
"""

from __future__ import annotations

import hashlib
import hmac

from xinyong.identifiers.registry import Identifier

SEPARATOR = "|"
LENGTH_PREFIXED = b"\xff"
"""First byte of the length-prefixed encoding; never the first byte of UTF-8 text."""


def message_bytes(*parts: str) -> bytes:
    """The exact bytes a keyed hash is taken over (see the module docstring).

    ``|``-joined UTF-8 when no part holds ``|``, else ``0xFF`` and the parts
    length-prefixed: one-to-one on part lists either way.
    """
    if not any(SEPARATOR in part for part in parts):
        return SEPARATOR.join(parts).encode("utf-8", "surrogatepass")
    out = bytearray(LENGTH_PREFIXED)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        out += len(data).to_bytes(8, "big")
        out += data
    return bytes(out)


def keyed_hash(key: bytes, *parts: str) -> str:
    """HMAC-SHA256 hex of ``parts`` (see :func:`message_bytes`), e.g. for account numbers.

    Put a namespace first (``keyed_hash(key, "account", furnisher_id, number)``)
    so that hashes of different kinds of value can never be confused. Any
    text is accepted: a part holding ``|`` is hashed unambiguously rather
    than refused, so a furnished value can never crash a batch here.
    """
    if not isinstance(key, bytes | bytearray) or not key:
        raise ValueError("the hash key must be non-empty bytes")
    if not parts:
        raise ValueError("nothing to hash")
    for part in parts:
        if not isinstance(part, str):
            raise TypeError(f"hash parts must be str, got {type(part).__name__}")
    return hmac.new(bytes(key), message_bytes(*parts), hashlib.sha256).hexdigest()


def canonical_string(identifier: Identifier) -> str:
    """``scheme|country|value``, the exact text an identifier hash is taken over."""
    return SEPARATOR.join((identifier.scheme, identifier.country or "", identifier.value))


def identifier_hash(key: bytes, identifier: Identifier) -> str:
    """HMAC-SHA256 hex of ``scheme|country|compact_value`` (country empty if none).

    The scheme is part of the message, so the same digits under two schemes
    never match each other.
    """
    return keyed_hash(key, identifier.scheme, identifier.country or "", identifier.value)
