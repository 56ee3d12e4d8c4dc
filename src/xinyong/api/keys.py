"""Organisations' API keys: created (shown once), checked, revoked, expiring.

``create_key`` is what ``xinyong key create`` calls; the store keeps the key id,
its organisation and role, and the SHA-256 of the secret, never the secret.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from xinyong.api.context import Principal
from xinyong.api.secrets_ import digest, matches, new_credential, split_credential
from xinyong.audit import chain
from xinyong.store import repositories
from xinyong.store.service_schema import API_ROLES, api_keys
from xinyong.store.types import utc_now

__all__ = ["NewKey", "authenticate_key", "check_key", "create_key", "revoke_key"]

KEY_PREFIX = "k"


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
