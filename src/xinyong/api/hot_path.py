"""The inquiry short path: the usual report or score request answered at the ASGI level.

Why. An inquiry is the service's traffic, and around the report's own work
(reads, recording) FastAPI spent about a fifth of its CPU (issue 7's profile):
the middleware stack below this one, Starlette's request object, routing over
every route, the exception middleware's wrappers, a ``Response`` object. This
middleware sits first among the app's own (inside FastAPI's error and telemetry
layers) and answers exactly the requests the inquirer router would answer as
JSON with nothing of FastAPI's own in the way:

* ``POST`` to a path of ``routers.inquirer.SHORT_PATHS``, no query string, no
  ``root_path``;
* ``Content-Type: application/json``, an ``Authorization: Bearer`` credential
  and (for a route that negotiates its format) ``Accept`` choosing JSON;
* a body within ``max_body_bytes`` that validates as ``InquiryIn``.

Then it authenticates the key (``inquirer_auth.caller_of``: 401/403 as the
dependency does), calls the route's service method and sends the bytes with the
headers Starlette's ``Response`` would send. A refusal the service raises goes
out through the same function as the app's exception handlers
(``error_responses``). Anything else, a body that fails validation included
(FastAPI's 422, recorded by the router), passes to the app unchanged, with the
body already read replayed to it; an oversized body gets ``BodySizeLimit``'s
413, by the same function (``limits.read_body``).
"""

from __future__ import annotations

from typing import Final

from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError

from xinyong.api.error_responses import api_error_response, user_error_response
from xinyong.api.errors import ApiError
from xinyong.api.inquirer_auth import caller_of
from xinyong.api.inquiry import InquiryService
from xinyong.api.limits import (
    ASGIApp,
    Limits,
    Message,
    Receive,
    Scope,
    Send,
    read_body,
    refuse_body,
    replay,
)
from xinyong.api.models import InquiryIn
from xinyong.api.render import negotiate
from xinyong.api.routers.inquirer import SHORT_PATHS
from xinyong.errors import UserError

__all__ = ["InquiryShortPath"]

_JSON: Final = b"application/json"
# The request headers the short path reads; the first of each counts, as in Starlette.
_WANTED: Final = frozenset((b"content-type", b"authorization", b"accept"))


class InquiryShortPath:
    """ASGI middleware: the usual JSON inquiry answered here, anything else passed on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = SHORT_PATHS.get(scope["path"]) if scope["type"] == "http" else None
        if (
            route is None
            or scope["method"] != "POST"
            or scope.get("query_string")
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _WANTED and name not in headers:
                headers[name] = value
        token = _bearer_token(headers.get(b"authorization"))
        if (
            token is None
            or headers.get(b"content-type", b"").strip().lower() != _JSON
            or (route.negotiates and not _wants_json(headers.get(b"accept")))
        ):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        limits: Limits = state.limits
        messages = await read_body(scope, receive, limits.max_body_bytes)
        if messages is None:
            await refuse_body(send, limits.max_body_bytes)
            return
        body = _valid_body(messages)
        if body is None:  # the app's own answer (a 422, recorded)
            await self.app(scope, replay(messages, receive), send)
            return
        service: InquiryService = state.inquiries
        try:
            caller = await caller_of(service, token)
            content = await route.answer(service, caller, body, limits)
        except ApiError as exc:
            await api_error_response(exc)(scope, receive, send)
            return
        except UserError as exc:
            await user_error_response(exc)(scope, receive, send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(content)).encode("latin-1")),
                    (b"content-type", _JSON),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


def _valid_body(messages: list[Message]) -> InquiryIn | None:
    """The body read as ``InquiryIn``, or ``None`` if it does not validate or the
    client went away before sending all of it."""
    if messages[-1]["type"] != "http.request":
        return None
    try:
        return InquiryIn.model_validate_json(b"".join(m.get("body", b"") for m in messages))
    except ValidationError:
        return None


def _bearer_token(header: bytes | None) -> str | None:
    """The credential of an ``Authorization: Bearer`` header, as ``fastapi``'s
    ``HTTPBearer`` reads it, else ``None``."""
    if header is None:
        return None
    scheme, token = get_authorization_scheme_param(header.decode("latin-1"))
    return token if token and scheme.lower() == "bearer" else None


def _wants_json(accept: bytes | None) -> bool:
    return negotiate(None, accept.decode("latin-1") if accept is not None else None) == "json"
