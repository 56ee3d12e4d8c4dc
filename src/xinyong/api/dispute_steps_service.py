"""The dispute steps besides the answer, over HTTP: the subject's added information, the
operator's extension and termination, the furnisher's certified reinsertion, the
subject's request for a description of the procedure, and the notices owed.

Each is one transaction with its audit events (:mod:`xinyong.disputes.steps`);
refusals by the dispute rules are 409s naming the rule, another party's
dispute or notice a 404 like an unknown one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from xinyong import disputes as workflow
from xinyong.api.context import Principal, ServiceContext
from xinyong.api.dispute_models import (
    ExtensionIn,
    FurnisherDispute,
    InformationIn,
    NoticeOut,
    OperatorDispute,
    OperatorNotice,
    PastRecipientOut,
    RecipientNoticeOut,
    RecipientsIn,
    ReinsertionIn,
    TerminationIn,
)
from xinyong.api.dispute_service import (
    enforce_one,
    furnisher_view,
    operator_one,
    refused,
)
from xinyong.api.errors import ApiError
from xinyong.api.models import DisputeOut
from xinyong.api.subject_service import dispute_rows
from xinyong.disputes import notices, procedure, recipients, steps, termination
from xinyong.store.engine import transaction

__all__ = [
    "add_information",
    "certify_reinsertion",
    "extend",
    "inquirer_recipient_notices",
    "operator_notices",
    "past_recipients",
    "request_procedure",
    "send_notice",
    "subject_notices",
    "tell_recipients",
    "terminate",
]

log = logging.getLogger("xinyong.api.disputes")


@contextmanager
def _locked(
    ctx: ServiceContext, dispute_id: str, visible: Callable[[Any], bool]
) -> Iterator[tuple[Connection, Any]]:
    """The dispute locked in one transaction for a step: 404 where it is unknown or not
    ``visible`` to the caller, 409 where the rules refuse the step. A step refused for
    a deadline that has passed ends the ``with`` block without error, after the
    deadline rule has closed the dispute in a transaction of its own: the caller
    then answers with the dispute as it now stands.
    """
    deadline = False
    with transaction(ctx.system.engine) as conn:
        row = workflow.load(conn, dispute_id, for_update=True)
        if row is None or not visible(row):
            raise ApiError(404, "dispute_not_found", "no such dispute")
        try:
            yield conn, row
        except workflow.DisputeRefused as exc:
            raise refused(exc) from None
        except workflow.DeadlinePassed:
            deadline = True
    if deadline:
        enforce_one(ctx, dispute_id)


def add_information(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: InformationIn
) -> DisputeOut:
    """The subject adds information to its open dispute (passed on at once; under the FCRA
    it extends the deadline by 15 days, once); the dispute with its deadline now."""
    subject_id = principal.subject()
    now = ctx.now()
    with _locked(ctx, dispute_id, lambda row: row.subject_id == subject_id) as (conn, row):
        steps.add_information(conn, row, body.text, now, principal.actor, ctx.profile.dispute)
    log.info("dispute information added")
    with ctx.system.engine.connect() as conn:
        return next(d for d in dispute_rows(conn, subject_id, now) if d.dispute_id == dispute_id)


def extend(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: ExtensionIn
) -> OperatorDispute:
    """The operator extends a complex dispute, once, within its first period (GDPR art.
    12(3)); the subject is owed a notice of it by the first deadline."""
    now = ctx.now()
    with _locked(ctx, dispute_id, lambda row: True) as (conn, row):
        steps.extend(conn, row, body.reason, now, principal.actor, ctx.profile.dispute)
    log.info("dispute extended")
    return operator_one(ctx, dispute_id)


def terminate(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: TerminationIn
) -> OperatorDispute:
    """The operator terminates an open dispute as frivolous or irrelevant where the profile
    allows it (FCRA 611(a)(3)); the subject is owed a notice with the reasons. After the
    deadline the deadline rule closes it instead (409 ``deadline_passed``)."""
    now = ctx.now()
    with _locked(ctx, dispute_id, lambda row: True) as (conn, row):
        termination.terminate(
            conn, row, body.reason, body.note, now, principal.actor, ctx.profile.dispute
        )
    log.info("dispute terminated: reason=%s", body.reason.value)
    return operator_one(ctx, dispute_id)


def certify_reinsertion(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: ReinsertionIn
) -> FurnisherDispute:
    """The furnisher certifies its deleted item complete and accurate: it comes back, and
    the subject is owed a written notice (FCRA 611(a)(5)(B))."""
    now = ctx.now()
    org = principal.org()

    def visible(row: Any) -> bool:
        return bool(row.furnisher_id == org and row.forwarded_at is not None)

    with _locked(ctx, dispute_id, visible) as (conn, row):
        steps.certify_reinsertion(
            conn, row, body.certification, now, principal.actor, ctx.profile.dispute
        )
    log.info("dispute item reinsertion certified")
    return furnisher_view(ctx, dispute_id)


def _notice(row: Any) -> NoticeOut:
    return NoticeOut(
        notice_id=row.notice_id,
        dispute_id=row.dispute_id,
        kind=row.kind,
        text=row.text,
        created_at=row.created_at,
        due_at=row.due_at,
        sent_at=row.sent_at,
    )


def _operator_notice(row: Any, now: datetime) -> OperatorNotice:
    sent = row.sent_at
    return OperatorNotice(
        **_notice(row).model_dump(),
        item_kind=row.item_kind,
        item_id=row.item_id,
        furnisher_id=row.furnisher_id,
        overdue=(sent is None and now > row.due_at) or (sent is not None and sent > row.due_at),
    )


def subject_notices(ctx: ServiceContext, principal: Principal) -> list[NoticeOut]:
    """The notices owed to the subject about its disputes, sent or not, by deadline."""
    with ctx.system.engine.connect() as conn:
        return [_notice(r) for r in notices.subject_notices(conn, principal.subject())]


def operator_notices(ctx: ServiceContext, *, pending_only: bool) -> list[OperatorNotice]:
    """Every notice owed to a subject by deadline (those not sent yet with ``pending_only``)."""
    now = ctx.now()
    with ctx.system.engine.connect() as conn:
        rows = notices.notices(conn, pending_only=pending_only)
    return [_operator_notice(r, now) for r in rows]


def request_procedure(ctx: ServiceContext, principal: Principal, dispute_id: str) -> NoticeOut:
    """The subject asks how its completed dispute was reinvestigated (FCRA 611(a)(7)): the
    description is owed within the profile's period, as a notice the operator sends."""
    subject_id = principal.subject()
    now = ctx.now()
    with _locked(ctx, dispute_id, lambda row: row.subject_id == subject_id) as (conn, row):
        notice_id = procedure.request_procedure(
            conn, row, now, principal.actor, ctx.profile.dispute
        )
        out = _notice(notices.load_notice(conn, notice_id))
    log.info("dispute procedure description requested")
    return out


def send_notice(ctx: ServiceContext, principal: Principal, notice_id: str) -> OperatorNotice:
    """Record that the notice went out in writing now (a reinsertion that waited for it
    takes effect); 409 if it was already sent."""
    now = ctx.now()
    with transaction(ctx.system.engine) as conn:
        row = notices.load_notice(conn, notice_id, for_update=True)
        if row is None:
            raise ApiError(404, "notice_not_found", "no such notice")
        try:
            steps.send_notice(conn, row, now, principal.actor, ctx.profile.dispute)
        except workflow.DisputeRefused as exc:
            raise refused(exc) from None
    log.info("dispute notice sent: kind=%s", row.kind)
    with ctx.system.engine.connect() as conn:
        return _operator_notice(notices.load_notice(conn, notice_id), now)


def past_recipients(
    ctx: ServiceContext, principal: Principal, dispute_id: str
) -> list[PastRecipientOut]:
    """Who received a report with the disputed item in the profile's period, and whether
    each was told (FCRA 611(d); GDPR art. 19, the subject told who the recipients are)."""
    subject_id = principal.subject()
    now = ctx.now()
    with ctx.system.engine.connect() as conn:
        row = workflow.load(conn, dispute_id)
        if row is None or row.subject_id != subject_id:
            raise ApiError(404, "dispute_not_found", "no such dispute")
        try:
            found = recipients.past_recipients(conn, row, now, ctx.profile.dispute)
        except workflow.DisputeRefused as exc:
            raise refused(exc) from None
    return [PastRecipientOut.model_validate(r, from_attributes=True) for r in found]


def tell_recipients(
    ctx: ServiceContext, principal: Principal, dispute_id: str, body: RecipientsIn
) -> list[RecipientNoticeOut]:
    """The subject asks that the recipients it names (or all) be told what its dispute
    deleted, corrected or noted; each gets a notice on its own channel at once."""
    subject_id = principal.subject()
    now = ctx.now()
    with _locked(ctx, dispute_id, lambda row: row.subject_id == subject_id) as (conn, row):
        ids = recipients.tell_recipients(
            conn, row, body.inquirer_org_ids, now, principal.actor, ctx.profile.dispute
        )
        made = recipients.recipient_notices_by_id(conn, ids)
    log.info("dispute recipients told: count=%d", len(ids))
    return [RecipientNoticeOut.model_validate(r, from_attributes=True) for r in made]


def inquirer_recipient_notices(
    ctx: ServiceContext, principal: Principal
) -> list[RecipientNoticeOut]:
    """What the inquirer was told about reports it received, newest first."""
    with ctx.system.engine.connect() as conn:
        rows = recipients.recipient_notices_of(conn, principal.org())
    return [RecipientNoticeOut.model_validate(r, from_attributes=True) for r in rows]
