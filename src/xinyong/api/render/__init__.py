"""Reports and notices as HTML and PDF, from the same models the JSON routes serve.

``html`` renders with Jinja2 (autoescaped templates in ``templates/``);
``pdf`` turns that HTML into PDF with WeasyPrint; ``negotiate`` picks the
format from ``?format=`` or the ``Accept`` header.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["Format", "negotiate"]

Format = Literal["json", "html", "pdf"]

_BY_MEDIA: dict[str, Format] = {
    "text/html": "html",
    "application/pdf": "pdf",
    "application/json": "json",
}


def negotiate(query: str | None, accept: str | None) -> Format:
    """``?format=`` wins; else the first of HTML, PDF, JSON named in ``Accept``; else JSON.

    An unknown ``?format=`` is a ``ValueError`` (the route turns it into a 400).
    """
    if query:
        if query not in ("json", "html", "pdf"):
            raise ValueError(f"format must be json, html or pdf, not {query!r}")
        return query  # type: ignore[return-value]
    for part in (accept or "").split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media in _BY_MEDIA:
            return _BY_MEDIA[media]
    return "json"
