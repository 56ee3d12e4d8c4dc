"""Subjects sign in to see their own file: pluggable, with one-time codes for the demo.

A :class:`SubjectAuthenticator` turns a credential (here a one-time code issued
by the operator and printed by the CLI; in production an identity provider's
assertion) into a subject id. A successful sign-in opens a short session whose
bearer token the subject then uses, so that the authenticator is consulted once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, Protocol

from sqlalchemy import Connection, insert, select, update

from xinyong.api.context import Principal
from xinyong.api.secrets_ import digest, matches, new_credential, split_credential
from xinyong.audit import chain
from xinyong.store import repositories
from xinyong.store.service_schema import subject_codes, subject_sessions

__all__ = [
    "CODE_PREFIX",
    "SESSION_PREFIX",
    "OneTimeCodes",
    "SubjectAuthenticator",
    "authenticate_session",
    "close_session",
    "issue_code",
    "open_session",
]

CODE_PREFIX: Final = "c"
SESSION_PREFIX: Final = "s"
CODE_TTL: Final = timedelta(minutes=15)
SESSION_TTL: Final = timedelta(minutes=30)


class SubjectAuthenticator(Protocol):
    """Turns a sign-in credential into the subject it proves, or ``None``."""

    def sign_in(self, conn: Connection, credential: str, now: datetime) -> str | None: ...


def issue_code(
    conn: Connection,
    subject_id: str,
    *,
    ttl: timedelta = CODE_TTL,
    actor: str = "operator",
    now: datetime,
) -> str:
    """A one-time code ``<code_id>.<secret>`` for ``subject_id``, shown once."""
    if repositories.get_subject(conn, subject_id) is None:
        raise ValueError("unknown subject")
    code_id, secret, token = new_credential(CODE_PREFIX)
    conn.execute(
        insert(subject_codes).values(
            code_id=code_id,
            subject_id=subject_id,
            code_hash=digest(secret),
            created_at=now,
            expires_at=now + ttl,
            used_at=None,
        )
    )
    chain.append(
        conn,
        actor=actor,
        action="subject.code_issued",
        subject_id=subject_id,
        reason="one-time sign-in code",
        payload={"code_id": code_id},
        at=now,
    )
    return token


class OneTimeCodes:
    """The demo authenticator: a code is good once, until it expires."""

    def sign_in(self, conn: Connection, credential: str, now: datetime) -> str | None:
        parts = split_credential(credential)
        if parts is None or not parts[0].startswith(f"{CODE_PREFIX}_"):
            matches(None, credential)
            return None
        code_id, secret = parts
        row = conn.execute(select(subject_codes).where(subject_codes.c.code_id == code_id)).first()
        if not matches(row.code_hash if row is not None else None, secret) or row is None:
            return None
        if row.used_at is not None or now >= row.expires_at:
            return None
        # Single use even under a race: only one UPDATE can see used_at NULL.
        used = conn.execute(
            update(subject_codes)
            .where(subject_codes.c.code_id == code_id, subject_codes.c.used_at.is_(None))
            .values(used_at=now)
        )
        return str(row.subject_id) if used.rowcount == 1 else None


def open_session(
    conn: Connection, subject_id: str, now: datetime, *, ttl: timedelta = SESSION_TTL
) -> tuple[str, datetime]:
    """A session token for a signed-in subject and its expiry; audited."""
    session_id, secret, token = new_credential(SESSION_PREFIX)
    expires = now + ttl
    conn.execute(
        insert(subject_sessions).values(
            session_id=session_id,
            subject_id=subject_id,
            secret_hash=digest(secret),
            created_at=now,
            expires_at=expires,
            revoked_at=None,
        )
    )
    chain.append(
        conn,
        actor=f"subject:{session_id}",
        action="subject.signed_in",
        subject_id=subject_id,
        reason="subject portal sign-in",
        payload={"session_id": session_id},
        at=now,
    )
    return token, expires


def authenticate_session(conn: Connection, token: str, now: datetime) -> Principal | None:
    """The subject principal of a valid session token, else ``None``."""
    parts = split_credential(token)
    if parts is None or not parts[0].startswith(f"{SESSION_PREFIX}_"):
        return None
    session_id, secret = parts
    row = conn.execute(
        select(subject_sessions).where(subject_sessions.c.session_id == session_id)
    ).first()
    if not matches(row.secret_hash if row is not None else None, secret) or row is None:
        return None
    if row.revoked_at is not None or now >= row.expires_at:
        return None
    return Principal(role="subject", credential_id=session_id, subject_id=row.subject_id)


def close_session(conn: Connection, principal: Principal, now: datetime) -> None:
    """End the signed-in ``principal``'s session now (sign-out); audited once.

    The token stops working at once, for the portal's cookie and for the API's
    bearer alike, whatever its expiry.
    """
    ended = conn.execute(
        update(subject_sessions)
        .where(
            subject_sessions.c.session_id == principal.credential_id,
            subject_sessions.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    if ended.rowcount == 1:
        chain.append(
            conn,
            actor=principal.actor,
            action="subject.signed_out",
            subject_id=principal.subject(),
            reason="subject portal sign-out",
            payload={"session_id": principal.credential_id},
            at=now,
        )
