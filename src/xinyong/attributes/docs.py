"""Render ``docs/attributes.md`` from the registry, so the page cannot drift.

Run ``python -m xinyong.attributes.docs > docs/attributes.md`` after changing a
definition; a test fails while the page and the registry differ.
"""

from __future__ import annotations

from collections.abc import Sequence

from xinyong.attributes.definitions import ATTRIBUTES
from xinyong.attributes.model import Attribute, Source

__all__ = ["render_markdown"]

_INTRO = """\
# Attributes

Generated from `xinyong.attributes` by `python -m xinyong.attributes.docs`; do
not edit by hand.

An attribute is one SQL aggregate over one credit-file table, computed per
subject with `GROUP BY subject_id` over the **shown** rows only: items aged off
under the jurisdiction's retention rules, and accounts the furnisher deleted,
never count. The same SQL runs on DuckDB and, transpiled by SQLGlot, on Spark.

Columns the expressions use besides the file tables' own:

- history: `months_ago`, whole calendar months from the month to the as-of
  month (0 = the as-of month); `days_late` 30 is the 30-59 days band, 60 the
  60-89 band; `severity` is 0 current, 1-6 for 30 to 180+ days late, 7
  collection, foreclosure, voluntary surrender or repossession, 8 charge-off;
- accounts: `months_since_opened`, full months from the opening date to the
  as-of date; `is_open` (not closed, reported current or past due);
  `account_category` (`mortgage`, `revolving` for cards and lines of credit,
  `instalment`, `open`);
- public records: `months_since_event`; `in_force` (active and its term not
  over);
- inquiries: `months_since`, full months since the inquiry (the service fills
  the inquiries table; until then it is empty and every inquiry count is 0).

**Missing versus zero.** "With no rows" is the value for a subject with no
shown rows in the source table. Counts of things that are simply absent are 0;
measures that cannot be taken without data (a worst status without any
reported month, the utilisation without a revolving limit, the months since a
delinquency that never happened) are missing (NULL), and scorecards give
missing its own bin. Attributes for enterprises only are NULL for persons.

Amounts are minor units (cents, fen) of the furnished currency.
"""

_SECTIONS = {
    Source.HISTORY: "Payment history",
    Source.ACCOUNTS: "Accounts",
    Source.PUBLIC_RECORDS: "Public records",
    Source.INQUIRIES: "Inquiries",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(attributes: Sequence[Attribute] = ATTRIBUTES) -> str:
    """The attributes page as Markdown."""
    lines = [_INTRO]
    for source, title in _SECTIONS.items():
        group = [a for a in attributes if a.source is source]
        if not group:
            continue
        lines += [
            f"## {title} (`file_{source.value}`)",
            "",
            "| name | meaning | unit | subjects | with no rows | SQL |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for a in group:
            empty = "missing" if a.if_no_rows is None else str(a.if_no_rows)
            lines.append(
                f"| `{a.name}` | {_cell(a.meaning)} | {a.unit.value} | {a.applies_to.value} "
                f"| {empty} | `{_cell(a.sql)}` |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
