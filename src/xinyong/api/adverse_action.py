"""The adverse action notice an inquirer gives an applicant it turned down.

FCRA 615(a) (credit-rules.md 1.7): the score used, its range, date and
provider, the key factors (609(f)(1)(C): at most four, in order, plus the
number of inquiries as a fifth when it was one, 609(f)(9)), the bureau's name,
address and telephone with a statement that it did not make the decision, and
the rights to a free report within 60 days and to dispute. The free-report and
dispute terms come from the jurisdiction profile, not from here.

Only the inquirer that made the inquiry may fetch its notice; the score is the
one on file when the inquiry was made. Each fetch is an audit event.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import select

from xinyong.api.context import Principal, ServiceContext
from xinyong.api.errors import ApiError
from xinyong.api.models import ScoreReason
from xinyong.api.report_models import AdverseActionNotice, BureauContact
from xinyong.api.reports import latest_score
from xinyong.audit import chain
from xinyong.policy import Profile
from xinyong.score.reasons import MAX_KEY_FACTORS, is_inquiry_name
from xinyong.settings import Settings
from xinyong.store.engine import transaction
from xinyong.store.schema import inquiries, organisations

__all__ = ["DEFAULT_BUREAU", "adverse_action_notice", "bureau_contact", "key_factors", "rights"]

DEFAULT_BUREAU: Final = BureauContact(
    name="xinyong credit bureau",
    address="(deployment address not configured)",
    phone="(deployment telephone not configured)",
    web="http://127.0.0.1:8000/v1/subject/report",
)
"""What a notice shows for each ``XINYONG_BUREAU_*`` setting a deployment left unset."""


def bureau_contact(settings: Settings) -> BureauContact:
    """The bureau's contact from the deployment settings, unset parts marked as such."""
    return BureauContact(
        name=settings.bureau_name or DEFAULT_BUREAU.name,
        address=settings.bureau_address or DEFAULT_BUREAU.address,
        phone=settings.bureau_phone or DEFAULT_BUREAU.phone,
        web=settings.bureau_web or DEFAULT_BUREAU.web,
    )


MODEL_NOTE: Final = (
    "This score is the bureau's; a lender may use its own model, whose score can differ."
)


def key_factors(reasons: list[ScoreReason]) -> list[ScoreReason]:
    """The first four reasons, and a fifth only if it is about inquiries (FCRA 609(f)(9))."""
    top = reasons[:MAX_KEY_FACTORS]
    extra = [
        r for r in reasons[MAX_KEY_FACTORS:] if is_inquiry_name(r.text) or is_inquiry_name(r.code)
    ]
    return top + extra[:1]


def rights(profile: Profile) -> list[str]:
    """The subject's rights as the profile states them."""
    period = profile.dispute.response
    out = []
    if profile.jurisdiction.value == "US":
        out.append(
            "You have the right to a free copy of your report from the bureau named above "
            "if you ask for it within 60 days of receiving this notice (FCRA 612(b), 615(a)(3))."
        )
    free = profile.free_reports
    per_year = "as often as you ask" if free.per_year is None else f"{free.per_year} per year"
    out.append(f"You may get your own credit report free of charge, {per_year} ({free.basis}).")
    out.append(
        "You have the right to dispute with the bureau the accuracy or completeness of any "
        f"information in your report; the bureau must answer within {period} "
        f"({profile.dispute.basis})."
    )
    out.append("The bureau did not make the decision and cannot explain why it was made.")
    return out


def adverse_action_notice(
    ctx: ServiceContext,
    principal: Principal,
    inquiry_id: str,
    *,
    bureau: BureauContact | None = None,
) -> AdverseActionNotice:
    """The notice for ``inquiry_id``; a 404 unless the caller's organisation made it.

    ``bureau`` defaults to the deployment's ``XINYONG_BUREAU_*`` settings.
    """
    if bureau is None:
        bureau = bureau_contact(ctx.system.settings)
    now = ctx.now()
    org_id = principal.org()
    with transaction(ctx.system.engine) as conn:
        row = conn.execute(
            select(inquiries, organisations.c.name.label("inquirer_name"))
            .join(organisations, organisations.c.org_id == inquiries.c.inquirer_org_id)
            .where(inquiries.c.inquiry_id == inquiry_id, inquiries.c.inquirer_org_id == org_id)
        ).first()
        if row is None:
            raise ApiError(404, "inquiry_not_found", "no inquiry of yours has this id")
        score = latest_score(conn, row.subject_id, row.at)
        chain.append(
            conn,
            actor=principal.actor,
            action="adverse_action.notice",
            subject_id=row.subject_id,
            reason=row.purpose,
            payload={"inquiry_id": inquiry_id, "score_id": score.score_id if score else None},
            at=now,
        )
    return AdverseActionNotice(
        inquiry_id=inquiry_id,
        inquirer_org_id=org_id,
        inquirer_name=row.inquirer_name or org_id,
        purpose=row.purpose,
        inquired_at=row.at,
        issued_at=now,
        jurisdiction=ctx.profile.jurisdiction.value,
        basis="FCRA 615(a); Regulation B 12 CFR 1002.9"
        if ctx.profile.jurisdiction.value == "US"
        else ctx.profile.name,
        score=score,
        key_factors=key_factors(score.reasons) if score else [],
        model_note=MODEL_NOTE,
        bureau=bureau,
        rights=rights(ctx.profile),
    )
