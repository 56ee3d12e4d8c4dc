"""FastAPI dependencies: the service context and the caller, checked per role.

``Authorization: Bearer <id>.<secret>`` is an organisation's API key (``k_``)
or a subject's session (``s_``). A missing, malformed, unknown, expired or
revoked credential is a 401; a valid one of the wrong role is a 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from xinyong.api.context import Principal, ServiceContext
from xinyong.api.errors import ApiError
from xinyong.api.keys import authenticate_key
from xinyong.api.limits import enforce_rate
from xinyong.api.subject_auth import SESSION_PREFIX, authenticate_session

__all__ = [
    "Ctx",
    "FurnisherP",
    "InquirerP",
    "OperatorP",
    "SubjectP",
    "get_ctx",
    "get_principal",
    "require",
]

bearer = HTTPBearer(
    auto_error=False,
    description="An organisation's API key or a subject's session token: <id>.<secret>",
)


def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(get_ctx)]


def get_principal(
    ctx: Ctx, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The authenticated caller, or a 401."""
    if creds is None:
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <id>.<secret>")
    token = creds.credentials
    now = ctx.now()
    with ctx.system.engine.connect() as conn:
        if token.startswith(f"{SESSION_PREFIX}_"):
            principal = authenticate_session(conn, token, now)
        else:
            principal = authenticate_key(conn, token, now)
    if principal is None:
        raise ApiError(401, "invalid_credentials", "the credential is unknown, expired or revoked")
    return principal


def require(role: str) -> Callable[[Principal, ServiceContext, Request], Principal]:
    """A dependency that admits only principals with ``role``, within their rate limit."""

    def check(
        principal: Annotated[Principal, Depends(get_principal)], ctx: Ctx, request: Request
    ) -> Principal:
        if principal.role != role:
            raise ApiError(403, "wrong_role", f"this route is for the {role} role")
        # Rate limits count authenticated callers only, per key (see ``limits``).
        enforce_rate(
            ctx.system.engine,
            request.app.state.limits,
            principal,
            request.method,
            request.url.path,
            ctx.now(),
        )
        return principal

    check.__name__ = f"require_{role}"
    return check


FurnisherP = Annotated[Principal, Depends(require("furnisher"))]
InquirerP = Annotated[Principal, Depends(require("inquirer"))]
OperatorP = Annotated[Principal, Depends(require("operator"))]
SubjectP = Annotated[Principal, Depends(require("subject"))]
