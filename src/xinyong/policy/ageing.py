"""Ageing: the date a negative item stops being shown, as a pure function.

Aged-off items are not shown and not scored, but they stay in the ledger for
audit: ageing hides, it never deletes. The files step computes the same dates
in SQL (:func:`xinyong.policy.sql.ages_off_sql`, rendered from the same
profile data); a test holds the two to the day.

What the facts of an item mean (``docs/retention.md`` has the full table):

* ``delinquency_date`` — the date of first delinquency (Metro 2 DOFD) of an
  account's current delinquency;
* ``event_date`` — the order, entry, decision or listing date of a public
  record; for a late month of payment history, the first day of that month;
* ``ended_on`` — the day the negative behaviour or event *ended*: the overdue
  amount repaid or the account paid or settled, the judgment satisfied, the
  tax paid, the listing removed, the bankruptcy closed. ``None`` while it
  continues. An end recorded after ``as_of`` is not yet a fact;
* ``expires_on`` — the term the source register announced for the item (a
  dishonest-debtor listing's two years, a penalty's publicity period);
* ``removed_on`` — the day the source register removed or withdrew it;
* ``withdrawn`` — the authority revoked the act (not merely ended it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from xinyong.policy.model import Clock, NegativeKind, Profile, RetentionRule, add_period

__all__ = ["EXPIRY_ENDS_EVENT", "NegativeItem", "ages_off", "clock_start", "is_shown"]

EXPIRY_ENDS_EVENT: Final = frozenset(
    {
        NegativeKind.ADMINISTRATIVE_PENALTY,
        NegativeKind.ABNORMAL_OPERATIONS_LISTING,
        NegativeKind.SERIOUS_VIOLATION_LISTING,
        NegativeKind.DISHONEST_JUDGMENT_DEBTOR,
    }
)
"""Kinds whose announced term ends the event: a listing ends when its term
runs out even if no removal is recorded (SPC 2017 art. 10: deleted within three
working days after the term), and a penalty's publicity ends with its period
(SAMR Decree 45 art. 13). A judgment, a tax debt or a bankruptcy ends only
when satisfied, paid or closed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NegativeItem:
    """The facts of one negative item that retention rules look at."""

    kind: NegativeKind
    delinquency_date: date | None = None
    event_date: date | None = None
    ended_on: date | None = None
    expires_on: date | None = None
    removed_on: date | None = None
    withdrawn: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", NegativeKind(self.kind))


def clock_start(item: NegativeItem, clock: Clock, as_of: date) -> date | None:
    """The date ``clock`` starts for ``item`` as known on ``as_of``; ``None`` if it has not."""
    if clock is Clock.DELINQUENCY:
        return item.delinquency_date
    if clock is Clock.EVENT:
        return item.event_date
    if clock is Clock.END:
        ended = item.ended_on if item.ended_on is not None and item.ended_on <= as_of else None
        if item.kind in EXPIRY_ENDS_EVENT:
            return _earliest(ended, item.expires_on)
        return ended
    removed = item.removed_on if item.removed_on is not None and item.removed_on <= as_of else None
    return _earliest(item.expires_on, removed)


def ages_off(item: NegativeItem, as_of: date, profile: Profile) -> date | None:
    """The first day ``item`` is no longer shown under ``profile``; ``None`` if never.

    The item is shown on every day before that date (the period runs
    ``[start, start + period)``): on the day itself it antedates the file by
    the full period, which is when FCRA 605 and CN art. 16 take it out.
    """
    rule: RetentionRule = profile.rule(item.kind)
    if item.withdrawn and rule.hide_withdrawn:
        when = item.removed_on or item.event_date or as_of
        if when <= as_of:
            return when
    start = clock_start(item, rule.clock, as_of)
    if start is None:
        return None
    return add_period(start + timedelta(days=rule.offset_days), rule.period)


def is_shown(item: NegativeItem, as_of: date, profile: Profile) -> bool:
    """Whether ``item`` is part of what is shown and scored on ``as_of``."""
    off = ages_off(item, as_of, profile)
    return off is None or as_of < off


def _earliest(a: date | None, b: date | None) -> date | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
