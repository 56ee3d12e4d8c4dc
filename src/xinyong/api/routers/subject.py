"""Subject routes: sign in, see the own file and who looked, consents, disputes, statements."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from xinyong.api import dispute_steps_service
from xinyong.api import subject_service as service
from xinyong.api.deps import Ctx, SubjectP
from xinyong.api.dispute_models import (
    InformationIn,
    NoticeOut,
    PastRecipientOut,
    RecipientNoticeOut,
    RecipientsIn,
)
from xinyong.api.models import (
    ConsentIn,
    ConsentOut,
    DisputeIn,
    DisputeOut,
    InquiryItem,
    SessionOut,
    SignInIn,
    StatementIn,
    StatementOut,
    SubjectFile,
)
from xinyong.api.routers import ERRORS

router = APIRouter(prefix="/v1/subject", tags=["subject"], responses=ERRORS)


@router.post("/session", response_model=SessionOut, status_code=201)
def sign_in(body: SignInIn, request: Request, ctx: Ctx) -> SessionOut:
    return service.sign_in(ctx, request.app.state.subject_auth, body.code)


@router.get("/file", response_model=SubjectFile)
def own_file(principal: SubjectP, ctx: Ctx) -> SubjectFile:
    return service.subject_file(ctx, principal)


@router.get("/inquiries", response_model=list[InquiryItem])
def own_inquiries(principal: SubjectP, ctx: Ctx) -> list[InquiryItem]:
    return service.own_inquiries(ctx, principal)


@router.get("/consents", response_model=list[ConsentOut])
def list_consents(principal: SubjectP, ctx: Ctx) -> list[ConsentOut]:
    return service.list_consents(ctx, principal)


@router.post("/consents", response_model=ConsentOut, status_code=201)
def grant_consent(body: ConsentIn, principal: SubjectP, ctx: Ctx) -> ConsentOut:
    return service.grant_consent(ctx, principal, body)


@router.delete("/consents/{consent_id}", response_model=ConsentOut)
def revoke_consent(consent_id: str, principal: SubjectP, ctx: Ctx) -> ConsentOut:
    return service.revoke_consent(ctx, principal, consent_id)


@router.get("/disputes", response_model=list[DisputeOut])
def list_disputes(principal: SubjectP, ctx: Ctx) -> list[DisputeOut]:
    return service.list_disputes(ctx, principal)


@router.post("/disputes", response_model=DisputeOut, status_code=201)
def open_dispute(body: DisputeIn, principal: SubjectP, ctx: Ctx) -> DisputeOut:
    return service.open_dispute(ctx, principal, body)


@router.post(
    "/disputes/{dispute_id}/information",
    response_model=DisputeOut,
    responses={409: ERRORS[403] | {"description": "the dispute is closed or past its deadline"}},
)
def add_dispute_information(
    dispute_id: str, body: InformationIn, principal: SubjectP, ctx: Ctx
) -> DisputeOut:
    """Add information to an open dispute: passed on to whoever answers it; where the
    profile says so (FCRA 611(a)(1)(B)) the deadline is extended once."""
    return dispute_steps_service.add_information(ctx, principal, dispute_id, body)


@router.post(
    "/disputes/{dispute_id}/procedure",
    response_model=NoticeOut,
    status_code=201,
    responses={
        409: ERRORS[403]
        | {"description": "no such right here, not reinvestigated, or already requested"}
    },
)
def request_procedure(dispute_id: str, principal: SubjectP, ctx: Ctx) -> NoticeOut:
    """Ask how a completed dispute was reinvestigated (FCRA 611(a)(7)): the description,
    with the furnisher contacted, is owed within 15 days as a notice the operator sends."""
    return dispute_steps_service.request_procedure(ctx, principal, dispute_id)


_RECIPIENTS_REFUSED: dict[int | str, dict[str, Any]] = {
    409: ERRORS[403]
    | {
        "description": "no such duty here, not completed, nothing deleted, corrected or "
        "noted, not a recipient in the period, or told already"
    }
}


@router.get(
    "/disputes/{dispute_id}/recipients",
    response_model=list[PastRecipientOut],
    responses=_RECIPIENTS_REFUSED,
)
def past_recipients(dispute_id: str, principal: SubjectP, ctx: Ctx) -> list[PastRecipientOut]:
    """Who received a report with the disputed item in the period the profile sets (FCRA
    611(d): 2 years for employment, 6 months otherwise; GDPR art. 19: every recipient),
    and whether each was told of the outcome."""
    return dispute_steps_service.past_recipients(ctx, principal, dispute_id)


@router.post(
    "/disputes/{dispute_id}/recipients",
    response_model=list[RecipientNoticeOut],
    status_code=201,
    responses=_RECIPIENTS_REFUSED,
)
def tell_recipients(
    dispute_id: str, body: RecipientsIn, principal: SubjectP, ctx: Ctx
) -> list[RecipientNoticeOut]:
    """Have the recipients you name (or, with null, all of them) told that the item was
    deleted or corrected, or that you dispute it with your statement; once each."""
    return dispute_steps_service.tell_recipients(ctx, principal, dispute_id, body)


@router.get("/notices", response_model=list[NoticeOut])
def own_notices(principal: SubjectP, ctx: Ctx) -> list[NoticeOut]:
    """The written notices owed about the subject's disputes (extension, reinsertion, the
    furnisher's notification, the results, a termination with its reasons), sent or not."""
    return dispute_steps_service.subject_notices(ctx, principal)


@router.post("/statements", response_model=StatementOut, status_code=201)
def add_statement(body: StatementIn, principal: SubjectP, ctx: Ctx) -> StatementOut:
    return service.add_statement(ctx, principal, body)
