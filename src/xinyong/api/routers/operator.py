"""Operator and regulator routes: ingest status, dispute deadlines, volumes, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.api import dispute_service, dispute_steps_service
from xinyong.api import operator_service as service
from xinyong.api.deps import Ctx, OperatorP
from xinyong.api.dispute_models import (
    DisputeAnswerIn,
    ExtensionIn,
    OperatorDispute,
    OperatorNotice,
    TerminationIn,
)
from xinyong.api.models import AuditVerification, BatchStatus, InquiryVolume
from xinyong.api.routers import ERRORS

router = APIRouter(prefix="/v1/operator", tags=["operator"], responses=ERRORS)


@router.get("/batches", response_model=list[BatchStatus])
def batches(
    principal: OperatorP, ctx: Ctx, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[BatchStatus]:
    return service.recent_batches(ctx, limit=limit)


@router.get("/disputes", response_model=list[OperatorDispute])
def disputes(principal: OperatorP, ctx: Ctx, overdue: bool = False) -> list[OperatorDispute]:
    """Every dispute by deadline: who answers it, breaches (``overdue=true``: only those
    unanswered after the deadline or with a notice to the subject overdue), suppression."""
    return dispute_service.operator_disputes(ctx, overdue_only=overdue)


@router.post("/disputes/enforce", response_model=list[OperatorDispute])
def enforce_deadlines(principal: OperatorP, ctx: Ctx) -> list[OperatorDispute]:
    """Close every dispute past its deadline by the profile's rule (suppressed, or kept with
    the objection); those closed."""
    return dispute_service.enforce_deadlines(ctx, principal)


@router.post(
    "/disputes/{dispute_id}/response",
    response_model=OperatorDispute,
    responses={
        409: ERRORS[403] | {"description": "closed, or the deadline has passed"},
        422: ERRORS[403] | {"description": "the operator cannot correct an item"},
    },
)
def answer_dispute(
    dispute_id: str, body: DisputeAnswerIn, principal: OperatorP, ctx: Ctx
) -> OperatorDispute:
    """Answer a dispute no furnisher owns (identity, inquiry): verify, delete or unverifiable."""
    return dispute_service.operator_answer(ctx, principal, dispute_id, body)


@router.post(
    "/disputes/{dispute_id}/extension",
    response_model=OperatorDispute,
    responses={
        409: ERRORS[403]
        | {"description": "no such extension here, closed, already extended, or too late"}
    },
)
def extend_dispute(
    dispute_id: str, body: ExtensionIn, principal: OperatorP, ctx: Ctx
) -> OperatorDispute:
    """Extend a complex dispute once, within its first period (GDPR art. 12(3)); the
    subject is owed a notice of it by the first deadline."""
    return dispute_steps_service.extend(ctx, principal, dispute_id, body)


@router.post(
    "/disputes/{dispute_id}/termination",
    response_model=OperatorDispute,
    responses={
        409: ERRORS[403]
        | {
            "description": "no termination here or not for this reason, closed, or the "
            "deadline has passed"
        }
    },
)
def terminate_dispute(
    dispute_id: str, body: TerminationIn, principal: OperatorP, ctx: Ctx
) -> OperatorDispute:
    """Terminate an open dispute as frivolous or irrelevant, for a reason the profile allows
    (FCRA 611(a)(3); GDPR art. 12(5)): the item is no longer flagged as disputed, nothing
    is corrected, and the subject is owed a notice with the reasons and what would be
    needed by the profile's deadline (US 5 business days; EU one month from receipt)."""
    return dispute_steps_service.terminate(ctx, principal, dispute_id, body)


@router.get("/notices", response_model=list[OperatorNotice])
def notices(principal: OperatorP, ctx: Ctx, pending: bool = True) -> list[OperatorNotice]:
    """Written notices owed to subjects (extensions, reinsertions, results, terminations) by
    deadline; only those not sent yet unless ``pending=false``."""
    return dispute_steps_service.operator_notices(ctx, pending_only=pending)


@router.post(
    "/notices/{notice_id}/sent",
    response_model=OperatorNotice,
    responses={409: ERRORS[403] | {"description": "already sent"}},
)
def notice_sent(notice_id: str, principal: OperatorP, ctx: Ctx) -> OperatorNotice:
    """Record that the notice went out to the subject in writing now."""
    return dispute_steps_service.send_notice(ctx, principal, notice_id)


@router.get("/inquiry-volumes", response_model=list[InquiryVolume])
def inquiry_volumes(
    principal: OperatorP,
    ctx: Ctx,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[InquiryVolume]:
    return service.inquiry_volumes(ctx, since=since, until=until)


@router.get("/audit/verify", response_model=AuditVerification)
def audit_verify(principal: OperatorP, ctx: Ctx) -> AuditVerification:
    return service.verify_audit(ctx)
