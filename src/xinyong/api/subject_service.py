"""What a subject does with its own file: sign in, read, consent, dispute, comment.

Each write is one transaction with its audit event. Deadlines and limits come
from the jurisdiction profile (``dispute.due``, ``statement_word_limit``,
``free_reports``), never from constants here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Row, Select, func, insert, select, text, update

from xinyong import disputes as disputes_workflow
from xinyong.api.context import Principal, ServiceContext
from xinyong.api.errors import ApiError
from xinyong.api.models import (
    ConsentIn,
    ConsentOut,
    DisputeIn,
    DisputeOut,
    InquiryItem,
    Report,
    SessionOut,
    StatementIn,
    StatementOut,
    SubjectFile,
)
from xinyong.api.reports import build_report, statements_in_force
from xinyong.api.subject_auth import SubjectAuthenticator, open_session
from xinyong.audit import chain
from xinyong.disputes.owed import owe_furnisher_notice
from xinyong.domain.consents import Consent
from xinyong.domain.disputes import ConsumerStatement, Dispute, DisputeStatus, ItemKind
from xinyong.domain.errors import DomainError
from xinyong.domain.inquiries import Purpose
from xinyong.store import repositories
from xinyong.store.engine import transaction
from xinyong.store.schema import (
    consents,
    consumer_statements,
    disputes,
    inquiries,
)
from xinyong.store.service_schema import SUBJECT_REQUESTS, inquiry_requests

__all__ = [
    "add_statement",
    "file_view",
    "grant_consent",
    "list_consents",
    "list_disputes",
    "list_statements",
    "open_dispute",
    "own_inquiries",
    "own_requests",
    "revoke_consent",
    "sign_in",
    "subject_file",
]

log = logging.getLogger("xinyong.api.subject")


def sign_in(ctx: ServiceContext, auth: SubjectAuthenticator, code: str) -> SessionOut:
    """Exchange a sign-in credential for a session token; 401 if it proves nothing."""
    now = ctx.now()
    with transaction(ctx.system.engine) as conn:
        subject_id = auth.sign_in(conn, code, now)
        if subject_id is None:
            failed = True
        else:
            failed = False
            token, expires = open_session(conn, subject_id, now)
    if failed:
        raise ApiError(401, "sign_in_failed", "the code is unknown, used or expired")
    return SessionOut(token=token, expires_at=expires)


def _consent_out(r: Row[Any]) -> ConsentOut:
    return ConsentOut(
        consent_id=r.consent_id,
        inquirer_org_id=r.inquirer_org_id,
        purpose=r.purpose,
        granted_at=r.granted_at,
        expires_at=r.expires_at,
        revoked_at=r.revoked_at,
    )


def _consents(conn: Connection, subject_id: str) -> list[ConsentOut]:
    rows = conn.execute(
        select(consents)
        .where(consents.c.subject_id == subject_id)
        .order_by(consents.c.granted_at, consents.c.consent_id)
    )
    return [_consent_out(r) for r in rows]


def dispute_rows(conn: Connection, subject_id: str | None, now: datetime) -> list[DisputeOut]:
    query = select(disputes).order_by(disputes.c.due_at, disputes.c.dispute_id)
    if subject_id is not None:
        query = query.where(disputes.c.subject_id == subject_id)
    return [
        DisputeOut(
            dispute_id=r.dispute_id,
            item_kind=r.item_kind,
            item_id=r.item_id,
            reason=r.reason,
            status=r.status,
            opened_at=r.opened_at,
            due_at=r.due_at,
            resolved_at=r.resolved_at,
            resolution=r.resolution,
            overdue=not DisputeStatus(r.status).is_final and now > r.due_at,
        )
        for r in conn.execute(query)
    ]


def own_requests(subject_id: str, since: datetime) -> Select[int]:
    """How many of its own reports the subject asked for since ``since`` (what the
    free-report allowance counts), through the partial index that holds exactly
    those requests (``service_schema.SUBJECT_REQUESTS``, migration 0016)."""
    return (
        select(func.count())
        .select_from(inquiry_requests)
        .where(
            inquiry_requests.c.subject_id == subject_id,
            text(SUBJECT_REQUESTS),  # as the index states it, for SQLite's planner
            inquiry_requests.c.at > since,
        )
    )


def subject_file(ctx: ServiceContext, principal: Principal) -> SubjectFile:
    """The subject's full file; the access is itself recorded as a soft inquiry request."""
    now = ctx.now()
    subject_id = principal.subject()
    free = ctx.profile.free_reports.per_year
    with transaction(ctx.system.engine) as conn:
        since = now - timedelta(days=365)
        own = conn.execute(own_requests(subject_id, since)).scalar_one()
        request_id = repositories.new_id()
        conn.execute(
            insert(inquiry_requests).values(
                request_id=request_id,
                inquirer_org_id=None,
                subject_id=subject_id,
                purpose=Purpose.SUBJECT_REQUEST.value,
                consent_id=None,
                kind="soft",
                outcome="served",
                reason_code=None,
                inquiry_id=None,
                at=now,
            )
        )
        chain.append(
            conn,
            actor=principal.actor,
            action="inquiry.served",
            subject_id=subject_id,
            reason=Purpose.SUBJECT_REQUEST.value,
            payload={"request_id": request_id, "purpose": Purpose.SUBJECT_REQUEST.value},
            at=now,
            log=chain.INQUIRIES,  # with its request row, in the inquiry log
        )
        report = build_report(conn, subject_id, ctx.profile, now, for_subject=True)
        result = SubjectFile(
            report=report,
            disputes=dispute_rows(conn, subject_id, now),
            consents=_consents(conn, subject_id),
            free_reports_per_year=free,
            own_requests_last_year=int(own) + 1,
        )
    return result


def list_consents(ctx: ServiceContext, principal: Principal) -> list[ConsentOut]:
    with ctx.system.engine.connect() as conn:
        return _consents(conn, principal.subject())


def list_disputes(ctx: ServiceContext, principal: Principal) -> list[DisputeOut]:
    with ctx.system.engine.connect() as conn:
        return dispute_rows(conn, principal.subject(), ctx.now())


def grant_consent(ctx: ServiceContext, principal: Principal, body: ConsentIn) -> ConsentOut:
    """Record the subject's consent to one inquirer for one purpose, until it expires."""
    now = ctx.now()
    subject_id = principal.subject()
    with transaction(ctx.system.engine) as conn:
        org = repositories.get_organisation(conn, body.inquirer_org_id)
        if org is None or "inquirer" not in (org["roles"] or []):
            raise ApiError(404, "inquirer_not_found", "no inquirer with this id")
        try:
            consent = Consent(
                consent_id=repositories.new_id(),
                subject_id=subject_id,
                inquirer_org_id=body.inquirer_org_id,
                purpose=body.purpose,
                granted_at=now,
                evidence=f"subject portal, session {principal.credential_id}",
                expires_at=body.expires_at,
            )
        except DomainError as exc:
            raise ApiError(422, exc.rule, exc.message) from None
        conn.execute(
            insert(consents).values(
                consent_id=consent.consent_id,
                subject_id=subject_id,
                inquirer_org_id=consent.inquirer_org_id,
                purpose=consent.purpose.value,
                granted_at=now,
                expires_at=consent.expires_at,
                revoked_at=None,
                evidence=consent.evidence,
            )
        )
        chain.append(
            conn,
            actor=principal.actor,
            action="consent.granted",
            subject_id=subject_id,
            reason=consent.purpose.value,
            payload={
                "consent_id": consent.consent_id,
                "inquirer_org_id": consent.inquirer_org_id,
                "purpose": consent.purpose.value,
                "expires_at": consent.expires_at,
            },
            at=now,
        )
        row = conn.execute(
            select(consents).where(consents.c.consent_id == consent.consent_id)
        ).one()
        return _consent_out(row)


def revoke_consent(ctx: ServiceContext, principal: Principal, consent_id: str) -> ConsentOut:
    """Revoke one of the subject's consents now; another subject's consent is a 404."""
    now = ctx.now()
    subject_id = principal.subject()
    with transaction(ctx.system.engine) as conn:
        row = conn.execute(
            select(consents).where(
                consents.c.consent_id == consent_id, consents.c.subject_id == subject_id
            )
        ).first()
        if row is None:
            raise ApiError(404, "consent_not_found", "no such consent")
        if row.revoked_at is None:
            conn.execute(
                update(consents).where(consents.c.consent_id == consent_id).values(revoked_at=now)
            )
            chain.append(
                conn,
                actor=principal.actor,
                action="consent.revoked",
                subject_id=subject_id,
                reason=row.purpose,
                payload={"consent_id": consent_id, "inquirer_org_id": row.inquirer_org_id},
                at=now,
            )
        out = conn.execute(select(consents).where(consents.c.consent_id == consent_id)).one()
        return _consent_out(out)


def _owns_item(conn: Connection, subject_id: str, kind: ItemKind, item_id: str | None) -> bool:
    if kind is ItemKind.IDENTITY:
        return True
    if item_id is None:
        return False
    if kind is ItemKind.INQUIRY:
        found = conn.execute(
            select(inquiries.c.inquiry_id).where(
                inquiries.c.inquiry_id == item_id, inquiries.c.subject_id == subject_id
            )
        ).first()
        return found is not None
    ref = disputes_workflow.find_item(conn, kind, item_id)
    return ref is not None and ref.subject_id == subject_id


def open_dispute(ctx: ServiceContext, principal: Principal, body: DisputeIn) -> DisputeOut:
    """Open a dispute on one item of the subject's file; the item shows as disputed at once.

    It is forwarded in the same transaction to the item's furnisher (or, for
    identity and inquiry disputes, to the operator), who answers before the deadline;
    the furnisher's notification the profile may require (FCRA 611(a)(2)(A)) is owed
    and, by that forwarding, sent.

    The deadline is the profile's (US 30 days, CN 20, EU one month) from today,
    to the end of that day UTC.
    """
    now = ctx.now()
    subject_id = principal.subject()
    due_day = ctx.profile.dispute.due(now.astimezone(UTC).date())
    due_at = datetime.combine(due_day, time(23, 59, 59), tzinfo=UTC)
    with transaction(ctx.system.engine) as conn:
        if not _owns_item(conn, subject_id, body.item_kind, body.item_id):
            raise ApiError(404, "item_not_found", "no such item in your file")
        try:
            dispute = Dispute(
                dispute_id=repositories.new_id(),
                subject_id=subject_id,
                item_kind=body.item_kind,
                item_id=body.item_id,
                reason=body.reason,
                opened_at=now,
                due_at=due_at,
            )
        except DomainError as exc:
            raise ApiError(422, exc.rule, exc.message) from None
        conn.execute(
            insert(disputes).values(
                dispute_id=dispute.dispute_id,
                subject_id=subject_id,
                item_kind=dispute.item_kind.value,
                item_id=dispute.item_id,
                reason=dispute.reason,
                status=dispute.status.value,
                opened_at=now,
                due_at=due_at,
            )
        )
        chain.append(
            conn,
            actor=principal.actor,
            action="dispute.opened",
            subject_id=subject_id,
            reason=f"dispute of {dispute.item_kind.value}",
            payload={
                "dispute_id": dispute.dispute_id,
                "item_kind": dispute.item_kind.value,
                "item_id": dispute.item_id,
                "due_at": due_at,
                "basis": ctx.profile.dispute.basis,
            },
            at=now,
        )
        # Notified at once: the furnisher of the item, or the operator for the rest. Where
        # the profile sets a deadline for telling the furnisher, the notice owed from the
        # filing is sent by the forwarding itself.
        furnisher_id = disputes_workflow.item_furnisher(conn, dispute.item_kind, dispute.item_id)
        owe_furnisher_notice(conn, dispute, furnisher_id, ctx.profile.dispute, now, principal.actor)
        disputes_workflow.forward(conn, dispute, furnisher_id, now, principal.actor)
        out = dispute_rows(conn, subject_id, now)
    log.info("dispute opened: kind=%s", dispute.item_kind.value)
    return next(d for d in out if d.dispute_id == dispute.dispute_id)


def add_statement(ctx: ServiceContext, principal: Principal, body: StatementIn) -> StatementOut:
    """Add the subject's statement to an item (or the whole file), within the word limit."""
    now = ctx.now()
    subject_id = principal.subject()
    with transaction(ctx.system.engine) as conn:
        if body.item_kind is not None and not _owns_item(
            conn, subject_id, body.item_kind, body.item_id
        ):
            raise ApiError(404, "item_not_found", "no such item in your file")
        try:
            statement = ConsumerStatement(
                statement_id=repositories.new_id(),
                subject_id=subject_id,
                text=body.text,
                created_at=now,
                item_kind=body.item_kind,
                item_id=body.item_id,
            )
            limit = ctx.profile.statement_word_limit
            if limit is not None:
                statement.check_length(limit)
        except DomainError as exc:
            raise ApiError(422, exc.rule, exc.message) from None
        conn.execute(
            insert(consumer_statements).values(
                statement_id=statement.statement_id,
                subject_id=subject_id,
                item_kind=statement.item_kind.value if statement.item_kind else None,
                item_id=statement.item_id,
                text=statement.text,
                created_at=now,
                withdrawn_at=None,
            )
        )
        chain.append(
            conn,
            actor=principal.actor,
            action="statement.added",
            subject_id=subject_id,
            reason="consumer statement",
            payload={
                "statement_id": statement.statement_id,
                "item_kind": statement.item_kind.value if statement.item_kind else None,
                "item_id": statement.item_id,
                "words": statement.word_count,
            },
            at=now,
        )
    return StatementOut(
        statement_id=statement.statement_id,
        item_kind=statement.item_kind.value if statement.item_kind else None,
        item_id=statement.item_id,
        text=statement.text,
        created_at=now,
    )


def file_view(ctx: ServiceContext, principal: Principal) -> Report:
    """The subject's file as its own copy shows it, for picking an item to dispute or
    comment on; not recorded as a request for a report (that is :func:`subject_file`)."""
    with ctx.system.engine.connect() as conn:
        return build_report(conn, principal.subject(), ctx.profile, ctx.now(), for_subject=True)


def own_inquiries(ctx: ServiceContext, principal: Principal) -> list[InquiryItem]:
    """Who looked at the subject's file, when and why (prescreens included), newest first."""
    return file_view(ctx, principal).inquiries


def list_statements(ctx: ServiceContext, principal: Principal) -> list[StatementOut]:
    """The subject's statements in force (not withdrawn), on items and on the whole file."""
    with ctx.system.engine.connect() as conn:
        return statements_in_force(conn, principal.subject(), ctx.now())
