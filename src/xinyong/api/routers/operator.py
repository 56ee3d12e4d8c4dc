"""Operator and regulator routes: ingest status, dispute deadlines, volumes, audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.api import operator_service as service
from xinyong.api.deps import Ctx, OperatorP
from xinyong.api.models import AuditVerification, BatchStatus, DisputeOut, InquiryVolume
from xinyong.api.routers import ERRORS

router = APIRouter(prefix="/v1/operator", tags=["operator"], responses=ERRORS)


@router.get("/batches", response_model=list[BatchStatus])
def batches(
    principal: OperatorP, ctx: Ctx, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[BatchStatus]:
    return service.recent_batches(ctx, limit=limit)


@router.get("/disputes", response_model=list[DisputeOut])
def disputes(principal: OperatorP, ctx: Ctx, overdue: bool = False) -> list[DisputeOut]:
    return service.dispute_deadlines(ctx, overdue_only=overdue)


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
