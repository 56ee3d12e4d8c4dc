"""The dispute state machine over the serving store: forward, answer, close by the deadline.

Every move is a ``transition`` of the domain state machine plus one audit
event, in the caller's transaction (the caller locks the row). What a
jurisdiction decides -- above all what becomes of an item nobody confirmed --
comes from its :class:`~xinyong.policy.DisputeRule`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Connection, insert, select, update

from xinyong.audit import chain
from xinyong.disputes.deadlines import end_of_day
from xinyong.disputes.errors import DeadlinePassed, DisputeRefused
from xinyong.disputes.owed import furnisher_told, owe_results_notice
from xinyong.domain.disputes import Dispute, DisputeStatus, ItemKind, transition
from xinyong.policy import DisputeRule
from xinyong.store import repositories
from xinyong.store.schema import consumer_statements, disputes
from xinyong.store.service_schema import rescore_requests

__all__ = [
    "DEADLINE_ACTOR",
    "OPEN_STATUSES",
    "DeadlinePassed",
    "DisputeRefused",
    "Outcome",
    "answer",
    "as_dispute",
    "audit_step",
    "deadline_resolution",
    "end_of_day",
    "enforce_deadlines",
    "forward",
    "load",
    "request_rescore",
    "unverifiable_status",
]

OPEN_STATUSES: Final = tuple(s.value for s in DisputeStatus if not s.is_final)
DEADLINE_ACTOR: Final = "system:dispute-deadline"


def unverifiable_status(rule: DisputeRule) -> DisputeStatus:
    """How a dispute closes when nobody could confirm its item: deleted, or unconfirmed."""
    return DisputeStatus.UNCONFIRMED if rule.keeps_unverifiable else DisputeStatus.DELETED


def deadline_resolution(rule: DisputeRule) -> str:
    """The resolution text of a dispute closed because nobody answered in time."""
    if rule.keeps_unverifiable:
        return (
            "not confirmed by the deadline: the item stays, with the verification and the "
            f"objection recorded ({rule.unverifiable_basis})"
        )
    return f"not verified by the deadline: the item is suppressed ({rule.unverifiable_basis})"


class Outcome(StrEnum):
    """What the furnisher (or the operator) found: the item is right, wrong, not to be
    kept, or it cannot be verified (what follows from that is the jurisdiction's)."""

    VERIFY = "verify"
    CORRECT = "correct"
    DELETE = "delete"
    UNVERIFIABLE = "unverifiable"

    def status(self, rule: DisputeRule) -> DisputeStatus:
        """The final status this answer gives the dispute under ``rule``."""
        if self is Outcome.UNVERIFIABLE:
            return unverifiable_status(rule)
        return {
            Outcome.VERIFY: DisputeStatus.VERIFIED,
            Outcome.CORRECT: DisputeStatus.CORRECTED,
            Outcome.DELETE: DisputeStatus.DELETED,
        }[self]


def as_dispute(row: Any) -> Dispute:
    """The domain dispute of a ``disputes`` row, to move it with ``transition``."""
    return Dispute(
        dispute_id=row.dispute_id,
        subject_id=row.subject_id,
        item_kind=ItemKind(row.item_kind),
        item_id=row.item_id,
        reason=row.reason,
        opened_at=row.opened_at,
        due_at=row.due_at,
        status=DisputeStatus(row.status),
        resolved_at=row.resolved_at,
        resolution=row.resolution,
    )


def load(conn: Connection, dispute_id: str, *, for_update: bool = False) -> Any:
    """The ``disputes`` row, locked for the transaction with ``for_update``; None if unknown."""
    query = select(disputes).where(disputes.c.dispute_id == dispute_id)
    if for_update:
        query = query.with_for_update()
    return conn.execute(query).first()


def _store(conn: Connection, moved: Dispute, **extra: Any) -> None:
    conn.execute(
        update(disputes)
        .where(disputes.c.dispute_id == moved.dispute_id)
        .values(
            status=moved.status.value,
            resolved_at=moved.resolved_at,
            resolution=moved.resolution,
            **extra,
        )
    )


def audit_step(
    conn: Connection, row: Any, action: str, actor: str, now: datetime, payload: dict[str, Any]
) -> None:
    """The audit event of one step of the dispute ``row`` (no subject data in ``payload``)."""
    chain.append(
        conn,
        actor=actor,
        action=action,
        subject_id=row.subject_id,
        reason=f"dispute of {row.item_kind}",
        payload={"dispute_id": row.dispute_id, **payload},
        at=now,
    )


def forward(
    conn: Connection, dispute: Dispute, furnisher_id: str | None, now: datetime, actor: str
) -> Dispute:
    """Tell the furnisher (or, with None, the operator) about an open dispute, now; a
    notification owed to the furnisher (:func:`~xinyong.disputes.owed.owe_furnisher_notice`)
    is thereby sent."""
    moved = transition(dispute, DisputeStatus.FORWARDED, now)
    _store(conn, moved, furnisher_id=furnisher_id, forwarded_at=now)
    chain.append(
        conn,
        actor=actor,
        action="dispute.forwarded",
        subject_id=dispute.subject_id,
        reason=f"dispute of {dispute.item_kind.value}",
        payload={
            "dispute_id": dispute.dispute_id,
            "furnisher_id": furnisher_id,
            "to": "furnisher" if furnisher_id else "operator",
        },
        at=now,
    )
    if furnisher_id is not None:
        # The forwarding is the notification FCRA 611(a)(2)(A) asks for: the notice owed
        # since the filing is sent now, by this step, not by a second action.
        furnisher_told(conn, dispute.dispute_id, now, actor)
    return moved


def request_rescore(
    conn: Connection,
    subject_id: str,
    *,
    dispute_id: str | None,
    reason: str,
    now: datetime,
    actor: str,
) -> str:
    """Queue the subject for rescoring (``rescore_requests``) with its audit event; the id.

    The batch pipeline consumes the queue (``done_at IS NULL``, oldest first);
    until it does, the subject's served score predates the change.
    """
    request_id = repositories.new_id()
    conn.execute(
        insert(rescore_requests).values(
            request_id=request_id,
            subject_id=subject_id,
            dispute_id=dispute_id,
            reason=reason,
            requested_at=now,
            done_at=None,
        )
    )
    chain.append(
        conn,
        actor=actor,
        action="rescore.requested",
        subject_id=subject_id,
        reason=reason,
        payload={"request_id": request_id, "dispute_id": dispute_id},
        at=now,
    )
    return request_id


def _record_objection(
    conn: Connection, row: Any, now: datetime, actor: str, rule: DisputeRule
) -> str:
    """CN art. 25: keep the item and record the verification and the subject's objection
    beside it, as a statement (what both copies of the report show with the item)."""
    statement_id = repositories.new_id()
    kind = row.item_kind if row.item_id is not None else None
    text = (
        f"Objection of the subject, received {row.opened_at:%Y-%m-%d}: {row.reason} "
        f"-- Verification: the item could not be confirmed by {now:%Y-%m-%d}; it is kept "
        f"with this objection ({rule.unverifiable_basis})."
    )
    conn.execute(
        insert(consumer_statements).values(
            statement_id=statement_id,
            subject_id=row.subject_id,
            item_kind=kind,
            item_id=row.item_id,
            text=text,
            created_at=now,
            withdrawn_at=None,
        )
    )
    audit_step(conn, row, "dispute.objection_recorded", actor, now, {"statement_id": statement_id})
    return statement_id


def _close(
    conn: Connection,
    row: Any,
    status: DisputeStatus,
    now: datetime,
    actor: str,
    rule: DisputeRule,
    *,
    resolution: str,
    action: str,
    correction_batch_id: str | None = None,
) -> Dispute:
    moved = transition(as_dispute(row), status, now, resolution=resolution)
    _store(conn, moved, correction_batch_id=correction_batch_id)
    audit_step(
        conn,
        row,
        action,
        actor,
        now,
        {
            "item_kind": row.item_kind,
            "item_id": row.item_id,
            "status": status.value,
            "correction_batch_id": correction_batch_id,
            "late": now > row.due_at,
        },
    )
    owe_results_notice(conn, row, status, resolution, rule, now, actor)
    if status is DisputeStatus.UNCONFIRMED:
        _record_objection(conn, row, now, actor, rule)
    if status in (DisputeStatus.CORRECTED, DisputeStatus.DELETED):
        request_rescore(
            conn,
            row.subject_id,
            dispute_id=row.dispute_id,
            reason=f"dispute {status.value}",
            now=now,
            actor=actor,
        )
    return moved


_RESOLUTIONS: Final = {
    DisputeStatus.VERIFIED: "verified as reported by the furnisher",
    DisputeStatus.CORRECTED: "corrected by the furnisher: a new record supersedes the disputed one",
    DisputeStatus.DELETED: "deleted by the furnisher",
}


def answer(
    conn: Connection,
    row: Any,
    outcome: Outcome,
    now: datetime,
    actor: str,
    rule: DisputeRule,
    *,
    note: str | None = None,
    correction_batch_id: str | None = None,
) -> Dispute:
    """Record the furnisher's (or operator's) answer to the dispute ``row`` (locked by the caller).

    ``unverifiable`` closes it as ``rule`` says (deleted, or unconfirmed with the
    objection recorded). Raises :class:`DeadlinePassed` after ``due_at`` (the
    caller should first :func:`enforce_deadlines`), and ``DomainError``
    (``illegal_transition``) if the dispute is already closed. A correction or a
    deletion queues the subject for rescoring.
    """
    if now > row.due_at and not DisputeStatus(row.status).is_final:
        raise DeadlinePassed(row.dispute_id)
    status = outcome.status(rule)
    if outcome is Outcome.UNVERIFIABLE:
        kept = "kept with the objection recorded" if rule.keeps_unverifiable else "deleted"
        resolution = f"the item could not be verified: {kept} ({rule.unverifiable_basis})"
    else:
        resolution = _RESOLUTIONS[status]
    if note:
        resolution = f"{resolution}; {note}"
    return _close(
        conn,
        row,
        status,
        now,
        actor,
        rule,
        resolution=resolution,
        action=f"dispute.{status.value}",
        correction_batch_id=correction_batch_id,
    )


def enforce_deadlines(
    conn: Connection,
    now: datetime,
    rule: DisputeRule,
    *,
    actor: str = DEADLINE_ACTOR,
    dispute_id: str | None = None,
) -> list[str]:
    """Close every dispute still unanswered after its deadline, as ``rule`` says.

    Deleted (``dispute.suppressed``, a rescore request) or, where the rule keeps
    what nobody confirmed, unconfirmed (``dispute.unconfirmed``, the objection
    recorded). The ids closed, in deadline order. ``dispute_id`` limits it to
    one dispute. Idempotent: a closed dispute is never touched again.
    """
    query = (
        select(disputes)
        .where(disputes.c.status.in_(OPEN_STATUSES), disputes.c.due_at < now)
        .order_by(disputes.c.due_at, disputes.c.dispute_id)
        .with_for_update()
    )
    if dispute_id is not None:
        query = query.where(disputes.c.dispute_id == dispute_id)
    status = unverifiable_status(rule)
    action = "dispute.unconfirmed" if rule.keeps_unverifiable else "dispute.suppressed"
    closed = []
    for row in conn.execute(query).all():
        if DisputeStatus(row.status) is DisputeStatus.OPEN:
            # Never forwarded (a store from before migration 0004): forward, then close.
            forward(conn, as_dispute(row), row.furnisher_id, now, actor)
            row = load(conn, row.dispute_id)
        _close(
            conn,
            row,
            status,
            now,
            actor,
            rule,
            resolution=deadline_resolution(rule),
            action=action,
        )
        closed.append(row.dispute_id)
    return closed
