"""Bearer credentials of the form ``<id>.<secret>``: made, hashed, checked.

The secret is 256 random bits, so a plain SHA-256 of it is a safe thing to
store (there is no dictionary to try). Checks compare digests with
:func:`hmac.compare_digest`, and an unknown id is compared against a dummy
digest, so that timing does not tell which ids exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

__all__ = ["digest", "matches", "new_credential", "split_credential"]

_DUMMY: Final = hashlib.sha256(b"xinyong-no-such-credential").hexdigest()
MAX_CREDENTIAL_LENGTH: Final = 256


def digest(secret: str) -> str:
    """SHA-256 hex of a credential's secret part."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_credential(prefix: str) -> tuple[str, str, str]:
    """A fresh ``(id, secret, token)``; ``token`` is ``id.secret``, shown once."""
    credential_id = f"{prefix}_{secrets.token_hex(8)}"
    secret = secrets.token_urlsafe(32)
    return credential_id, secret, f"{credential_id}.{secret}"


def split_credential(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a well-formed token, else ``None``."""
    if not token or len(token) > MAX_CREDENTIAL_LENGTH:
        return None
    credential_id, sep, secret = token.partition(".")
    if not sep or not credential_id or not secret:
        return None
    return credential_id, secret


def matches(stored_digest: str | None, secret: str) -> bool:
    """Whether ``secret`` hashes to ``stored_digest``, in constant time."""
    expected = stored_digest if stored_digest is not None else _DUMMY
    ok = hmac.compare_digest(expected.encode("ascii"), digest(secret).encode("ascii"))
    return ok and stored_digest is not None
