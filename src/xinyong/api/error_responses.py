"""The HTTP answer to a refusal the service raises on purpose (``ApiError``, ``UserError``).

One place for the shape, status and headers (``WWW-Authenticate`` on a 401,
``Retry-After`` on a 429), used by the app's exception handlers and by the
inquiry short path (``hot_path``), which answers outside FastAPI's exception
middleware: a refusal must read the same whichever path served it.
"""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse

from xinyong.api.errors import ApiError
from xinyong.api.limits import RateLimited
from xinyong.errors import UserError

__all__ = ["api_error_response", "user_error_response"]

log = logging.getLogger("xinyong.api")


def api_error_response(exc: ApiError) -> JSONResponse:
    """``{"error": {"code", "message"}}`` with the refusal's status and headers."""
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(
        {"error": {"code": exc.code, "message": exc.message}},
        status_code=exc.status,
        headers=headers,
    )


def user_error_response(exc: UserError) -> JSONResponse:
    """A 400 with the error's words (logged by class name only: they may name input)."""
    log.info("request refused: %s", type(exc).__name__)
    return JSONResponse({"error": {"code": "bad_request", "message": str(exc)}}, status_code=400)
