"""Disputes over HTTP: the furnisher's inbox and answers, the operator's watch.

A furnisher sees only disputes forwarded to it (about its own records); any
other dispute id is a 404, exactly like an unknown one. An answer after the
deadline closes the dispute by the deadline rule (committed) and is refused
with 409. A correction must name the disputed item itself (403/422 before
anything is ingested) and is ingested through the one ingest pipeline as a new
batch of one record, which supersedes the disputed record in the ledger. The
extension, reinsertion and notice routes are in :mod:`dispute_steps_service`.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from xinyong import disputes as workflow
from xinyong.api.context import Principal, ServiceContext
from xinyong.api.dispute_models import (
    DisputeAnswerIn,
    DisputeInformation,
    FurnisherDispute,
    OperatorDispute,
)
from xinyong.api.errors import ApiError
from xinyong.disputes.corrections import check_correction
from xinyong.disputes.notices import overdue_notices
from xinyong.domain.disputes import DisputeStatus
from xinyong.domain.errors import DomainError
from xinyong.ingest.pipeline import ingest_bytes
from xinyong.store.dispute_schema import dispute_information
from xinyong.store.engine import transaction
from xinyong.store.schema import disputes

__all__ = [
    "enforce_deadlines",
    "enforce_one",
    "furnisher_answer",
    "furnisher_disputes",
    "furnisher_view",
    "operator_answer",
    "operator_disputes",
    "operator_one",
    "operator_view",
    "refused",
]

log = logging.getLogger("xinyong.api.disputes")

# A refusal about who may act is a 403, about the record's content a 422; the rest
# are refusals of the dispute's state (closed, extended, too late...): 409.
_REFUSAL_STATUS = {
    "correction_furnisher": 403,
    "correction_other_item": 422,
    "correction_key_unknown": 422,
}


def refused(exc: workflow.DisputeRefused) -> ApiError:
    """The HTTP form of a refusal by the dispute rules."""
    return ApiError(_REFUSAL_STATUS.get(exc.code, 409), exc.code, exc.message)


def _overdue(row: Any, now: datetime) -> bool:
    return not DisputeStatus(row.status).is_final and now > row.due_at


def _information(conn: Connection, dispute_ids: list[str]) -> dict[str, list[DisputeInformation]]:
    found: defaultdict[str, list[DisputeInformation]] = defaultdict(list)
    if not dispute_ids:
        return found
    rows = conn.execute(
        select(dispute_information)
        .where(dispute_information.c.dispute_id.in_(dispute_ids))
        .order_by(dispute_information.c.received_at, dispute_information.c.info_id)
    )
    for r in rows:
        found[r.dispute_id].append(
            DisputeInformation(info_id=r.info_id, received_at=r.received_at, text=r.text)
        )
    return found


def _furnisher_view(
    conn: Connection, row: Any, now: datetime, information: list[DisputeInformation]
) -> FurnisherDispute:
    ref = workflow.find_item(conn, row.item_kind, row.item_id)
    return FurnisherDispute(
        dispute_id=row.dispute_id,
        item_kind=row.item_kind,
        item_id=row.item_id,
        batch_id=None if ref is None else ref.batch_id,
        record_no=None if ref is None else ref.record_no,
        reason=row.reason,
        status=row.status,
        opened_at=row.opened_at,
        forwarded_at=row.forwarded_at,
        due_at=row.due_at,
        first_due_at=row.first_due_at,
        extended_at=row.extended_at,
        information=information,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
        reinsertion_certified_at=row.reinsertion_certified_at,
        reinserted_at=row.reinserted_at,
        overdue=_overdue(row, now),
    )


def furnisher_view(ctx: ServiceContext, dispute_id: str) -> FurnisherDispute:
    """One dispute as its furnisher sees it, now."""
    with ctx.system.engine.connect() as conn:
        row = workflow.load(conn, dispute_id)
        info = _information(conn, [dispute_id])
        return _furnisher_view(conn, row, ctx.now(), info[dispute_id])


def operator_view(
    row: Any, now: datetime, suppressed: set[str], late_notices: set[str]
) -> OperatorDispute:
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
        first_due_at=row.first_due_at,
        extended_at=row.extended_at,
        extension_reason=row.extension_reason,
        resolved_at=row.resolved_at,
        resolution=row.resolution,
        correction_batch_id=row.correction_batch_id,
        reinsertion_certified_at=row.reinsertion_certified_at,
        reinserted_at=row.reinserted_at,
        overdue=_overdue(row, now),
        breach=_overdue(row, now) or late,
        notice_overdue=row.dispute_id in late_notices,
        suppressed=row.item_id is not None and row.item_id in suppressed,
    )


def furnisher_disputes(
    ctx: ServiceContext, principal: Principal, *, open_only: bool
) -> list[FurnisherDispute]:
    """The disputes about the furnisher's records, by deadline (open ones only by default),
    each with what the subject added since filing."""
    now = ctx.now()
    query = (
        select(disputes)
        .where(disputes.c.furnisher_id == principal.org())
        .order_by(disputes.c.due_at, disputes.c.dispute_id)
    )
    if open_only:
        query = query.where(disputes.c.status.in_(workflow.OPEN_STATUSES))
    with ctx.system.engine.connect() as conn:
        rows = conn.execute(query).all()
        info = _information(conn, [r.dispute_id for r in rows])
        return [_furnisher_view(conn, row, now, info[row.dispute_id]) for row in rows]


def _correction_batch(
    ctx: ServiceContext, principal: Principal, row: Any, record: dict[str, Any] | None
) -> str:
    """Check the corrected record is one of the disputed item, ingest it as a one-record
    batch; its batch id, or a 4xx naming the field and the rule."""
    if record is None:
        raise ApiError(422, "correction_missing", "outcome correct needs the corrected record")
    if row.item_kind not in ("account", "public_record"):
        raise ApiError(422, "correction_not_possible", f"a {row.item_kind} is not furnished")
    if record.get("record_kind") != row.item_kind:
        raise ApiError(
            422, "correction_kind", f"the corrected record must have record_kind {row.item_kind}"
        )
    with ctx.system.engine.connect() as conn:
        ref = workflow.find_item(conn, row.item_kind, row.item_id)
    try:
        check_correction(ref, row.item_kind, record, principal.org(), ctx.system.hash_key)
    except workflow.DisputeRefused as exc:
        raise refused(exc) from None
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
        enforce_one(ctx, dispute_id)
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
                ctx.profile.dispute,
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
        enforce_one(ctx, dispute_id)
    log.info("dispute answered: outcome=%s", body.outcome.value)
    with ctx.system.engine.connect() as conn:
        return workflow.load(conn, dispute_id)


def enforce_one(ctx: ServiceContext, dispute_id: str) -> None:
    """Close the overdue dispute by the deadline rule, committed, then refuse with 409."""
    with transaction(ctx.system.engine) as conn:
        workflow.enforce_deadlines(conn, ctx.now(), ctx.profile.dispute, dispute_id=dispute_id)
    raise ApiError(
        409,
        "deadline_passed",
        "the deadline has passed: the dispute is closed by the deadline rule "
        f"({ctx.profile.dispute.unverifiable.value})",
    )


def furnisher_answer(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: DisputeAnswerIn
) -> FurnisherDispute:
    """The furnisher verifies, corrects (a new ledger record), deletes, or cannot verify."""
    row = _answer(ctx, principal, dispute_id, body, furnisher_id=principal.org())
    return furnisher_view(ctx, row.dispute_id)


def _operator_context(conn: Connection, ctx: ServiceContext, now: datetime) -> dict[str, Any]:
    return {
        "suppressed": workflow.suppressed_items(conn, now, ctx.profile.dispute),
        "late_notices": {n.dispute_id for n in overdue_notices(conn, now)},
    }


def operator_one(ctx: ServiceContext, dispute_id: str) -> OperatorDispute:
    """One dispute as the operator watches it, now."""
    now = ctx.now()
    with ctx.system.engine.connect() as conn:
        row = workflow.load(conn, dispute_id)
        return operator_view(row, now, **_operator_context(conn, ctx, now))


def operator_answer(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: DisputeAnswerIn
) -> OperatorDispute:
    """The operator answers a dispute no furnisher owns (identity, inquiry): verify, delete,
    or cannot verify."""
    if body.outcome is workflow.Outcome.CORRECT:
        raise ApiError(
            422, "correction_not_possible", "only the furnisher of an item can correct it"
        )
    row = _answer(ctx, principal, dispute_id, body, furnisher_id=None)
    return operator_one(ctx, row.dispute_id)


def operator_disputes(ctx: ServiceContext, *, overdue_only: bool) -> list[OperatorDispute]:
    """Every dispute by deadline, with who answers it, breaches (its own deadline or a
    notice's) and suppression."""
    now = ctx.now()
    with ctx.system.engine.connect() as conn:
        context = _operator_context(conn, ctx, now)
        rows = conn.execute(
            select(disputes).order_by(disputes.c.due_at, disputes.c.dispute_id)
        ).all()
    out = [operator_view(row, now, **context) for row in rows]
    return [d for d in out if d.overdue or d.notice_overdue] if overdue_only else out


def enforce_deadlines(ctx: ServiceContext, principal: Principal) -> list[OperatorDispute]:
    """Close every dispute past its deadline by the profile's rule now; the disputes closed."""
    now = ctx.now()
    with transaction(ctx.system.engine) as conn:
        closed = set(
            workflow.enforce_deadlines(conn, now, ctx.profile.dispute, actor=principal.actor)
        )
    log.info("dispute deadlines enforced: closed=%d", len(closed))
    return [d for d in operator_disputes(ctx, overdue_only=False) if d.dispute_id in closed]
