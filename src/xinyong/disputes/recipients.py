"""Telling past recipients what a dispute changed (FCRA 611(d), GDPR art. 19).

A report that went out before a dispute was settled may have carried the item it
deleted or corrected. At the subject's request, each inquirer the subject designates
(or every one) among those who received a report in the profile's period before the
request is told, once per dispute: the US reaches back 2 years for a report obtained
for employment and 6 months for any other purpose; the EU (art. 19) every recipient
on record. The notice names the inquirer's own inquiry, never the subject's
identifiers, and goes on the inquirer's channel when made (``recipient_notices``).

What there is to tell, by the dispute's outcome:

* **deleted or corrected** (FCRA "deletion of information which is found to be
  inaccurate or whose accuracy can no longer be verified"; GDPR "rectification or
  erasure"): reports received up to the completion, when the item was changed; later
  ones no longer held it. A deleted item since reinserted on its furnisher's
  certification has nothing to tell: the deletion was undone.
* **verified, with the subject's statement on the item** (FCRA "any notation as to
  disputed information", 611(b), (c)): reports received up to the request; the notice
  carries the statement.

Anything else (still open, terminated, withdrawn, verified without a statement) is
refused, as is a request where the profile sets no such duty (CN art. 25).

Which reports held the item is approximated by the subject's served inquiries in the
period (the subject's own requests excluded): the store does not keep what each
report contained, and an item reaches a report from its first publication, which is
before any dispute of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final

from sqlalchemy import Connection, and_, insert, select

from xinyong.disputes.errors import DisputeRefused
from xinyong.disputes.workflow import audit_step
from xinyong.domain.disputes import DisputeStatus
from xinyong.domain.inquiries import Purpose
from xinyong.policy import DisputeRule, RecipientRule
from xinyong.store import repositories
from xinyong.store.dispute_schema import recipient_notices
from xinyong.store.schema import consumer_statements, inquiries, organisations

__all__ = [
    "PastRecipient",
    "past_recipients",
    "recipient_notices_by_id",
    "recipient_notices_of",
    "tell_recipients",
]

#: How a recipient's notice names the item (it does not know the subject's item ids).
_ITEM: Final = {
    "account": "an account",
    "public_record": "a public record",
    "identity": "identifying information",
    "inquiry": "an inquiry",
}


@dataclass(frozen=True, slots=True)
class PastRecipient:
    """An inquirer that received a report on the subject in the period: its latest one,
    and when it was told of this dispute (None: not yet)."""

    inquirer_org_id: str
    name: str | None
    inquiry_id: str
    purpose: str
    received_at: datetime
    told_at: datetime | None


@dataclass(frozen=True, slots=True)
class _Change:
    what: str  # "deleted", "corrected", "disputed"
    until: datetime  # reports received before this held the item as it was
    statement: str | None = None


def _rule(rule: DisputeRule) -> RecipientRule:
    if rule.recipients is None:
        raise DisputeRefused(
            "recipients_not_provided",
            f"dispute_id: rule recipients: no duty to tell past recipients here ({rule.basis})",
        )
    return rule.recipients


def _statement(conn: Connection, row: Any) -> str | None:
    """The subject's statement on the disputed item still in force, if any (the latest)."""
    if row.item_id is None:
        return None
    found = conn.execute(
        select(consumer_statements.c.text)
        .where(
            consumer_statements.c.subject_id == row.subject_id,
            consumer_statements.c.item_kind == row.item_kind,
            consumer_statements.c.item_id == row.item_id,
            consumer_statements.c.withdrawn_at.is_(None),
        )
        .order_by(consumer_statements.c.created_at.desc())
        .limit(1)
    ).scalar()
    return None if found is None else str(found)


def _change(conn: Connection, row: Any, now: datetime) -> _Change:
    """What the dispute ``row`` has for past recipients, or why nothing."""
    status = DisputeStatus(row.status)
    if not status.is_final:
        raise DisputeRefused(
            "not_completed",
            "status: rule recipients: recipients are told of a completed dispute; "
            "this one is not completed yet",
        )
    if status is DisputeStatus.DELETED and row.reinserted_at is not None:
        raise DisputeRefused(
            "nothing_to_tell",
            "status: rule recipients: the deleted item was reinserted on its furnisher's "
            "certification; there is no deletion to tell",
        )
    if status in (DisputeStatus.DELETED, DisputeStatus.CORRECTED):
        return _Change(status.value, row.resolved_at)
    statement = _statement(conn, row) if status is DisputeStatus.VERIFIED else None
    if statement is None:
        raise DisputeRefused(
            "nothing_to_tell",
            f"status: rule recipients: the dispute is {status} and the item carries no "
            "statement of yours; nothing was deleted, corrected or noted as disputed",
        )
    return _Change("disputed", now, statement)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def past_recipients(
    conn: Connection, row: Any, now: datetime, rule: DisputeRule
) -> list[PastRecipient]:
    """Those told, or who may be told, of the dispute ``row``'s outcome if the subject
    asked ``now``: each inquirer's latest report in its period, newest first."""
    recipients, change = _rule(rule), _change(conn, row, now)
    today = now.astimezone(UTC).date()
    since = {
        employment: recipients.earliest(today, employment=employment)
        for employment in (False, True)
    }
    told = recipient_notices.alias("told")
    query = (
        select(
            inquiries.c.inquiry_id,
            inquiries.c.inquirer_org_id,
            inquiries.c.purpose,
            inquiries.c.at,
            organisations.c.name,
            told.c.created_at.label("told_at"),
        )
        .join(organisations, organisations.c.org_id == inquiries.c.inquirer_org_id)
        .outerjoin(
            told,
            and_(
                told.c.dispute_id == row.dispute_id,
                told.c.inquirer_org_id == inquiries.c.inquirer_org_id,
            ),
        )
        .where(
            inquiries.c.subject_id == row.subject_id,
            inquiries.c.at < change.until,
            inquiries.c.purpose != Purpose.SUBJECT_REQUEST.value,
        )
        .order_by(inquiries.c.at.desc(), inquiries.c.inquiry_id.desc())
    )
    if None not in since.values():
        query = query.where(inquiries.c.at >= _start(min(d for d in since.values() if d)))
    latest: dict[str, PastRecipient] = {}
    for r in conn.execute(query):
        first = since[r.purpose == Purpose.EMPLOYMENT.value]
        if r.inquirer_org_id in latest or (first is not None and r.at < _start(first)):
            continue
        latest[r.inquirer_org_id] = PastRecipient(
            r.inquirer_org_id, r.name, r.inquiry_id, r.purpose, r.at, r.told_at
        )
    return list(latest.values())


def _text(change: _Change, recipient: PastRecipient, item_kind: str, rule: RecipientRule) -> str:
    item = _ITEM.get(item_kind, "an item")
    received = (
        f"The report on a consumer you received on {recipient.received_at:%Y-%m-%d} "
        f"(your inquiry {recipient.inquiry_id}) contained {item}"
    )
    if change.what == "disputed":
        said = f"that the consumer disputes; the consumer's statement: {change.statement}"
    elif change.what == "deleted":
        said = (
            f"that was deleted on {change.until:%Y-%m-%d}, after the consumer's dispute, as "
            "inaccurate or unverifiable"
        )
    else:
        said = f"that was corrected on {change.until:%Y-%m-%d} after the consumer's dispute"
    return f"{received} {said}. ({rule.basis}.)"


def tell_recipients(
    conn: Connection,
    row: Any,
    designated: Sequence[str] | None,
    now: datetime,
    actor: str,
    rule: DisputeRule,
) -> list[str]:
    """Tell the recipients the subject designates (None: every one in the period) of the
    outcome of its dispute ``row`` (locked by the caller); the new notices' ids.

    Refused (:class:`DisputeRefused`) where the profile sets no such duty, for a dispute
    with nothing to tell (see the module), for an inquirer that received no report in
    its period (``not_a_recipient``), where nobody did (``no_recipients``), and where
    every one designated was told already (``recipients_already_told``). Those told
    already are not told twice.
    """
    recipients, change = _rule(rule), _change(conn, row, now)
    eligible = {r.inquirer_org_id: r for r in past_recipients(conn, row, now, rule)}
    wanted = list(eligible) if designated is None else list(dict.fromkeys(designated))
    if not wanted:
        raise DisputeRefused(
            "no_recipients",
            "dispute_id: rule recipients: nobody received a report on you in the period the "
            "rule sets",
        )
    unknown = sorted(set(wanted) - set(eligible))
    if unknown:
        raise DisputeRefused(
            "not_a_recipient",
            f"inquirer_org_ids: rule recipients: {', '.join(unknown)} received no report on "
            "you in the period the rule sets",
        )
    new = [eligible[org] for org in wanted if eligible[org].told_at is None]
    if not new:
        raise DisputeRefused(
            "recipients_already_told",
            "inquirer_org_ids: rule once: every recipient named was told of this dispute already",
        )
    ids = [repositories.new_id() for _ in new]
    conn.execute(
        insert(recipient_notices),
        [
            {
                "notice_id": notice_id,
                "dispute_id": row.dispute_id,
                "subject_id": row.subject_id,
                "inquirer_org_id": r.inquirer_org_id,
                "inquiry_id": r.inquiry_id,
                "text": _text(change, r, row.item_kind, recipients),
                "created_at": now,
            }
            for notice_id, r in zip(ids, new, strict=True)
        ],
    )
    audit_step(
        conn,
        row,
        "dispute.recipients_told",
        actor,
        now,
        {
            "notice_ids": ids,
            "inquirer_org_ids": [r.inquirer_org_id for r in new],
            "outcome": change.what,
        },
    )
    return ids


def recipient_notices_of(conn: Connection, inquirer_org_id: str) -> list[Any]:
    """The notices an inquirer was given about reports it received, newest first."""
    query = (
        select(recipient_notices)
        .where(recipient_notices.c.inquirer_org_id == inquirer_org_id)
        .order_by(recipient_notices.c.created_at.desc(), recipient_notices.c.notice_id)
    )
    return list(conn.execute(query))


def recipient_notices_by_id(conn: Connection, notice_ids: Sequence[str]) -> list[Any]:
    """The notices ``notice_ids``, in that order."""
    rows = conn.execute(
        select(recipient_notices).where(recipient_notices.c.notice_id.in_(list(notice_ids)))
    )
    found = {r.notice_id: r for r in rows}
    return [found[i] for i in notice_ids]
