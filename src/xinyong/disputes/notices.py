"""Written notices the bureau owes about a subject's dispute, each with a deadline.

An extension under GDPR art. 12(3) must be told to the subject within the first
month; a reinsertion under FCRA 611(a)(5)(B) within 5 business days (GDPR art.
18(3): before the restriction is lifted); the furnisher must be told of the
dispute within 5 business days of receipt (FCRA 611(a)(2)(A)) and the results
given to the subject within 5 business days after completion ((a)(6)(A)); the
texts of the last two are in :mod:`.owed`; a dispute terminated as frivolous or
irrelevant owes a notice of the reasons ((a)(3), :mod:`.termination`). A notice is
a row created with its deadline, shown to the subject in its portal at once; the
operator records when it went out in writing (``sent_at``), or the step that is the
notice records it (the forwarding of a dispute to its furnisher). One not sent by
its deadline, or sent after it, is a breach in the operator's overdue list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, and_, insert, or_, select, update

from xinyong.audit import chain
from xinyong.disputes.errors import DisputeRefused
from xinyong.store import repositories
from xinyong.store.dispute_schema import dispute_notices
from xinyong.store.schema import disputes

__all__ = [
    "create_notice",
    "load_notice",
    "mark_kind_sent",
    "mark_sent",
    "notices",
    "overdue_notices",
    "subject_notices",
]

_WITH_DISPUTE: Final = select(
    dispute_notices,
    disputes.c.item_kind,
    disputes.c.item_id,
    disputes.c.furnisher_id,
).join(disputes, disputes.c.dispute_id == dispute_notices.c.dispute_id)
_ORDER: Final = (dispute_notices.c.due_at, dispute_notices.c.notice_id)


def create_notice(
    conn: Connection,
    dispute: Any,
    kind: str,
    text: str,
    *,
    due_at: datetime,
    now: datetime,
    actor: str,
) -> str:
    """Owe the subject of ``dispute`` (a ``disputes`` row) a written notice by ``due_at``."""
    notice_id = repositories.new_id()
    conn.execute(
        insert(dispute_notices).values(
            notice_id=notice_id,
            dispute_id=dispute.dispute_id,
            subject_id=dispute.subject_id,
            kind=kind,
            text=text,
            created_at=now,
            due_at=due_at,
            sent_at=None,
        )
    )
    chain.append(
        conn,
        actor=actor,
        action="notice.created",
        subject_id=dispute.subject_id,
        reason=f"{kind} notice",
        payload={"notice_id": notice_id, "dispute_id": dispute.dispute_id, "due_at": due_at},
        at=now,
    )
    return notice_id


def load_notice(conn: Connection, notice_id: str, *, for_update: bool = False) -> Any:
    """The notice with its dispute's item and furnisher; None if unknown."""
    query = _WITH_DISPUTE.where(dispute_notices.c.notice_id == notice_id)
    if for_update:
        query = query.with_for_update(of=dispute_notices)
    return conn.execute(query).first()


def mark_sent(conn: Connection, notice: Any, now: datetime, actor: str) -> None:
    """Record that ``notice`` (locked by the caller) went out to the subject in writing now."""
    if notice.sent_at is not None:
        raise DisputeRefused(
            "notice_already_sent",
            f"sent_at: rule once: the notice was sent {notice.sent_at:%Y-%m-%d}",
        )
    conn.execute(
        update(dispute_notices)
        .where(dispute_notices.c.notice_id == notice.notice_id)
        .values(sent_at=now)
    )
    chain.append(
        conn,
        actor=actor,
        action="notice.sent",
        subject_id=notice.subject_id,
        reason=f"{notice.kind} notice",
        payload={
            "notice_id": notice.notice_id,
            "dispute_id": notice.dispute_id,
            "late": now > notice.due_at,
        },
        at=now,
    )


def mark_kind_sent(
    conn: Connection, dispute_id: str, kind: str, now: datetime, actor: str
) -> list[str]:
    """Record that every pending ``kind`` notice of the dispute went out now (a step that is
    itself the notice, such as forwarding the dispute); the ids marked."""
    pending = conn.execute(
        _WITH_DISPUTE.where(
            dispute_notices.c.dispute_id == dispute_id,
            dispute_notices.c.kind == kind,
            dispute_notices.c.sent_at.is_(None),
        )
        .order_by(*_ORDER)
        .with_for_update(of=dispute_notices)
    ).all()
    for notice in pending:
        mark_sent(conn, notice, now, actor)
    return [n.notice_id for n in pending]


def notices(conn: Connection, *, pending_only: bool) -> list[Any]:
    """Every notice by deadline (only those not sent yet with ``pending_only``)."""
    query = _WITH_DISPUTE.order_by(*_ORDER)
    if pending_only:
        query = query.where(dispute_notices.c.sent_at.is_(None))
    return list(conn.execute(query).all())


def subject_notices(conn: Connection, subject_id: str) -> list[Any]:
    """The notices owed to ``subject_id``, sent or not, by deadline."""
    query = _WITH_DISPUTE.where(dispute_notices.c.subject_id == subject_id).order_by(*_ORDER)
    return list(conn.execute(query).all())


def overdue_notices(conn: Connection, now: datetime) -> list[Any]:
    """Notices not sent by their deadline at ``now``, or sent after it."""
    late = or_(
        and_(dispute_notices.c.sent_at.is_(None), dispute_notices.c.due_at < now),
        dispute_notices.c.sent_at > dispute_notices.c.due_at,
    )
    return list(conn.execute(_WITH_DISPUTE.where(late).order_by(*_ORDER)).all())
