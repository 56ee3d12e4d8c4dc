"""An inquirer asks for a report: purpose, subject, consent, then record and serve.

Every attempt is recorded in ``inquiry_requests`` with its audit event, refused
ones too (with the reason code), in the same transaction; a served attempt also
adds the ``inquiries`` row that the subject sees. Which purposes need consent
comes from the jurisdiction profile; which purposes an inquirer may use at all
comes from its registration (``inquirer_purposes``, default: none).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Final, TypeVar

from sqlalchemy import Connection, bindparam, insert, select

from xinyong.api.context import Principal, ServiceContext
from xinyong.api.errors import ApiError
from xinyong.api.models import InquiryIn, InquiryResult, Report, ScoreOut
from xinyong.api.report_models import ScoreResult
from xinyong.api.reports import build_report, latest_score
from xinyong.audit import chain
from xinyong.domain.consents import Consent
from xinyong.domain.inquiries import Purpose
from xinyong.identifiers.exceptions import InvalidIdentifier, UnknownScheme
from xinyong.identifiers.hashing import identifier_hash
from xinyong.identifiers.registry import Identifier, validate
from xinyong.policy import Profile
from xinyong.store import repositories
from xinyong.store.engine import transaction
from xinyong.store.schema import consents, inquiries, subject_identifiers, subjects
from xinyong.store.service_schema import inquirer_purposes, inquiry_requests

__all__ = [
    "Refusal",
    "allowed_purposes",
    "find_subject",
    "make_inquiry",
    "score_inquiry",
]

log = logging.getLogger("xinyong.api.inquiry")
T = TypeVar("T")

# reason code -> HTTP status
REFUSALS: Final[dict[str, int]] = {
    "purpose_missing": 400,
    "purpose_unknown": 400,
    "purpose_not_allowed": 403,
    "identifier_invalid": 422,
    "subject_not_found": 404,
    "subject_ambiguous": 409,
    "consent_required": 403,
    "consent_not_found": 403,
    "consent_mismatch": 403,
    "consent_not_yet_valid": 403,
    "consent_expired": 403,
    "consent_revoked": 403,
}


class Refusal(Exception):
    """Why an inquiry is refused: a code from :data:`REFUSALS` and words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


# Statements built once (a served inquiry runs each of them).
_PURPOSES = select(inquirer_purposes.c.purpose).where(
    inquirer_purposes.c.org_id == bindparam("org_id")
)
_SUBJECT = select(subjects.c.status, subjects.c.merged_into).where(
    subjects.c.subject_id == bindparam("sid")
)
_HOLDERS = (
    select(subjects.c.subject_id, subjects.c.status, subjects.c.merged_into)
    .join(subject_identifiers, subject_identifiers.c.subject_id == subjects.c.subject_id)
    .where(
        subject_identifiers.c.scheme == bindparam("scheme"),
        subject_identifiers.c.value_hash == bindparam("hash"),
    )
    .order_by(subjects.c.subject_id)
)
_INSERT_INQUIRY = insert(inquiries)
_INSERT_REQUEST = insert(inquiry_requests)


def allowed_purposes(conn: Connection, org_id: str) -> frozenset[Purpose]:
    """The purposes ``org_id`` is registered for (never ``subject_request``)."""
    rows = conn.execute(_PURPOSES, {"org_id": org_id}).scalars()
    known = {p.value for p in Purpose}
    return frozenset(Purpose(p) for p in rows if p in known) - {Purpose.SUBJECT_REQUEST}


def _purpose(conn: Connection, org_id: str, raw: str | None, profile: Profile) -> Purpose:
    if raw is None or not raw.strip():
        raise Refusal("purpose_missing", "an inquiry needs a purpose code")
    try:
        purpose = Purpose(raw.strip())
    except ValueError:
        raise Refusal("purpose_unknown", "unknown purpose code") from None
    if not profile.allows(purpose) or purpose not in allowed_purposes(conn, org_id):
        raise Refusal("purpose_not_allowed", "this inquirer may not inquire for this purpose")
    return purpose


def find_subject(conn: Connection, hash_key: bytes, body: InquiryIn) -> str:
    """The one active subject holding the identifier (merged ones are followed)."""
    try:
        ident = Identifier.from_validated(
            validate(body.identifier.scheme, body.identifier.value, country=body.identifier.country)
        )
    except (InvalidIdentifier, UnknownScheme, ValueError):
        raise Refusal("identifier_invalid", "the identifier is not valid for its scheme") from None
    holders = conn.execute(
        _HOLDERS, {"scheme": ident.scheme, "hash": identifier_hash(hash_key, ident)}
    ).all()
    resolved: set[str] = set()
    for holder in holders:  # each with its own status: one round trip in the usual case
        current, status, merged_into = holder.subject_id, holder.status, holder.merged_into
        for _ in range(16):  # merge chains are short; a cycle must not hang a request
            if status != "merged" or merged_into is None:
                break
            current = merged_into
            row = conn.execute(_SUBJECT, {"sid": current}).one()
            status, merged_into = row.status, row.merged_into
        resolved.add(current)
    if not resolved:
        raise Refusal("subject_not_found", "no subject holds this identifier")
    if len(resolved) > 1:
        raise Refusal("subject_ambiguous", "the identifier names more than one subject")
    return resolved.pop()


def _check_consent(
    conn: Connection,
    ctx: ServiceContext,
    subject_id: str,
    org_id: str,
    purpose: Purpose,
    consent_id: str | None,
    now: datetime,
) -> str | None:
    """The consent relied on (validated), or ``None`` where the profile needs none."""
    if purpose not in ctx.profile.consent_required_for:
        return None
    if not consent_id:
        raise Refusal("consent_required", "this purpose needs the subject's consent")
    row = conn.execute(select(consents).where(consents.c.consent_id == consent_id)).first()
    if row is None or row.subject_id != subject_id:
        raise Refusal("consent_not_found", "no such consent for this subject")
    consent = Consent(
        consent_id=row.consent_id,
        subject_id=row.subject_id,
        inquirer_org_id=row.inquirer_org_id,
        purpose=Purpose(row.purpose),
        granted_at=row.granted_at,
        evidence=row.evidence or "-",
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )
    if not consent.covers(purpose, org_id):
        raise Refusal("consent_mismatch", "the consent is for another inquirer or purpose")
    if not consent.is_valid_at(now):
        if consent.revoked_at is not None and now >= consent.revoked_at:
            raise Refusal("consent_revoked", "the consent was revoked")
        if consent.expires_at is not None and now >= consent.expires_at:
            raise Refusal("consent_expired", "the consent has expired")
        raise Refusal("consent_not_yet_valid", "the consent is not in force yet")
    return consent.consent_id


def _record(
    conn: Connection,
    principal: Principal,
    profile: Profile,
    *,
    subject_id: str | None,
    purpose: str | None,
    consent_id: str | None,
    refusal: Refusal | None,
    now: datetime,
) -> str | None:
    """Record one attempt and its audit event; returns the inquiry id if served."""
    inquiry_id = None
    known_purpose = purpose if purpose in {p.value for p in Purpose} else None
    if refusal is None and subject_id is not None and known_purpose is not None:
        inquiry_id = repositories.new_id()
        conn.execute(
            _INSERT_INQUIRY,
            {
                "inquiry_id": inquiry_id,
                "subject_id": subject_id,
                "inquirer_org_id": principal.org(),
                "user_id": principal.credential_id,
                "purpose": known_purpose,
                "consent_id": consent_id,
                "at": now,
            },
        )
    request_id = repositories.new_id()
    kind = profile.inquiry_kind(known_purpose).value if known_purpose else "hard"
    conn.execute(
        _INSERT_REQUEST,
        {
            "request_id": request_id,
            "inquirer_org_id": principal.org(),
            "subject_id": subject_id,
            "purpose": known_purpose,
            "consent_id": consent_id if refusal is None else None,
            "kind": kind,
            "outcome": "served" if refusal is None else "refused",
            "reason_code": None if refusal is None else refusal.code,
            "inquiry_id": inquiry_id,
            "at": now,
        },
    )
    chain.append(
        conn,
        actor=principal.actor,
        action="inquiry.served" if refusal is None else "inquiry.refused",
        subject_id=subject_id,
        reason=known_purpose or "no valid purpose",
        payload={
            "request_id": request_id,
            "inquiry_id": inquiry_id,
            "inquirer_org_id": principal.org(),
            "purpose": known_purpose,
            "kind": kind,
            "consent_id": consent_id,
            "refusal": None if refusal is None else refusal.code,
        },
        at=now,
    )
    return inquiry_id


def _serve(
    ctx: ServiceContext,
    principal: Principal,
    body: InquiryIn,
    product: Callable[[Connection, str, datetime], T],
) -> tuple[str, Purpose, T]:
    """Check and record one inquiry, then build ``product`` for the subject in the
    same transaction; a refusal is recorded, committed, then raised as ApiError."""
    now = ctx.now()
    org_id = principal.org()
    with transaction(ctx.system.engine) as conn:
        subject_id: str | None = None
        purpose: Purpose | None = None
        try:
            purpose = _purpose(conn, org_id, body.purpose, ctx.profile)
            subject_id = find_subject(conn, ctx.system.hash_key, body)
            consent_id = _check_consent(
                conn, ctx, subject_id, org_id, purpose, body.consent_id, now
            )
        except Refusal as refusal:
            _record(
                conn,
                principal,
                ctx.profile,
                subject_id=subject_id,
                purpose=purpose.value if purpose else None,
                consent_id=None,
                refusal=refusal,
                now=now,
            )
            failed: Refusal | None = refusal
        else:
            failed = None
            inquiry_id = _record(
                conn,
                principal,
                ctx.profile,
                subject_id=subject_id,
                purpose=purpose.value,
                consent_id=consent_id,
                refusal=None,
                now=now,
            )
            result = product(conn, subject_id, now)
    # The refusal is committed above (recorded and audited) before the 4xx goes out.
    if failed is not None:
        log.info("inquiry refused: inquirer=%s reason=%s", org_id, failed.code)
        raise ApiError(REFUSALS[failed.code], failed.code, failed.message)
    if inquiry_id is None or purpose is None:  # pragma: no cover - served implies both
        raise RuntimeError("a served inquiry must have an id and a purpose")
    log.info("inquiry served: inquirer=%s purpose=%s", org_id, purpose.value)
    return inquiry_id, purpose, result


def make_inquiry(ctx: ServiceContext, principal: Principal, body: InquiryIn) -> InquiryResult:
    """Check, record and serve one report inquiry (the inquirer's copy)."""

    def report(conn: Connection, subject_id: str, now: datetime) -> Report:
        return build_report(conn, subject_id, ctx.profile, now, for_subject=False)

    inquiry_id, purpose, result = _serve(ctx, principal, body, report)
    return InquiryResult(
        inquiry_id=inquiry_id,
        purpose=purpose.value,
        kind=ctx.profile.inquiry_kind(purpose).value,
        report=result,
    )


def score_inquiry(ctx: ServiceContext, principal: Principal, body: InquiryIn) -> ScoreResult:
    """Check, record and serve one score inquiry: the latest score with its reasons."""

    def score(conn: Connection, subject_id: str, now: datetime) -> ScoreOut | None:
        return latest_score(conn, subject_id, now)

    inquiry_id, purpose, result = _serve(ctx, principal, body, score)
    return ScoreResult(
        inquiry_id=inquiry_id,
        purpose=purpose.value,
        kind=ctx.profile.inquiry_kind(purpose).value,
        score=result,
    )
