"""One subject's report, built from the serving store's rows.

The inquirer's copy and the subject's copy are the same :class:`Report`; the
subject additionally sees its disputes and consents (``subject_service``), and
prescreen inquiries, which FCRA 604(c)(3) keeps from users.

Items are the store's ``accounts`` and ``public_records`` rows with a
``subject_id``. The ledger-built file (``files.build_files`` with resolution's
links, retention applied) is the intended source once resolution publishes
links to the store; see the issue note.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, select

from xinyong.api.models import (
    AccountItem,
    InquiryItem,
    PublicRecordItem,
    Report,
    StatementOut,
)
from xinyong.domain.disputes import DisputeStatus
from xinyong.domain.inquiries import Purpose
from xinyong.policy import Profile
from xinyong.store.schema import (
    accounts,
    consumer_statements,
    disputes,
    enterprises,
    inquiries,
    organisations,
    person_names,
    public_records,
    subject_identifiers,
    subjects,
)

__all__ = ["SOFT_PURPOSES", "build_report", "inquiry_kind"]

# Inquiries the subject did not apply for do not count against a credit
# application (industry practice, credit-rules.md 1.10). To move into the profile.
SOFT_PURPOSES: Final = frozenset(
    {Purpose.ACCOUNT_REVIEW, Purpose.PRESCREEN, Purpose.SUBJECT_REQUEST}
)
OPEN_STATUSES: Final = tuple(s.value for s in DisputeStatus if not s.is_final)


def inquiry_kind(purpose: Purpose | str) -> str:
    """``hard`` or ``soft`` as the purpose makes it."""
    return "soft" if Purpose(purpose) in SOFT_PURPOSES else "hard"


def _statements(conn: Connection, subject_id: str, now: datetime) -> list[StatementOut]:
    rows = conn.execute(
        select(consumer_statements)
        .where(
            consumer_statements.c.subject_id == subject_id,
            consumer_statements.c.created_at <= now,
        )
        .order_by(consumer_statements.c.created_at, consumer_statements.c.statement_id)
    )
    return [
        StatementOut(
            statement_id=r.statement_id,
            item_kind=r.item_kind,
            item_id=r.item_id,
            text=r.text,
            created_at=r.created_at,
        )
        for r in rows
        if r.withdrawn_at is None or r.withdrawn_at > now
    ]


def build_report(
    conn: Connection, subject_id: str, profile: Profile, now: datetime, *, for_subject: bool
) -> Report:
    """The report on ``subject_id`` as of ``now``; the subject's copy shows prescreens too."""
    subject = conn.execute(select(subjects).where(subjects.c.subject_id == subject_id)).one()
    names = [
        r.full_name
        for r in conn.execute(
            select(person_names.c.full_name)
            .where(person_names.c.subject_id == subject_id)
            .order_by(person_names.c.name_id)
        )
    ]
    names += [
        r.legal_name
        for r in conn.execute(
            select(enterprises.c.legal_name).where(enterprises.c.subject_id == subject_id)
        )
    ]
    identifiers = [
        {"scheme": r.scheme, "masked": r.value_masked}
        for r in conn.execute(
            select(subject_identifiers.c.scheme, subject_identifiers.c.value_masked)
            .where(subject_identifiers.c.subject_id == subject_id)
            .order_by(subject_identifiers.c.scheme, subject_identifiers.c.value_masked)
        )
    ]
    disputed = {
        (r.item_kind, r.item_id)
        for r in conn.execute(
            select(disputes.c.item_kind, disputes.c.item_id).where(
                disputes.c.subject_id == subject_id, disputes.c.status.in_(OPEN_STATUSES)
            )
        )
    }
    statements = _statements(conn, subject_id, now)
    by_item: dict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for s in statements:
        by_item[(s.item_kind, s.item_id)].append(s.text)

    account_items = [
        AccountItem(
            account_id=r.account_id,
            furnisher_id=r.furnisher_id,
            account_number_masked=r.account_number_masked,
            portfolio_type=r.portfolio_type,
            account_type=r.account_type,
            date_opened=r.date_opened,
            date_closed=r.date_closed,
            date_reported=r.date_reported,
            currency=r.currency,
            credit_limit_minor=r.credit_limit_minor,
            current_balance_minor=r.current_balance_minor,
            amount_past_due_minor=r.amount_past_due_minor,
            account_status=r.account_status,
            payment_history_profile=r.payment_history_profile,
            disputed=("account", r.account_id) in disputed,
            statements=by_item[("account", r.account_id)],
        )
        for r in conn.execute(
            select(accounts)
            .where(accounts.c.subject_id == subject_id)
            .order_by(accounts.c.date_opened, accounts.c.account_id)
        )
    ]
    record_items = [
        PublicRecordItem(
            record_id=r.record_id,
            furnisher_id=r.furnisher_id,
            kind=r.kind,
            authority=r.authority,
            event_date=r.event_date,
            filed_date=r.filed_date,
            amount_minor=r.amount_minor,
            currency=r.currency,
            status=r.status,
            expires_on=r.expires_on,
            disputed=("public_record", r.record_id) in disputed,
            statements=by_item[("public_record", r.record_id)],
        )
        for r in conn.execute(
            select(public_records)
            .where(public_records.c.subject_id == subject_id)
            .order_by(public_records.c.filed_date, public_records.c.record_id)
        )
    ]
    query = (
        select(inquiries, organisations.c.name.label("inquirer_name"))
        .join(organisations, organisations.c.org_id == inquiries.c.inquirer_org_id)
        .where(inquiries.c.subject_id == subject_id, inquiries.c.at <= now)
        .order_by(inquiries.c.at.desc(), inquiries.c.inquiry_id)
    )
    if not for_subject:
        query = query.where(inquiries.c.purpose != Purpose.PRESCREEN.value)
    inquiry_items = [
        InquiryItem(
            inquiry_id=r.inquiry_id,
            inquirer_org_id=r.inquirer_org_id,
            inquirer_name=r.inquirer_name,
            purpose=r.purpose,
            kind="soft" if inquiry_kind(r.purpose) == "soft" else "hard",
            at=r.at,
        )
        for r in conn.execute(query)
    ]
    return Report(
        subject_id=subject_id,
        subject_kind=subject.kind,
        names=names,
        identifiers=identifiers,
        jurisdiction=profile.jurisdiction.value,
        generated_at=now,
        source="store",
        accounts=account_items,
        public_records=record_items,
        inquiries=inquiry_items,
        file_statements=[s for s in statements if s.item_id is None],
    )
