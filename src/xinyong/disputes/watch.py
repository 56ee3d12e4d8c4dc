"""The deadline watch: breaches for the operator and the deployment's CLI entries.

A breach is a dispute unanswered after its deadline or answered after it, or
a notice owed about the dispute (an extension, a reinsertion, the furnisher's
notification, the results) not sent by its deadline or sent late.
``xinyong disputes overdue`` and ``enforce`` call :func:`overdue_in_deployment`
and :func:`enforce_deployment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from xinyong.disputes.notices import overdue_notices
from xinyong.disputes.workflow import OPEN_STATUSES, enforce_deadlines
from xinyong.settings import Settings
from xinyong.store.schema import disputes

__all__ = ["OverdueDispute", "enforce_deployment", "overdue_disputes", "overdue_in_deployment"]


@dataclass(frozen=True, slots=True)
class OverdueDispute:
    """One breach of a deadline (no subject id: it is printed and logged).

    ``breach``: ``unanswered`` (open after ``due_at``), ``answered_late``,
    ``notice_unsent`` or ``notice_late`` (a notice owed about the dispute, its
    ``notice_id`` given; ``status`` is then ``<kind>_notice`` and ``resolved_at``
    when it was sent).
    """

    dispute_id: str
    item_kind: str
    item_id: str | None
    furnisher_id: str | None
    status: str
    opened_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    breach: str = "unanswered"
    notice_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "dispute_id": self.dispute_id,
            "item_kind": self.item_kind,
            "item_id": self.item_id,
            "furnisher_id": self.furnisher_id,
            "status": self.status,
            "opened_at": self.opened_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "resolved_at": self.resolved_at.isoformat() if self.resolved_at else None,
            "breach": self.breach,
            "notice_id": self.notice_id,
        }


def overdue_disputes(conn: Connection, now: datetime) -> list[OverdueDispute]:
    """Deadline breaches at ``now``: disputes unanswered after ``due_at`` or answered after
    it, then notices owed to the subject and not sent by their deadline, or sent late."""
    rows = conn.execute(
        select(disputes)
        .where(
            or_(
                and_(disputes.c.status.in_(OPEN_STATUSES), disputes.c.due_at < now),
                disputes.c.resolved_at > disputes.c.due_at,
            )
        )
        .order_by(disputes.c.due_at, disputes.c.dispute_id)
    )
    breaches = [
        OverdueDispute(
            dispute_id=r.dispute_id,
            item_kind=r.item_kind,
            item_id=r.item_id,
            furnisher_id=r.furnisher_id,
            status=r.status,
            opened_at=r.opened_at,
            due_at=r.due_at,
            resolved_at=r.resolved_at,
            breach="unanswered" if r.resolved_at is None else "answered_late",
        )
        for r in rows
    ]
    for n in overdue_notices(conn, now):
        breaches.append(
            OverdueDispute(
                dispute_id=n.dispute_id,
                item_kind=n.item_kind,
                item_id=n.item_id,
                furnisher_id=n.furnisher_id,
                status=f"{n.kind}_notice",
                opened_at=n.created_at,
                due_at=n.due_at,
                resolved_at=n.sent_at,
                breach="notice_unsent" if n.sent_at is None else "notice_late",
                notice_id=n.notice_id,
            )
        )
    return breaches


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else now


def overdue_in_deployment(settings: Settings, now: datetime | None = None) -> list[OverdueDispute]:
    """:func:`overdue_disputes` on the deployment's store (``xinyong disputes overdue``)."""
    from xinyong.system import open_system  # the CLI's entry; keeps this module light

    system = open_system(settings)
    try:
        with system.engine.connect() as conn:
            return overdue_disputes(conn, _now(now))
    finally:
        system.engine.dispose()


def enforce_deployment(settings: Settings, now: datetime | None = None) -> list[str]:
    """:func:`enforce_deadlines` on the deployment's store under its profile, as the CLI."""
    from xinyong.policy import get_profile
    from xinyong.store.engine import transaction
    from xinyong.system import open_system

    rule = get_profile(settings.jurisdiction).dispute
    system = open_system(settings)
    try:
        with transaction(system.engine) as conn:
            return enforce_deadlines(conn, _now(now), rule, actor="operator:cli")
    finally:
        system.engine.dispose()
