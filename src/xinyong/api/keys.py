"""Organisations' API keys: created (shown once), checked, revoked, expiring.

``create_key`` is what ``xinyong key create`` calls; the store keeps the key id,
its organisation and role, and the SHA-256 of the secret, never the secret.

:class:`KeyCache` keeps a worker's recently read keys for the inquiry hot path,
for at most ``ttl`` seconds (default :data:`KEY_CACHE_TTL`): the stored row,
never the secret, which is checked against the row's hash on every request.
An expired key is refused at once (the expiry is in the row); a revoked one is
refused by every worker within ``ttl`` of the revocation's commit (each
re-reads the row when its copy is older), which is what a key read per request
cost: it was a sixth of a report's statements.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import Connection, bindparam, insert, select, update

from xinyong.api.context import Principal
from xinyong.api.secrets_ import digest, matches, new_credential, split_credential
from xinyong.audit import chain
from xinyong.store import repositories
from xinyong.store.service_schema import API_ROLES, api_keys
from xinyong.store.types import utc_now

__all__ = [
    "KEY_CACHE_TTL",
    "KeyCache",
    "NewKey",
    "authenticate_key",
    "check_key",
    "create_key",
    "revoke_key",
]

KEY_PREFIX = "k"
KEY_CACHE_TTL: Final = 1.0  # seconds a worker may act on a key row it read
KEY_CACHE_SIZE: Final = 10_000
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just created: ``token`` is ``<key_id>.<secret>`` and is shown only once."""

    key_id: str
    org_id: str
    role: str
    token: str
    expires_at: datetime | None


def create_key(
    conn: Connection,
    org_id: str,
    role: str,
    ttl: timedelta | None,
    *,
    actor: str = "operator",
    now: datetime | None = None,
) -> NewKey:
    """Create a key for ``org_id`` with ``role``, valid for ``ttl`` (None: until revoked).

    The organisation must hold the role. Audited in the caller's transaction.
    """
    if role not in API_ROLES:
        raise ValueError(f"role must be one of {', '.join(API_ROLES)}, not {role!r}")
    org = repositories.get_organisation(conn, org_id)
    if org is None:
        raise ValueError(f"unknown organisation {org_id!r}")
    if role not in (org["roles"] or []):
        raise ValueError(f"organisation {org_id!r} does not have the {role} role")
    if ttl is not None and ttl <= timedelta(0):
        raise ValueError("ttl must be positive")
    created = now or utc_now()
    expires = created + ttl if ttl is not None else None
    key_id, secret, token = new_credential(KEY_PREFIX)
    conn.execute(
        insert(api_keys).values(
            key_id=key_id,
            org_id=org_id,
            role=role,
            secret_hash=digest(secret),
            created_at=created,
            expires_at=expires,
            revoked_at=None,
        )
    )
    chain.append(
        conn,
        actor=actor,
        action="api_key.created",
        subject_id=None,
        reason="api key issued",
        payload={"key_id": key_id, "org_id": org_id, "role": role, "expires_at": expires},
        at=created,
    )
    return NewKey(key_id, org_id, role, token, expires)


def revoke_key(
    conn: Connection, key_id: str, *, actor: str = "operator", now: datetime | None = None
) -> bool:
    """Revoke a key at once; ``False`` if it is unknown or already revoked."""
    at = now or utc_now()
    result = conn.execute(
        update(api_keys)
        .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    if result.rowcount != 1:
        return False
    chain.append(
        conn,
        actor=actor,
        action="api_key.revoked",
        subject_id=None,
        reason="api key revoked",
        payload={"key_id": key_id},
        at=at,
    )
    return True


def check_key(
    token: str, now: datetime, find: Callable[[str], Any | None]
) -> tuple[Principal, Any] | None:
    """The principal of a valid, unexpired, unrevoked key token and its stored row, else ``None``.

    The one rule for every route: ``find`` reads the stored key by id (a row
    with ``secret_hash``, ``revoked_at``, ``expires_at``, ``role``, ``org_id``),
    through SQLAlchemy here or through the inquiry hot path's driver-level read
    (``api.inquirer_auth``), which also needs the row's other columns.
    """
    parts = split_credential(token)
    if parts is None or not parts[0].startswith(f"{KEY_PREFIX}_"):
        matches(None, token)
        return None
    key_id, secret = parts
    row = find(key_id)
    if not matches(row.secret_hash if row is not None else None, secret) or row is None:
        return None
    if row.revoked_at is not None or (row.expires_at is not None and now >= row.expires_at):
        return None
    role = row.role
    if role not in API_ROLES:  # pragma: no cover - guarded by a CHECK constraint
        return None
    return Principal(role=role, credential_id=key_id, org_id=row.org_id), row


def authenticate_key(conn: Connection, token: str, now: datetime) -> Principal | None:
    """The principal of a valid, unexpired, unrevoked key token, else ``None``."""
    query = select(api_keys).where(api_keys.c.key_id == bindparam("key_id"))
    found = check_key(token, now, lambda key_id: conn.execute(query, {"key_id": key_id}).first())
    return None if found is None else found[0]


class KeyCache(Generic[R]):
    """Stored key rows (``check_key``'s ``find``) read within the last ``ttl`` seconds.

    Only rows that were found are kept (an unknown key id costs a read each
    time, as before), at most ``size`` of them (all dropped when full: a key
    in use is read again at its next request). Safe to share between threads:
    one dictionary read or write at a time.
    """

    def __init__(
        self,
        ttl: float = KEY_CACHE_TTL,
        *,
        size: int = KEY_CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self._size = size
        self._clock = clock
        self._rows: dict[str, tuple[float, R]] = {}

    def fresh(self, key_id: str) -> R | None:
        """The row of ``key_id`` if it was read less than ``ttl`` seconds ago, else ``None``."""
        entry = self._rows.get(key_id)
        if entry is None or self._clock() - entry[0] >= self.ttl:
            return None
        return entry[1]

    def reading(self, read: Callable[[str], R | None]) -> Callable[[str], R | None]:
        """``read``, keeping each row it finds."""

        def find(key_id: str) -> R | None:
            at = self._clock()
            row = read(key_id)
            if row is not None:
                if len(self._rows) >= self._size:
                    self._rows.clear()
                self._rows[key_id] = (at, row)
            return row

        return find
