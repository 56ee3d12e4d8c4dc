"""Server-rendered HTML copies of a report and of an adverse action notice.

Templates are autoescaped, so a furnisher's or a subject's free text (a
statement, an authority name) is shown, never run. Values are formatted here
once (money in major units with the currency, dates ISO), so the HTML and the
PDF show the same text.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from xinyong.api.models import DisputeOut, Report

__all__ = ["adverse_action_html", "fmt", "money", "report_html"]


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
    return env


def report_html(
    report: Report,
    *,
    copy: str,
    inquiry: dict[str, Any] | None = None,
    disputes: list[DisputeOut] | None = None,
) -> str:
    """The report page; ``copy`` is ``inquirer`` or ``subject`` (the subject's adds disputes)."""
    return (
        _env()
        .get_template("report.html")
        .render(report=report, copy=copy, inquiry=inquiry, disputes=disputes or [])
    )


def adverse_action_html(notice: Any) -> str:
    """The adverse action notice page (``AdverseActionNotice``)."""
    return _env().get_template("adverse_action.html").render(n=notice)
