"""Steps of a dispute besides the answer: more information, an extension, reinsertion.

* The subject may send further information about an open dispute; it is
  passed on to whoever answers (FCRA 611(a)(2)(B)) and, where the rule says so
  (FCRA 611(a)(1)(B)), extends the deadline once. A closed dispute takes none:
  an item already found inaccurate or unverifiable is never extended (C).
* The operator may extend a complex request once, before the first deadline,
  where the rule allows it (GDPR art. 12(3)); the subject is owed a notice of it
  by the first deadline.
* A deleted (or suppressed) item comes back only on its furnisher's
  certification that it is complete and accurate, with a written notice to the
  subject (FCRA 611(a)(5)(B)); where the rule wants the subject told first (GDPR
  art. 18(3)), only when that notice is sent.

Each function works in the caller's transaction on a row the caller locked,
and writes its audit events; refusals are :class:`DisputeRefused` with a code
naming the rule.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, update

from xinyong.disputes.notices import create_notice, mark_sent
from xinyong.disputes.owed import item_phrase
from xinyong.disputes.workflow import (
    DeadlinePassed,
    DisputeRefused,
    audit_step,
    end_of_day,
    load,
    request_rescore,
)
from xinyong.domain.disputes import DisputeStatus
from xinyong.policy import DisputeRule, ExtensionTrigger
from xinyong.store import repositories
from xinyong.store.dispute_schema import dispute_information
from xinyong.store.schema import disputes

__all__ = ["add_information", "certify_reinsertion", "extend", "send_notice"]


def _item(row: Any) -> str:
    return item_phrase(row.item_kind)


def _still_open(row: Any, now: datetime) -> None:
    if DisputeStatus(row.status).is_final:
        raise DisputeRefused(
            "dispute_closed", f"status: rule open: the dispute is already {row.status}"
        )
    if now > row.due_at:
        raise DeadlinePassed(row.dispute_id)


def _extend(
    conn: Connection, row: Any, now: datetime, actor: str, rule: DisputeRule, reason: str
) -> datetime:
    """Move the deadline to the extended one (counted from receipt); the new ``due_at``."""
    first_due = row.due_at
    due_at = end_of_day(rule.due(row.opened_at.astimezone(UTC).date(), extended=True))
    conn.execute(
        update(disputes)
        .where(disputes.c.dispute_id == row.dispute_id)
        .values(due_at=due_at, first_due_at=first_due, extended_at=now, extension_reason=reason)
    )
    audit_step(
        conn,
        row,
        "dispute.extended",
        actor,
        now,
        {"first_due_at": first_due, "due_at": due_at, "trigger": str(rule.extension_trigger)},
    )
    if rule.tell_extension:
        text = (
            f"Your dispute received on {row.opened_at:%Y-%m-%d} about {_item(row)} needs more "
            f"time: {reason}. It will be answered by {due_at:%Y-%m-%d} instead of "
            f"{first_due:%Y-%m-%d} ({rule.basis})."
        )
        create_notice(conn, row, "extension", text, due_at=first_due, now=now, actor=actor)
    return due_at


def add_information(
    conn: Connection, row: Any, text: str, now: datetime, actor: str, rule: DisputeRule
) -> str:
    """Record what the subject adds to its open dispute ``row``, passed on at once to whoever
    answers it; extends the deadline once where the rule says so. The information's id.

    Raises :class:`DisputeRefused` (``dispute_closed``) for a closed dispute and
    :class:`DeadlinePassed` after the deadline.
    """
    _still_open(row, now)
    info_id = repositories.new_id()
    conn.execute(
        insert(dispute_information).values(
            info_id=info_id, dispute_id=row.dispute_id, received_at=now, text=text
        )
    )
    to = "furnisher" if row.furnisher_id else "operator"
    audit_step(conn, row, "dispute.information", actor, now, {"info_id": info_id, "to": to})
    if rule.extends_on(ExtensionTrigger.SUBJECT_INFORMATION) and row.extended_at is None:
        _extend(conn, row, now, actor, rule, "you sent further information during the period")
    return info_id


def extend(
    conn: Connection, row: Any, reason: str, now: datetime, actor: str, rule: DisputeRule
) -> datetime:
    """The operator extends a complex dispute once, within its first period; the new deadline.

    Refused (:class:`DisputeRefused`) where the rule has no such extension
    (``extension_not_allowed``), for a closed dispute, an extended one
    (``already_extended``), and after the first deadline (``extension_too_late``).
    """
    if not rule.extends_on(ExtensionTrigger.COMPLEX_REQUEST):
        raise DisputeRefused(
            "extension_not_allowed",
            f"due_at: rule extension: the operator cannot extend a dispute here ({rule.basis})",
        )
    try:
        _still_open(row, now)
    except DeadlinePassed:
        raise DisputeRefused(
            "extension_too_late",
            f"due_at: rule first_period: an extension is decided within the first period, "
            f"which ended {row.due_at:%Y-%m-%d} ({rule.basis})",
        ) from None
    if row.extended_at is not None:
        raise DisputeRefused(
            "already_extended",
            f"due_at: rule once: the dispute was extended {row.extended_at:%Y-%m-%d}",
        )
    return _extend(conn, row, now, actor, rule, reason)


def _reinsert(conn: Connection, row: Any, now: datetime, actor: str) -> None:
    conn.execute(
        update(disputes).where(disputes.c.dispute_id == row.dispute_id).values(reinserted_at=now)
    )
    item = {"item_kind": row.item_kind, "item_id": row.item_id}
    audit_step(conn, row, "dispute.reinserted", actor, now, item)
    request_rescore(
        conn,
        row.subject_id,
        dispute_id=row.dispute_id,
        reason="dispute item reinserted",
        now=now,
        actor=actor,
    )


def certify_reinsertion(
    conn: Connection,
    row: Any,
    certification: str,
    now: datetime,
    actor: str,
    rule: DisputeRule,
) -> str:
    """The furnisher certifies the item of the deleted dispute ``row`` complete and accurate:
    the item comes back (at once, or once the subject is told where the rule wants that
    first) and the subject is owed a written notice. The notice's id.

    Refused (:class:`DisputeRefused`) where the rule provides no reinsertion
    (``reinsertion_not_provided``), for a dispute not closed as deleted
    (``not_deleted``), and a second time (``already_certified``).
    """
    reinsertion = rule.reinsertion
    if reinsertion is None:
        raise DisputeRefused(
            "reinsertion_not_provided",
            "status: rule reinsertion: an item deleted after a dispute stays deleted in this "
            "jurisdiction",
        )
    if row.status != DisputeStatus.DELETED.value:
        raise DisputeRefused(
            "not_deleted",
            f"status: rule deleted_first: only an item deleted after a dispute is reinserted; "
            f"this dispute is {row.status}",
        )
    if row.reinsertion_certified_at is not None:
        raise DisputeRefused(
            "already_certified",
            f"reinsertion: rule once: certified {row.reinsertion_certified_at:%Y-%m-%d}",
        )
    conn.execute(
        update(disputes)
        .where(disputes.c.dispute_id == row.dispute_id)
        .values(reinsertion_certified_at=now, reinsertion_certification=certification)
    )
    by = {"furnisher_id": row.furnisher_id}
    audit_step(conn, row, "dispute.reinsertion_certified", actor, now, by)
    org = repositories.get_organisation(conn, row.furnisher_id) if row.furnisher_id else None
    who = f"{org['name']} ({row.furnisher_id})" if org else "its furnisher"
    when = "once this notice is sent" if reinsertion.notice_first else "now"
    text = (
        f"{_item(row).capitalize()} deleted after your dispute received on "
        f"{row.opened_at:%Y-%m-%d} comes back into your file {when}: its furnisher, {who}, "
        f"certified on {now:%Y-%m-%d} that it is complete and accurate. You may ask how this "
        "was determined, including the furnisher's address and telephone number, and you may "
        f"add a statement to the item ({reinsertion.basis})."
    )
    due_at = end_of_day(rule.reinsertion_notice_due(now.astimezone(UTC).date()))
    notice_id = create_notice(conn, row, "reinsertion", text, due_at=due_at, now=now, actor=actor)
    if not reinsertion.notice_first:
        _reinsert(conn, row, now, actor)
    return notice_id


def send_notice(
    conn: Connection, notice: Any, now: datetime, actor: str, rule: DisputeRule
) -> None:
    """Record that ``notice`` (locked by the caller) was sent; a reinsertion that waited for
    the subject to be told (GDPR art. 18(3)) takes effect now."""
    mark_sent(conn, notice, now, actor)
    if notice.kind != "reinsertion" or rule.reinsertion is None:
        return
    row = load(conn, notice.dispute_id, for_update=True)
    if row.reinserted_at is None and row.reinsertion_certified_at is not None:
        _reinsert(conn, row, now, actor)
