"""Operator and regulator routes: ingest status, dispute deadlines, volumes, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.api import dispute_service
from xinyong.api import operator_service as service
from xinyong.api.deps import Ctx, OperatorP
from xinyong.api.dispute_models import DisputeAnswerIn, OperatorDispute
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
    """Every dispute by deadline: who answers it, breaches, suppression."""
    return dispute_service.operator_disputes(ctx, overdue_only=overdue)


@router.post("/disputes/enforce", response_model=list[OperatorDispute])
def enforce_deadlines(principal: OperatorP, ctx: Ctx) -> list[OperatorDispute]:
    """Close every dispute past its deadline as suppressed; those closed."""
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
    """Answer a dispute no furnisher owns (identity, inquiry): verify or delete."""
    return dispute_service.operator_answer(ctx, principal, dispute_id, body)


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
