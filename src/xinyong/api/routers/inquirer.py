"""Inquirer routes: ask for a report with a purpose (and consent where required)."""

from __future__ import annotations

from fastapi import APIRouter

from xinyong.api.deps import Ctx, InquirerP
from xinyong.api.inquiry import make_inquiry
from xinyong.api.models import ErrorResponse, InquiryIn, InquiryResult
from xinyong.api.routers import ERRORS

router = APIRouter(prefix="/v1/inquirer", tags=["inquirer"], responses=ERRORS)


@router.post(
    "/inquiries",
    response_model=InquiryResult,
    responses={
        400: {"model": ErrorResponse, "description": "purpose missing or unknown"},
        409: {"model": ErrorResponse, "description": "identifier names several subjects"},
        422: {"model": ErrorResponse, "description": "identifier invalid"},
    },
)
def inquire(body: InquiryIn, principal: InquirerP, ctx: Ctx) -> InquiryResult:
    """Every call is recorded, refused ones too, with a reason code in the 4xx body."""
    return make_inquiry(ctx, principal, body)
