"""The ageing rules of a profile as one SQL expression, for the files step.

Rendered from the same :class:`~xinyong.policy.model.Profile` data as the pure
:func:`~xinyong.policy.ageing.ages_off`, branch for branch, so the two cannot
drift apart without a test noticing. The SQL is written in the DuckDB dialect
and uses only what SQLGlot carries over to Spark: ``CASE``, comparisons and
constant ``INTERVAL`` additions wrapped in ``CAST(... AS DATE)`` (DuckDB turns
``date + interval`` into a timestamp; Spark may too).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from xinyong.policy.ageing import EXPIRY_ENDS_EVENT
from xinyong.policy.model import Clock, NegativeKind, Profile, RetentionRule

__all__ = ["ITEM_COLUMNS", "ItemColumns", "ages_off_sql", "date_literal"]


@dataclass(frozen=True, slots=True)
class ItemColumns:
    """Column names (or SQL expressions) holding a negative item's facts."""

    kind: str = "negative_kind"
    delinquency_date: str = "delinquency_date"
    event_date: str = "event_date"
    ended_on: str = "ended_on"
    expires_on: str = "expires_on"
    removed_on: str = "removed_on"
    withdrawn: str = "withdrawn"


ITEM_COLUMNS: Final = ItemColumns()
_NULL_DATE: Final = "CAST(NULL AS DATE)"


def date_literal(day: date) -> str:
    """``day`` as a SQL date literal (SQLGlot writes ``CAST('...' AS DATE)`` for Spark)."""
    return f"DATE '{day.isoformat()}'"


def _earliest(a: str, b: str) -> str:
    # LEAST skips NULLs in DuckDB and Spark but not in every engine: spell it out.
    return (
        f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} "
        f"WHEN {a} <= {b} THEN {a} ELSE {b} END"
    )


def _known_by(column: str, as_of: str) -> str:
    return f"CASE WHEN {column} <= {as_of} THEN {column} END"


def _start(kind: NegativeKind, rule: RetentionRule, c: ItemColumns, as_of: str) -> str:
    if rule.clock is Clock.DELINQUENCY:
        return c.delinquency_date
    if rule.clock is Clock.EVENT:
        return c.event_date
    if rule.clock is Clock.END:
        ended = _known_by(c.ended_on, as_of)
        return _earliest(ended, c.expires_on) if kind in EXPIRY_ENDS_EVENT else ended
    return _earliest(c.expires_on, _known_by(c.removed_on, as_of))


def _shift(start: str, rule: RetentionRule) -> str:
    expr = f"({start})"
    if rule.offset_days:
        expr += f" + INTERVAL {rule.offset_days} DAY"
    if rule.period.total_months:
        expr += f" + INTERVAL {rule.period.total_months} MONTH"
    if rule.period.days:
        expr += f" + INTERVAL {rule.period.days} DAY"
    return f"CAST({expr} AS DATE)"


def _rule_sql(kind: NegativeKind, rule: RetentionRule, c: ItemColumns, as_of: str) -> str:
    aged = _shift(_start(kind, rule, c, as_of), rule)
    if not rule.hide_withdrawn:
        return aged
    when = f"COALESCE({c.removed_on}, {c.event_date}, {as_of})"
    return f"CASE WHEN {c.withdrawn} AND {when} <= {as_of} THEN {when} ELSE {aged} END"


def ages_off_sql(
    profile: Profile,
    as_of: date | str,
    columns: ItemColumns = ITEM_COLUMNS,
    kinds: Mapping[NegativeKind, RetentionRule] | None = None,
) -> str:
    """A ``CASE`` expression giving each row's ``ages_off`` date under ``profile``.

    ``as_of`` is a date (rendered as a literal) or a SQL expression. Rows with
    no negative kind (a positive account, a current month) never age off.
    ``kinds`` restricts the branches to some kinds (fewer branches per table).
    """
    at = date_literal(as_of) if isinstance(as_of, date) else as_of
    rules = profile.retention if kinds is None else kinds
    branches = " ".join(
        f"WHEN {columns.kind} = '{kind.value}' THEN {_rule_sql(kind, rule, columns, at)}"
        for kind, rule in rules.items()
    )
    return f"CASE {branches} ELSE {_NULL_DATE} END"
