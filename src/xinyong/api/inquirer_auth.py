"""The inquirer routes' caller: an API key checked on the worker's read connection.

The same rules as ``deps.get_principal`` and ``deps.require("inquirer")`` (401
for a missing, malformed, unknown, expired or revoked credential, 403 for a
valid one of another role), as an ``async`` dependency: the key, its
organisation's name and its registered purposes come in one read on the
worker's read connection (``raw_reads.Reads``), with no pool checkout. The rate limit is not counted
here but where the attempt is recorded (``recorder``), so that a 429 is
recorded too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from xinyong.api.context import Principal, Role
from xinyong.api.deps import bearer
from xinyong.api.errors import ApiError
from xinyong.api.inquiry import Inquirer, InquiryService
from xinyong.api.keys import KEY_PREFIX
from xinyong.api.raw_reads import RawReader
from xinyong.api.secrets_ import matches, split_credential
from xinyong.api.subject_auth import SESSION_PREFIX, authenticate_session
from xinyong.store.service_schema import API_ROLES

__all__ = ["InquirerC", "authenticate", "inquirer_caller", "inquiry_service"]


def authenticate(reader: RawReader, token: str, now: datetime) -> Inquirer | None:
    """The caller of a valid, unexpired, unrevoked key token, else ``None``
    (as ``keys.authenticate_key``, with the organisation's name and purposes)."""
    parts = split_credential(token)
    if parts is None or not parts[0].startswith(f"{KEY_PREFIX}_"):
        matches(None, token)
        return None
    key_id, secret = parts
    row = reader.key(key_id)
    if not matches(row.secret_hash if row is not None else None, secret) or row is None:
        return None
    if row.revoked_at is not None or (row.expires_at is not None and now >= row.expires_at):
        return None
    if row.role not in API_ROLES:  # pragma: no cover - guarded by a CHECK constraint
        return None
    role = cast(Role, row.role)
    principal = Principal(role=role, credential_id=key_id, org_id=row.org_id)
    return Inquirer(principal=principal, name=row.org_name, purposes=row.purposes)


def inquiry_service(request: Request) -> InquiryService:
    service: InquiryService = request.app.state.inquiries
    return service


async def inquirer_caller(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Inquirer:
    """The authenticated inquirer, or a 401 (no valid credential) or 403 (another role)."""
    if creds is None:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <id>.<secret>")
    service = inquiry_service(request)
    token, now = creds.credentials, service.ctx.now()
    caller: Inquirer | None = None
    role: str | None = None
    if token.startswith(f"{SESSION_PREFIX}_"):
        with service.ctx.system.engine.connect() as conn:
            session = authenticate_session(conn, token, now)
        role = session.role if session is not None else None
    else:
        caller = await service.reads.run(lambda reader: authenticate(reader, token, now))
        role = caller.principal.role if caller is not None else None
    if role is None:
        raise ApiError(401, "invalid_credentials", "the credential is unknown, expired or revoked")
    if caller is None or role != "inquirer":
        raise ApiError(403, "wrong_role", "this route is for the inquirer role")
    return caller


InquirerC = Annotated[Inquirer, Depends(inquirer_caller)]
