"""What an inquirer is told after the fact about reports it received: an item since
deleted or corrected after the subject's dispute, or disputed with the subject's
statement (FCRA 611(d), GDPR art. 19). Apart from ``inquirer``, whose routes are the
inquiry traffic and take its short path."""

from __future__ import annotations

from fastapi import APIRouter

from xinyong.api import dispute_steps_service
from xinyong.api.deps import Ctx, InquirerP
from xinyong.api.dispute_models import RecipientNoticeOut
from xinyong.api.routers import ERRORS

router = APIRouter(prefix="/v1/inquirer", tags=["inquirer"], responses=ERRORS)


@router.get("/recipient-notices", response_model=list[RecipientNoticeOut])
def recipient_notices(principal: InquirerP, ctx: Ctx) -> list[RecipientNoticeOut]:
    """Notices about reports this inquirer received, newest first; each names the
    inquiry it made, never the subject's identifiers."""
    return dispute_steps_service.inquirer_recipient_notices(ctx, principal)
