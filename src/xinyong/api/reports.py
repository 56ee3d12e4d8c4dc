"""One subject's report: the one model behind the JSON, HTML and PDF copies.

Items come from the published credit files (``store.files_schema``: the
current pipeline run, retention already applied, so only ``shown`` items are
served) once a run is published; before that, from the store's raw
``accounts``/``public_records`` rows (``source="store"``). Around the items:
the subject's latest stored score with its reasons, the inquiries, the
statements and the open-dispute flags.

The inquirer's copy and the subject's copy are the same :class:`Report`; the
subject's copy also lists prescreen inquiries (FCRA 604(c)(3) keeps them from
users) and comes with its disputes and consents (``subject_service``), so it
shows everything the inquirer's copy shows, plus who asked and why.

Suppression: an item under a dispute that is past its deadline and still not
final is hidden from both copies at once, without waiting for the next run
(the run hides it too, via ``files.sql``'s ``suppressed`` input). This reads
the subject's own disputes (one indexed query) rather than the disputes
module's all-subjects ``suppressed_items``, to keep a report a few lookups.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Connection, Select, bindparam, literal, select, union_all

from xinyong.api.models import (
    AccountItem,
    InquiryItem,
    PublicRecordItem,
    Report,
    ScoreOut,
    ScoreReason,
    StatementOut,
)
from xinyong.disputes import item_flags
from xinyong.domain.inquiries import Purpose
from xinyong.policy import Profile
from xinyong.store.files_schema import (
    file_account_items,
    file_payment_history,
    file_public_record_items,
    file_runs,
)
from xinyong.store.schema import (
    accounts,
    consumer_statements,
    disputes,
    enterprises,
    inquiries,
    organisations,
    person_names,
    public_records,
    score_reasons,
    scores,
    subject_identifiers,
    subjects,
)

__all__ = [
    "PUBLISHED_ACCOUNTS",
    "PUBLISHED_RECORDS",
    "build_report",
    "latest_score",
    "public_record",
    "published_account",
    "statements_in_force",
]

Flags = dict[tuple[str, str | None], bool]


# Statements built once: a report runs about ten of them, and building a
# statement costs more than running it against an index.
_SID: BindParameter[str] = bindparam("sid")
_NOW: BindParameter[datetime] = bindparam("now")
_HEAD = select(
    subjects.c.kind,
    select(file_runs.c.run_id)
    .where(file_runs.c.current.is_(True))
    .scalar_subquery()
    .label("run_id"),
    select(file_runs.c.as_of).where(file_runs.c.current.is_(True)).scalar_subquery().label("as_of"),
).where(subjects.c.subject_id == _SID)
# Names and identifiers in one round trip: k 0 person names (by name_id),
# 1 enterprise names, 2 identifiers (scheme, masked value).
_PARTIES = union_all(
    select(
        literal(0).label("k"),
        person_names.c.name_id.label("n"),
        person_names.c.full_name.label("a"),
        literal("").label("b"),
    ).where(person_names.c.subject_id == _SID),
    select(literal(1), literal(0), enterprises.c.legal_name, literal("")).where(
        enterprises.c.subject_id == _SID
    ),
    select(
        literal(2), literal(0), subject_identifiers.c.scheme, subject_identifiers.c.value_masked
    ).where(subject_identifiers.c.subject_id == _SID),
).order_by("k", "n", "a", "b")
_STATEMENTS = (
    select(consumer_statements)
    .where(consumer_statements.c.subject_id == _SID, consumer_statements.c.created_at <= _NOW)
    .order_by(consumer_statements.c.created_at, consumer_statements.c.statement_id)
)
_DISPUTES = select(
    disputes.c.item_kind,
    disputes.c.item_id,
    disputes.c.status,
    disputes.c.due_at,
    disputes.c.reinserted_at,
).where(disputes.c.subject_id == _SID)
_LATEST = (
    select(scores.c.score_id)
    .where(scores.c.subject_id == _SID, scores.c.computed_at <= _NOW)
    .order_by(scores.c.computed_at.desc(), scores.c.score_id.desc())
    .limit(1)
    .scalar_subquery()
)
_SCORE = (
    select(
        scores.c.score_id, scores.c.score, scores.c.score_min, scores.c.score_max,
        scores.c.model_id, scores.c.model_version, scores.c.as_of, scores.c.ledger_snapshot,
        scores.c.computed_at, score_reasons.c.rank, score_reasons.c.code, score_reasons.c.text,
    )
    .outerjoin(score_reasons, score_reasons.c.score_id == scores.c.score_id)
    .where(scores.c.score_id == _LATEST)
    .order_by(score_reasons.c.rank)
)  # fmt: skip
# The shown items of the publication in report order; ``_ACCOUNTS``/``_RECORDS``
# pick one subject's, ``report_parts`` many subjects' at a time.
PUBLISHED_ACCOUNTS = (
    select(
        file_account_items,
        file_payment_history.c.first_month,
        file_payment_history.c.statuses,
        file_payment_history.c.shown_mask,
    )
    .outerjoin(file_payment_history, file_payment_history.c.item_id == file_account_items.c.item_id)
    .where(file_account_items.c.shown.is_(True))
    .order_by(file_account_items.c.date_opened, file_account_items.c.item_id)
)
PUBLISHED_RECORDS = (
    select(file_public_record_items)
    .where(file_public_record_items.c.shown.is_(True))
    .order_by(file_public_record_items.c.filed_date, file_public_record_items.c.item_id)
)
_ACCOUNTS = PUBLISHED_ACCOUNTS.where(file_account_items.c.subject_id == _SID)
_RECORDS = PUBLISHED_RECORDS.where(file_public_record_items.c.subject_id == _SID)
_STORE_ACCOUNTS = (
    select(accounts)
    .where(accounts.c.subject_id == _SID)
    .order_by(accounts.c.date_opened, accounts.c.account_id)
)
_STORE_RECORDS = (
    select(public_records, public_records.c.record_id.label("item_id"))
    .where(public_records.c.subject_id == _SID)
    .order_by(public_records.c.filed_date, public_records.c.record_id)
)
_INQUIRIES = (
    select(inquiries, organisations.c.name.label("inquirer_name"))
    .join(organisations, organisations.c.org_id == inquiries.c.inquirer_org_id)
    .where(inquiries.c.subject_id == _SID, inquiries.c.at <= _NOW)
    .order_by(inquiries.c.at.desc(), inquiries.c.inquiry_id)
)
_INQUIRIES_NO_PRESCREEN = _INQUIRIES.where(inquiries.c.purpose != Purpose.PRESCREEN.value)


def statements_in_force(conn: Connection, subject_id: str, now: datetime) -> list[StatementOut]:
    """The subject's statements made by ``now`` and not withdrawn, oldest first."""
    return [
        StatementOut(
            statement_id=r.statement_id,
            item_kind=r.item_kind,
            item_id=r.item_id,
            text=r.text,
            created_at=r.created_at,
        )
        for r in conn.execute(_STATEMENTS, {"sid": subject_id, "now": now})
        if r.withdrawn_at is None or r.withdrawn_at > now
    ]


def latest_score(conn: Connection, subject_id: str, now: datetime) -> ScoreOut | None:
    """The subject's most recent score computed by ``now``, with its reasons in rank order."""
    rows = conn.execute(_SCORE, {"sid": subject_id, "now": now}).all()
    if not rows:
        return None
    row = rows[0]
    return ScoreOut(
        score_id=row.score_id,
        score=row.score,
        score_min=row.score_min,
        score_max=row.score_max,
        model_id=row.model_id,
        model_version=row.model_version,
        as_of=row.as_of,
        ledger_snapshot=row.ledger_snapshot,
        computed_at=row.computed_at,
        reasons=[
            ScoreReason(rank=r.rank, code=r.code, text=r.text) for r in rows if r.rank is not None
        ],
    )


def _account_item(r: Any, item_id: str, statements: list[str], **extra: Any) -> AccountItem:
    """The fields a published account and a store account row share, by the same names."""
    return AccountItem(
        account_id=item_id,
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
        statements=statements,
        **extra,
    )


def published_account(r: Any, *, disputed: bool, statements: list[str]) -> AccountItem:
    """One shown account of the published file (a row of ``_ACCOUNTS``), as reported.

    ``disputed`` is the subject's open dispute on it; the furnisher's own flag is added here.
    """
    history = None
    if r.statuses is not None:  # months hidden by retention are not shown
        pairs = zip(r.statuses, r.shown_mask, strict=True)
        history = "".join(s if m == "1" else "-" for s, m in pairs)
    return _account_item(
        r,
        r.item_id,
        statements,
        payment_history_profile=None,
        disputed=disputed or bool(r.furnisher_disputed),
        history_first_month=r.first_month,
        history=history,
    )


def public_record(r: Any, *, disputed: bool, statements: list[str]) -> PublicRecordItem:
    """One public record (a published item, or a store row with its id as ``item_id``)."""
    return PublicRecordItem(
        record_id=r.item_id,
        furnisher_id=r.furnisher_id,
        kind=r.kind,
        authority=r.authority,
        event_date=r.event_date,
        filed_date=r.filed_date,
        amount_minor=r.amount_minor,
        currency=r.currency,
        status=r.status,
        expires_on=r.expires_on,
        disputed=disputed,
        statements=statements,
    )


def _published_accounts(
    conn: Connection, subject_id: str, disputed: set[Any], hidden: set[Any], notes: Any
) -> list[AccountItem]:
    out = []
    for r in conn.execute(_ACCOUNTS, {"sid": subject_id}):
        key = ("account", r.item_id)
        if key not in hidden:
            out.append(published_account(r, disputed=key in disputed, statements=notes[key]))
    return out


def _records(
    conn: Connection,
    query: Select[Any],
    subject_id: str,
    disputed: set[Any],
    hidden: set[Any],
    notes: Any,
) -> list[PublicRecordItem]:
    """Public records from the published file (or, before any publication, the store's
    rows); both queries name the record's id ``item_id``."""
    return [
        public_record(
            r,
            disputed=("public_record", r.item_id) in disputed,
            statements=notes[("public_record", r.item_id)],
        )
        for r in conn.execute(query, {"sid": subject_id})
        if ("public_record", r.item_id) not in hidden
    ]


def _store_accounts(
    conn: Connection, subject_id: str, disputed: set[Any], hidden: set[Any], notes: Any
) -> list[AccountItem]:
    return [
        _account_item(
            r,
            r.account_id,
            notes[("account", r.account_id)],
            payment_history_profile=r.payment_history_profile,
            disputed=("account", r.account_id) in disputed,
        )
        for r in conn.execute(_STORE_ACCOUNTS, {"sid": subject_id})
        if ("account", r.account_id) not in hidden
    ]


def _inquiries(
    conn: Connection, subject_id: str, now: datetime, profile: Profile, *, for_subject: bool
) -> list[InquiryItem]:
    query = _INQUIRIES if for_subject else _INQUIRIES_NO_PRESCREEN
    return [
        InquiryItem(
            inquiry_id=r.inquiry_id,
            inquirer_org_id=r.inquirer_org_id,
            inquirer_name=r.inquirer_name,
            purpose=r.purpose,
            kind=profile.inquiry_kind(r.purpose).value,
            at=r.at,
        )
        for r in conn.execute(query, {"sid": subject_id, "now": now})
    ]


def build_report(
    conn: Connection, subject_id: str, profile: Profile, now: datetime, *, for_subject: bool
) -> Report:
    """The report on ``subject_id`` as of ``now``; the subject's copy shows prescreens too."""
    head = conn.execute(_HEAD, {"sid": subject_id}).one()
    parties = conn.execute(_PARTIES, {"sid": subject_id}).all()
    identifiers = [{"scheme": r.a, "masked": r.b} for r in parties if r.k == 2]
    disputed, hidden = item_flags(
        conn.execute(_DISPUTES, {"sid": subject_id}), now, profile.dispute
    )
    statements = statements_in_force(conn, subject_id, now)
    notes: defaultdict[tuple[str | None, str | None], list[str]] = defaultdict(list)
    for s in statements:
        notes[(s.item_kind, s.item_id)].append(s.text)
    published = head.run_id is not None
    if published:
        account_items = _published_accounts(conn, subject_id, disputed, hidden, notes)
        record_items = _records(conn, _RECORDS, subject_id, disputed, hidden, notes)
    else:
        account_items = _store_accounts(conn, subject_id, disputed, hidden, notes)
        record_items = _records(conn, _STORE_RECORDS, subject_id, disputed, hidden, notes)
    return Report(
        subject_id=subject_id,
        subject_kind=head.kind,
        names=[r.a for r in parties if r.k < 2],
        identifiers=identifiers,
        jurisdiction=profile.jurisdiction.value,
        generated_at=now,
        source="published" if published else "store",
        run_id=head.run_id,
        as_of=head.as_of,
        score=latest_score(conn, subject_id, now),
        accounts=account_items,
        public_records=record_items,
        inquiries=_inquiries(conn, subject_id, now, profile, for_subject=for_subject),
        file_statements=[s for s in statements if s.item_id is None],
    )
