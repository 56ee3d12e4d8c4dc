"""The dispute workflow over the serving store: forward, answer, enforce deadlines, suppress.

A subject's dispute (FCRA 611, 征信业管理条例 art. 25, GDPR art. 16) is
forwarded at once to the furnisher of the disputed item (``disputes.furnisher_id``;
NULL for identity and inquiry disputes, which the operator answers). The
furnisher verifies, corrects or deletes before ``due_at``, which the
jurisdiction profile set when the dispute was opened. Every move is a
``transition`` of the domain state machine plus one audit event, in the
caller's transaction.

What the rest of the system reads:

* :func:`suppressed_items` -- item ids that must not be shown or scored at
  ``now``: items the furnisher deleted, and items whose dispute is past its
  deadline without an answer (FCRA 611(a)(5)(A): unverifiable information is
  deleted). It is a pure function of the ``disputes`` table and ``now``, so the
  suppression holds from the first second after the deadline whether or not
  :func:`enforce_deadlines` has run yet. A corrected item is not suppressed: the
  correction is a new ledger record that supersedes the old one.
* :func:`overdue_disputes` -- the breaches: disputes still unanswered after their
  deadline, and disputes closed after it (by :func:`enforce_deadlines` or late).
* ``rescore_requests`` rows -- subjects whose file a correction or a deletion
  changed, for the batch pipeline to rescore (:func:`request_rescore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Connection, and_, insert, or_, select, update

from xinyong.audit import chain
from xinyong.domain.disputes import Dispute, DisputeStatus, ItemKind, transition
from xinyong.settings import Settings
from xinyong.store import repositories
from xinyong.store.files_schema import file_account_items, file_public_record_items
from xinyong.store.schema import accounts, disputes, public_records
from xinyong.store.service_schema import rescore_requests

__all__ = [
    "DEADLINE_ACTOR",
    "OPEN_STATUSES",
    "DeadlinePassed",
    "ItemRef",
    "Outcome",
    "OverdueDispute",
    "answer",
    "enforce_deadlines",
    "find_item",
    "forward",
    "item_furnisher",
    "load",
    "overdue_disputes",
    "overdue_in_deployment",
    "request_rescore",
    "suppressed_items",
]

OPEN_STATUSES: Final = tuple(s.value for s in DisputeStatus if not s.is_final)
DEADLINE_ACTOR: Final = "system:dispute-deadline"
#: The resolution text of a dispute closed because nobody answered in time.
DEADLINE_RESOLUTION: Final = "not verified by the deadline: the item is suppressed"


class Outcome(StrEnum):
    """What the furnisher (or the operator) found: the item is right, wrong, or not to be kept."""

    VERIFY = "verify"
    CORRECT = "correct"
    DELETE = "delete"

    @property
    def status(self) -> DisputeStatus:
        return {
            Outcome.VERIFY: DisputeStatus.VERIFIED,
            Outcome.CORRECT: DisputeStatus.CORRECTED,
            Outcome.DELETE: DisputeStatus.DELETED,
        }[self]

    @property
    def changes_file(self) -> bool:
        """A correction or a deletion changes the file, so the subject is rescored."""
        return self is not Outcome.VERIFY


class DeadlinePassed(Exception):
    """An answer came after ``due_at``: the item is already suppressed and the dispute closed."""


@dataclass(frozen=True, slots=True)
class OverdueDispute:
    """One breach of a dispute deadline (no subject id: it is printed and logged)."""

    dispute_id: str
    item_kind: str
    item_id: str | None
    furnisher_id: str | None
    status: str
    opened_at: datetime
    due_at: datetime
    resolved_at: datetime | None

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
        }


@dataclass(frozen=True, slots=True)
class ItemRef:
    """Where a furnished item lives: its subject, its furnisher and its ledger provenance."""

    subject_id: str
    furnisher_id: str
    batch_id: str | None
    record_no: int | None


def find_item(conn: Connection, kind: ItemKind | str, item_id: str | None) -> ItemRef | None:
    """The account or public record ``item_id``: a published file item (``file_*_items``,
    the report's ids) or a serving-store row (``accounts``, ``public_records``); else None."""
    if item_id is None:
        return None
    kind = ItemKind(kind)
    if kind is ItemKind.ACCOUNT:
        sources = (
            (file_account_items, file_account_items.c.item_id),
            (accounts, accounts.c.account_id),
        )
    elif kind is ItemKind.PUBLIC_RECORD:
        sources = (
            (file_public_record_items, file_public_record_items.c.item_id),
            (public_records, public_records.c.record_id),
        )
    else:
        return None
    for table, key in sources:
        found = conn.execute(
            select(table.c.subject_id, table.c.furnisher_id, table.c.batch_id, table.c.record_no)
            .where(key == item_id)
            .limit(1)
        ).first()
        if found is not None and found.subject_id is not None:
            return ItemRef(found.subject_id, found.furnisher_id, found.batch_id, found.record_no)
    return None


def item_furnisher(conn: Connection, kind: ItemKind, item_id: str | None) -> str | None:
    """Who furnished the item (and must answer a dispute about it); None for the rest."""
    ref = find_item(conn, kind, item_id)
    return None if ref is None else ref.furnisher_id


def _domain(row: Any) -> Dispute:
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


def forward(
    conn: Connection, dispute: Dispute, furnisher_id: str | None, now: datetime, actor: str
) -> Dispute:
    """Tell the furnisher (or, with None, the operator) about an open dispute, now."""
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


def _close(
    conn: Connection,
    row: Any,
    status: DisputeStatus,
    now: datetime,
    actor: str,
    *,
    resolution: str,
    action: str,
    correction_batch_id: str | None = None,
) -> Dispute:
    moved = transition(_domain(row), status, now, resolution=resolution)
    _store(conn, moved, correction_batch_id=correction_batch_id)
    chain.append(
        conn,
        actor=actor,
        action=action,
        subject_id=row.subject_id,
        reason=f"dispute of {row.item_kind}",
        payload={
            "dispute_id": row.dispute_id,
            "item_kind": row.item_kind,
            "item_id": row.item_id,
            "status": status.value,
            "correction_batch_id": correction_batch_id,
            "late": now > row.due_at,
        },
        at=now,
    )
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


def answer(
    conn: Connection,
    row: Any,
    outcome: Outcome,
    now: datetime,
    actor: str,
    *,
    note: str | None = None,
    correction_batch_id: str | None = None,
) -> Dispute:
    """Record the furnisher's (or operator's) answer to the dispute ``row`` (locked by the caller).

    Raises :class:`DeadlinePassed` after ``due_at`` (the caller should first
    :func:`enforce_deadlines`, so the dispute is closed as suppressed), and
    ``DomainError`` (``illegal_transition``) if the dispute is already closed.
    A correction or a deletion queues the subject for rescoring.
    """
    if now > row.due_at and not DisputeStatus(row.status).is_final:
        raise DeadlinePassed(row.dispute_id)
    resolution = {
        Outcome.VERIFY: "verified as reported by the furnisher",
        Outcome.CORRECT: "corrected by the furnisher: a new record supersedes the disputed one",
        Outcome.DELETE: "deleted by the furnisher",
    }[outcome]
    if note:
        resolution = f"{resolution}; {note}"
    return _close(
        conn,
        row,
        outcome.status,
        now,
        actor,
        resolution=resolution,
        action=f"dispute.{outcome.status.value}",
        correction_batch_id=correction_batch_id,
    )


def enforce_deadlines(
    conn: Connection, now: datetime, *, actor: str = DEADLINE_ACTOR, dispute_id: str | None = None
) -> list[str]:
    """Close every dispute still unanswered after its deadline as deleted (suppressed).

    One ``dispute.suppressed`` audit event and one rescore request each; the
    ids closed, in deadline order. ``dispute_id`` limits it to one dispute.
    Idempotent: a closed dispute is never touched again.
    """
    query = (
        select(disputes)
        .where(disputes.c.status.in_(OPEN_STATUSES), disputes.c.due_at < now)
        .order_by(disputes.c.due_at, disputes.c.dispute_id)
        .with_for_update()
    )
    if dispute_id is not None:
        query = query.where(disputes.c.dispute_id == dispute_id)
    closed = []
    for row in conn.execute(query).all():
        if DisputeStatus(row.status) is DisputeStatus.OPEN:
            # Never forwarded (a store from before migration 0004): forward, then close.
            forward(conn, _domain(row), row.furnisher_id, now, actor)
            row = load(conn, row.dispute_id)
        _close(
            conn,
            row,
            DisputeStatus.DELETED,
            now,
            actor,
            resolution=DEADLINE_RESOLUTION,
            action="dispute.suppressed",
        )
        closed.append(row.dispute_id)
    return closed


def suppressed_items(conn: Connection, now: datetime) -> set[str]:
    """Item ids (accounts, public records, inquiries) not to show or score at ``now``.

    Deleted after a dispute, or disputed and still unanswered after the
    deadline. Read by the report builder and the batch pipeline; cheap (one
    indexed query over disputes, not over items).
    """
    rows = conn.execute(
        select(disputes.c.item_id).where(
            disputes.c.item_id.is_not(None),
            or_(
                disputes.c.status == DisputeStatus.DELETED.value,
                and_(disputes.c.status.in_(OPEN_STATUSES), disputes.c.due_at < now),
            ),
        )
    )
    return {str(r.item_id) for r in rows}


def overdue_disputes(conn: Connection, now: datetime) -> list[OverdueDispute]:
    """Deadline breaches at ``now``: unanswered after ``due_at``, or answered after it."""
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
    return [
        OverdueDispute(
            dispute_id=r.dispute_id,
            item_kind=r.item_kind,
            item_id=r.item_id,
            furnisher_id=r.furnisher_id,
            status=r.status,
            opened_at=r.opened_at,
            due_at=r.due_at,
            resolved_at=r.resolved_at,
        )
        for r in rows
    ]


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
    """:func:`enforce_deadlines` on the deployment's store, as the operator's CLI."""
    from xinyong.store.engine import transaction
    from xinyong.system import open_system

    system = open_system(settings)
    try:
        with transaction(system.engine) as conn:
            return enforce_deadlines(conn, _now(now), actor="operator:cli")
    finally:
        system.engine.dispose()
