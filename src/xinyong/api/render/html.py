"""Server-rendered HTML copies of a report and of an adverse action notice.

Templates are autoescaped, so a furnisher's or a subject's free text (a
statement, an authority name) is shown, never run. Values are formatted here
once (money in major units with the currency, dates ISO, Metro 2 codes with
their plain-language meaning beside the code), so the HTML and the PDF show
the same text.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from xinyong.api.models import DisputeOut, Report
from xinyong.ingest.metro2.codes import meaning

__all__ = [
    "account_kind",
    "adverse_action_html",
    "coded",
    "fmt",
    "money",
    "page_html",
    "report_html",
    "words",
]


def money(minor: int | None, currency: str | None) -> str:
    """``120000, "CNY"`` -> ``"1,200.00 CNY"``; ``None`` -> ``"—"``."""
    if minor is None:
        return "—"
    sign = "-" if minor < 0 else ""
    major, cents = divmod(abs(minor), 100)
    return f"{sign}{major:,}.{cents:02d} {currency or ''}".strip()


def fmt(value: Any) -> str:
    """One value as every copy shows it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def coded(code: str, field: str) -> str:
    """A Metro 2 base-segment code with its meaning: ``"11"`` -> ``"11 — Current account (…)"``.

    The code stays first, so a reader can quote it to the furnisher; an
    unlisted code is shown as it is.
    """
    text = meaning("base", field, code)
    return f"{code} — {text}" if text else code


def account_kind(portfolio_type: str, account_type: str) -> str:
    """``"R", "18"`` -> ``"R/18 — Revolving, Credit card"``."""
    names = (
        meaning("base", "portfolio_type", portfolio_type),
        meaning("base", "account_type", account_type),
    )
    known = ", ".join(n for n in names if n)
    code = f"{portfolio_type}/{account_type}"
    return f"{code} — {known}" if known else code


def words(value: str | None) -> str:
    """A snake_case code as words: ``"court_judgment"`` -> ``"court judgment"``."""
    return "—" if value is None else value.replace("_", " ")


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("xinyong.api.render", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["fmt"] = fmt
    env.filters["coded"] = coded
    env.filters["account_kind"] = account_kind
    env.filters["words"] = words
    return env


def report_html(
    report: Report,
    *,
    copy: str,
    inquiry: dict[str, Any] | None = None,
    disputes: list[DisputeOut] | None = None,
    portal: dict[str, Any] | None = None,
) -> str:
    """The report page; ``copy`` is ``inquirer`` or ``subject`` (the subject's adds disputes).

    ``portal``: the subject portal's navigation (see :func:`page_html`); without it
    the page is the API's report page, unchanged.
    """
    return (
        _env()
        .get_template("report.html")
        .render(report=report, copy=copy, inquiry=inquiry, disputes=disputes or [], portal=portal)
    )


def page_html(template: str, **values: Any) -> str:
    """One page of the subject portal (``portal_*.html``); ``portal`` in ``values`` carries
    the navigation: ``signed_in``, ``page``, ``csrf``, ``error`` and ``done``."""
    return _env().get_template(template).render(**values)


def adverse_action_html(notice: Any) -> str:
    """The adverse action notice page (``AdverseActionNotice``)."""
    return _env().get_template("adverse_action.html").render(n=notice)
