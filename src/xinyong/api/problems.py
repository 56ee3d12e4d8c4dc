"""One error shape for every refusal, request validation included.

FastAPI answers a request that fails validation with ``{"detail": [...]}``
(``HTTPValidationError``), unlike every other refusal of the service
(``{"error": {"code", "message"}}``, :class:`~xinyong.api.models.ErrorResponse`).
:func:`install` makes 422 (and the framework's own 400, 404, 405) use the same
shape, with a message that names each field and rule but never echoes the input
(which may hold an identifier), and rewrites the published spec to match, so
clients and Schemathesis see one contract.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

__all__ = ["describe", "install"]

_ERROR_REF = "#/components/schemas/ErrorResponse"
_FASTAPI_REF = "#/components/schemas/HTTPValidationError"
_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def describe(errors: Any) -> str:
    """``location: message (rule)`` for each problem; the offending values are left out."""
    parts = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ())) or "request"
        parts.append(f"{where}: {error.get('msg', 'invalid')} ({error.get('type', 'invalid')})")
    return "; ".join(parts)[:2000] or "the request is invalid"


def _patched_spec(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            invalid = operation.get("responses", {}).get("422")
            if not invalid:
                continue
            for media in invalid.get("content", {}).values():
                if media.get("schema", {}).get("$ref") == _FASTAPI_REF:
                    media["schema"] = {"$ref": _ERROR_REF}
    schemas = spec.get("components", {}).get("schemas", {})
    if "ErrorResponse" in schemas:
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
    return spec


def install(app: FastAPI) -> None:
    """Render validation errors as ``ErrorResponse`` (code ``invalid_request``) and say so."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        body = {"error": {"code": "invalid_request", "message": describe(exc.errors())}}
        return JSONResponse(body, status_code=422)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _patched_spec(app)
        return app.openapi_schema

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        # Framework refusals (unparsable body, unknown route, wrong method) in our shape.
        code = _CODES.get(exc.status_code, "http_error")
        body = {"error": {"code": code, "message": str(exc.detail)}}
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    app.openapi = openapi  # type: ignore[method-assign]
