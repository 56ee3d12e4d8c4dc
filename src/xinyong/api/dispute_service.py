"""Disputes over HTTP: the furnisher's inbox and answers, the operator's watch.

A furnisher sees only disputes forwarded to it (about its own records); any
other dispute id is a 404, exactly like an unknown one. An answer after the
deadline closes the dispute as suppressed (committed) and is refused with 409.
A correction is ingested through the one ingest pipeline as a new batch of one
record, which supersedes the disputed record in the ledger.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from xinyong import disputes as workflow
from xinyong.api.context import Principal, ServiceContext
from xinyong.api.dispute_models import DisputeAnswerIn, FurnisherDispute, OperatorDispute
from xinyong.api.errors import ApiError
from xinyong.domain.disputes import DisputeStatus
from xinyong.domain.errors import DomainError
from xinyong.ingest.pipeline import ingest_bytes
from xinyong.store.engine import transaction
from xinyong.store.schema import disputes

__all__ = [
    "enforce_deadlines",
    "furnisher_answer",
    "furnisher_disputes",
    "operator_answer",
    "operator_disputes",
]

log = logging.getLogger("xinyong.api.disputes")


def _overdue(row: Any, now: datetime) -> bool:
    return not DisputeStatus(row.status).is_final and now > row.due_at


def _provenance(conn: Connection, row: Any) -> tuple[str | None, int | None]:
    ref = workflow.find_item(conn, row.item_kind, row.item_id)
    return (None, None) if ref is None else (ref.batch_id, ref.record_no)


def _furnisher_view(conn: Connection, row: Any, now: datetime) -> FurnisherDispute:
    batch_id, record_no = _provenance(conn, row)
    return FurnisherDispute(
        dispute_id=row.dispute_id,
        item_kind=row.item_kind,
        item_id=row.item_id,
        batch_id=batch_id,
        record_no=record_no,
        reason=row.reason,
        status=row.status,
        opened_at=row.opened_at,
        forwarded_at=row.forwarded_at,
        due_at=row.due_at,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
        overdue=_overdue(row, now),
    )


def _operator_view(row: Any, now: datetime, suppressed: set[str]) -> OperatorDispute:
    late = row.resolved_at is not None and row.resolved_at > row.due_at
    return OperatorDispute(
        dispute_id=row.dispute_id,
        item_kind=row.item_kind,
        item_id=row.item_id,
        furnisher_id=row.furnisher_id,
        status=row.status,
        opened_at=row.opened_at,
        forwarded_at=row.forwarded_at,
        due_at=row.due_at,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
        correction_batch_id=row.correction_batch_id,
        overdue=_overdue(row, now),
        breach=_overdue(row, now) or late,
        suppressed=row.item_id is not None and row.item_id in suppressed,
    )


def furnisher_disputes(
    ctx: ServiceContext, principal: Principal, *, open_only: bool
) -> list[FurnisherDispute]:
    """The disputes about the furnisher's records, by deadline (open ones only by default)."""
    now = ctx.now()
    query = (
        select(disputes)
        .where(disputes.c.furnisher_id == principal.org())
        .order_by(disputes.c.due_at, disputes.c.dispute_id)
    )
    if open_only:
        query = query.where(disputes.c.status.in_(workflow.OPEN_STATUSES))
    with ctx.system.engine.connect() as conn:
        return [_furnisher_view(conn, row, now) for row in conn.execute(query).all()]


def _correction_batch(
    ctx: ServiceContext, principal: Principal, row: Any, record: dict[str, Any] | None
) -> str:
    """Ingest the corrected record as a one-record batch; its batch id, or a 422."""
    if record is None:
        raise ApiError(422, "correction_missing", "outcome correct needs the corrected record")
    if row.item_kind not in ("account", "public_record"):
        raise ApiError(422, "correction_not_possible", f"a {row.item_kind} is not furnished")
    if record.get("record_kind") != row.item_kind:
        raise ApiError(
            422, "correction_kind", f"the corrected record must have record_kind {row.item_kind}"
        )
    data = (json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n").encode()
    report = ingest_bytes(
        data,
        principal.org(),
        source_name=f"dispute-{row.dispute_id}-correction",
        ledger=ctx.system.ledger,
        engine=ctx.system.engine,
        hash_key=ctx.system.hash_key,
        format="jsonl",
        actor=principal.actor,
    )
    if report.status == "duplicate" and report.duplicate_of:
        return report.duplicate_of
    if report.status != "stored" or report.accepted != 1:
        rules = ", ".join(sorted(report.rules)) or report.reason or report.status
        raise ApiError(422, "correction_rejected", f"the corrected record was rejected: {rules}")
    return report.batch_id


def _answer(
    ctx: ServiceContext,
    principal: Principal,
    dispute_id: str,
    body: DisputeAnswerIn,
    *,
    furnisher_id: str | None,
) -> Any:
    """Check, ingest a correction if any, then record the answer; the updated row."""
    with ctx.system.engine.connect() as conn:
        row = workflow.load(conn, dispute_id)
    if row is None or row.furnisher_id != furnisher_id or row.forwarded_at is None:
        raise ApiError(404, "dispute_not_found", "no such dispute")
    if DisputeStatus(row.status).is_final:
        raise ApiError(409, "dispute_closed", f"the dispute is already {row.status}")
    if body.outcome is not workflow.Outcome.CORRECT and body.record is not None:
        raise ApiError(422, "record_not_expected", "only a correction carries a record")
    if _overdue(row, ctx.now()):
        _enforce_one(ctx, dispute_id)
    batch_id = None
    if body.outcome is workflow.Outcome.CORRECT:
        batch_id = _correction_batch(ctx, principal, row, body.record)
    now = ctx.now()
    with transaction(ctx.system.engine) as conn:
        row = workflow.load(conn, dispute_id, for_update=True)
        try:
            workflow.answer(
                conn,
                row,
                body.outcome,
                now,
                principal.actor,
                note=body.note,
                correction_batch_id=batch_id,
            )
        except workflow.DeadlinePassed:
            deadline = True
        except DomainError:
            raise ApiError(409, "dispute_closed", "the dispute is already closed") from None
        else:
            deadline = False
    if deadline:
        _enforce_one(ctx, dispute_id)
    log.info("dispute answered: outcome=%s", body.outcome.value)
    with ctx.system.engine.connect() as conn:
        return workflow.load(conn, dispute_id)


def _enforce_one(ctx: ServiceContext, dispute_id: str) -> None:
    with transaction(ctx.system.engine) as conn:
        workflow.enforce_deadlines(conn, ctx.now(), dispute_id=dispute_id)
    raise ApiError(
        409,
        "deadline_passed",
        "the answer came after the deadline: the item is suppressed and the dispute closed",
    )


def furnisher_answer(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: DisputeAnswerIn
) -> FurnisherDispute:
    """The furnisher verifies, corrects (a new ledger record) or deletes its disputed item."""
    row = _answer(ctx, principal, dispute_id, body, furnisher_id=principal.org())
    with ctx.system.engine.connect() as conn:
        return _furnisher_view(conn, row, ctx.now())


def operator_answer(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: DisputeAnswerIn
) -> OperatorDispute:
    """The operator answers a dispute no furnisher owns (identity, inquiry): verify or delete."""
    if body.outcome is workflow.Outcome.CORRECT:
        raise ApiError(
            422, "correction_not_possible", "only the furnisher of an item can correct it"
        )
    row = _answer(ctx, principal, dispute_id, body, furnisher_id=None)
    now = ctx.now()
    with ctx.system.engine.connect() as conn:
        suppressed = workflow.suppressed_items(conn, now)
    return _operator_view(row, now, suppressed)


def operator_disputes(ctx: ServiceContext, *, overdue_only: bool) -> list[OperatorDispute]:
    """Every dispute by deadline, with who answers it, breaches and suppression."""
    now = ctx.now()
    with ctx.system.engine.connect() as conn:
        suppressed = workflow.suppressed_items(conn, now)
        rows = conn.execute(
            select(disputes).order_by(disputes.c.due_at, disputes.c.dispute_id)
        ).all()
    out = [_operator_view(row, now, suppressed) for row in rows]
    return [d for d in out if d.overdue] if overdue_only else out


def enforce_deadlines(ctx: ServiceContext, principal: Principal) -> list[OperatorDispute]:
    """Close every dispute past its deadline as suppressed now; the disputes closed."""
    now = ctx.now()
    with transaction(ctx.system.engine) as conn:
        closed = set(workflow.enforce_deadlines(conn, now, actor=principal.actor))
    log.info("dispute deadlines enforced: closed=%d", len(closed))
    return [d for d in operator_disputes(ctx, overdue_only=False) if d.dispute_id in closed]
