"""HTML to PDF with WeasyPrint: the PDF is the HTML copy, printed.

WeasyPrint is imported on first use: it loads pango and fonts, which a JSON
request should not pay for.
"""

from __future__ import annotations

__all__ = ["html_to_pdf"]


def html_to_pdf(html: str) -> bytes:
    """The PDF of ``html`` (self-contained: no external stylesheets or images are fetched)."""
    from weasyprint import HTML  # type: ignore[import-untyped]

    def _no_fetch(url: str, *_args: object, **_kw: object) -> dict[str, object]:
        raise ValueError(f"external resource refused: {url}")

    pdf: bytes = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    return pdf
