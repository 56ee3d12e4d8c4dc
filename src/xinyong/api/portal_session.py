"""The subject portal's cookie session and its protection against cross-site requests.

A browser cannot be handed a bearer token to send on every page, so the portal
keeps the same subject session (:mod:`subject_auth`) in a cookie: HttpOnly (no
script reads it), SameSite=Strict (no other site's page sends it), Secure when
the page came over HTTPS, scoped to the portal's path, and expiring with the
session. Forms that change something also carry a CSRF token in a hidden field,
derived from the session token with HMAC, so it needs no storage and is
useless without the cookie it belongs to. The sign-in form, which has no session
yet, is protected the same way by a random pre-session cookie (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Final

from fastapi import Request, Response

from xinyong.api.context import Principal, ServiceContext
from xinyong.api.subject_auth import SESSION_PREFIX, authenticate_session

__all__ = [
    "PATH",
    "SESSION_COOKIE",
    "SIGN_IN_COOKIE",
    "csrf_for",
    "csrf_matches",
    "end_cookie",
    "new_sign_in_nonce",
    "portal_principal",
    "session_token",
    "set_session_cookie",
    "set_sign_in_cookie",
]

PATH: Final = "/portal"
SESSION_COOKIE: Final = "xinyong_portal"
SIGN_IN_COOKIE: Final = "xinyong_portal_sign_in"
_CSRF_CONTEXT: Final = b"xinyong subject portal csrf v1"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def session_token(request: Request) -> str | None:
    """The session token in the request's portal cookie, if any."""
    token = request.cookies.get(SESSION_COOKIE)
    return token if token and token.startswith(f"{SESSION_PREFIX}_") else None


def portal_principal(ctx: ServiceContext, request: Request) -> Principal | None:
    """The signed-in subject of the request's cookie, or ``None`` (no cookie, or a
    session that is unknown, expired or ended). An ``Authorization`` header is
    ignored: the portal is for a browser, the API for bearer tokens."""
    token = session_token(request)
    if token is None:
        return None
    with ctx.system.engine.connect() as conn:
        return authenticate_session(conn, token, ctx.now())


def csrf_for(token: str) -> str:
    """The CSRF token of the forms of the session ``token``."""
    return hmac.new(token.encode("utf-8"), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def csrf_matches(expected: str | None, sent: str | None) -> bool:
    """Whether a form's ``sent`` CSRF token is ``expected``, in constant time."""
    if not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), sent.encode("utf-8"))


def set_session_cookie(
    response: Response, request: Request, token: str, expires: datetime, now: datetime
) -> None:
    """Put the session ``token`` in the portal cookie, expiring with the session."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(0, int((expires - now).total_seconds())),
        expires=expires,
        path=PATH,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path=PATH, secure=_secure(request), httponly=True)


def new_sign_in_nonce() -> str:
    """A fresh random value for the sign-in form's double-submit check."""
    return secrets.token_urlsafe(24)


def set_sign_in_cookie(response: Response, request: Request, nonce: str) -> None:
    """The pre-session cookie the sign-in form's hidden field must match."""
    response.set_cookie(
        SIGN_IN_COOKIE,
        nonce,
        path=PATH,
        secure=_secure(request),
        httponly=True,
        samesite="strict",
    )


def end_cookie(response: Response, request: Request) -> None:
    """Tell the browser to forget the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, path=PATH, secure=_secure(request), httponly=True, samesite="strict"
    )
