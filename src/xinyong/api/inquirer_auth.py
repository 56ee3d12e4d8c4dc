"""The inquirer routes' caller: an API key checked on the worker's read connection.

The same rules as ``deps.get_principal`` and ``deps.require("inquirer")`` (401
for a missing, malformed, unknown, expired or revoked credential, 403 for a
valid one of another role), as an ``async`` dependency: the key, its
organisation's name and its registered purposes come in one read on the
worker's read connection (``raw_reads.Reads``), with no pool checkout, and are
kept for a second (``keys.KeyCache``: a revocation takes effect in every worker
within that second, an expiry at once). The rate limit is not counted
here but where the attempt is recorded (``recorder``), so that a 429 is
recorded too. The caller is kept on ``request.state`` for the inquirer router,
which records a request whose body fails validation as a refused attempt of
that caller (:func:`request_caller`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.security.utils import get_authorization_scheme_param

from xinyong.api.deps import bearer
from xinyong.api.errors import ApiError
from xinyong.api.inquiry import Inquirer, InquiryService
from xinyong.api.keys import check_key
from xinyong.api.raw_reads import KeyRow
from xinyong.api.subject_auth import SESSION_PREFIX, authenticate_session

__all__ = [
    "InquirerC",
    "authenticate",
    "authenticated",
    "caller_of",
    "inquirer_caller",
    "inquiry_service",
    "request_caller",
]


def authenticate(
    find: Callable[[str], KeyRow | None], token: str, now: datetime
) -> Inquirer | None:
    """The caller of a valid, unexpired, unrevoked key token, else ``None``: the
    rule of ``keys.check_key``, with the organisation's name and purposes;
    ``find`` reads the key (``RawReader.key``, or a :class:`KeyCache`'s row)."""
    found = check_key(token, now, find)
    if found is None:
        return None
    principal, row = found
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
    return await authenticated(request, creds.credentials)


async def authenticated(request: Request, token: str) -> Inquirer:
    """The inquirer of a bearer ``token``, kept on the request (see the module's doc),
    or a 401 (no valid credential) or 403 (another role)."""
    caller = await caller_of(inquiry_service(request), token)
    request.state.inquirer = caller
    return caller


async def request_caller(request: Request) -> Inquirer | None:
    """The request's inquirer if it authenticates as one, else ``None``: the dependency's
    result when it ran, else the ``Authorization`` header checked the same way (FastAPI
    refuses a body that is not JSON before any dependency runs)."""
    known: Inquirer | None = getattr(request.state, "inquirer", None)
    if known is not None:
        return known
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        return await caller_of(inquiry_service(request), token)
    except ApiError:
        return None


async def caller_of(service: InquiryService, token: str) -> Inquirer:
    """The inquirer of a bearer ``token`` for ``service``, or a 401 (no valid
    credential) or 403 (another role): the check itself, with no request (the
    inquiry short path, ``hot_path``, has none)."""
    now = service.ctx.now()
    caller: Inquirer | None = None
    role: str | None = None
    if token.startswith(f"{SESSION_PREFIX}_"):
        with service.ctx.system.engine.connect() as conn:
            session = authenticate_session(conn, token, now)
        role = session.role if session is not None else None
    else:
        # A key read in the last second is checked as read (see ``keys.KeyCache``),
        # with no read and, on PostgreSQL, no hop to a reader thread; anything
        # else, a failed check included, against the row as stored now.
        keys = service.keys
        caller = authenticate(keys.fresh, token, now)
        if caller is None:
            caller = await service.reads.run(
                lambda reader: authenticate(keys.reading(reader.key), token, now)
            )
        role = caller.principal.role if caller is not None else None
    if role is None:
        raise ApiError(401, "invalid_credentials", "the credential is unknown, expired or revoked")
    if caller is None or role != "inquirer":
        raise ApiError(403, "wrong_role", "this route is for the inquirer role")
    return caller


InquirerC = Annotated[Inquirer, Depends(inquirer_caller)]
