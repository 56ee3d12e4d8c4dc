"""One model out as JSON, HTML or PDF: the routes' shared formatting step.

JSON is serialised by pydantic straight to bytes (the route returns a
``Response``, so FastAPI does not validate and serialise the model a second
time); HTML and PDF come from the same model through ``html`` and ``pdf``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Query
from fastapi.responses import Response
from pydantic import BaseModel

from xinyong.api.errors import ApiError
from xinyong.api.render import Format, negotiate
from xinyong.api.render.pdf import html_to_pdf

__all__ = ["FORMATS", "AcceptH", "FormatQ", "pick", "respond"]

FormatQ = Annotated[
    str | None,
    Query(alias="format", description="json, html or pdf; default from Accept, else json"),
]
AcceptH = Annotated[str | None, Header(include_in_schema=False)]

FORMATS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/html": {}, "application/pdf": {}},
        "description": "JSON, or HTML or PDF with ?format= or Accept",
    }
}


def pick(query: str | None, accept: str | None) -> Format:
    """The wanted format, or a 400 naming the bad ``format`` value."""
    try:
        return negotiate(query, accept)
    except ValueError as exc:
        raise ApiError(400, "format_unknown", str(exc)) from None


def respond(fmt: Format, model: BaseModel, html: Callable[[], str], filename: str) -> Response:
    """``model`` as the chosen format; ``html`` renders it (called for HTML and PDF only)."""
    if fmt == "json":
        return Response(model.model_dump_json(), media_type="application/json")
    page = html()
    if fmt == "html":
        return Response(page, media_type="text/html; charset=utf-8")
    return Response(
        html_to_pdf(page),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'},
    )
