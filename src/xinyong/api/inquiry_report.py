"""The inquirer's copy of the report for one inquiry, as JSON bytes or as the model.

The inquiry is recorded after the report is read (``inquiry``), so the store's
inquiries do not yet hold it; :func:`with_inquiry` puts it where the store's
order (newest first, then by id) would have put it, as the report read inside
the recording transaction used to show it.

JSON: for a subject of the current publication with no dispute and no
statement, the report is the stored part (``report_parts``) spliced into the
rest, read by the worker's :class:`~xinyong.api.raw_reads.RawReader` (four
indexed reads, on PostgreSQL in the holder lookup's round trip in the usual
case) and one small model serialised.
Anyone else, and the HTML and PDF copies, get the report built item by item by
``reports.build_report``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from pydantic import TypeAdapter
from sqlalchemy import Engine

from xinyong.api.models import InquiryItem, InquiryResult, Report
from xinyong.api.raw_reads import RawReader, ReportReads
from xinyong.api.report_parts import splice
from xinyong.api.reports import build_report
from xinyong.domain.inquiries import Purpose
from xinyong.policy import Profile

__all__ = [
    "RESULT_JSON",
    "built_report",
    "inquiry_item",
    "report_json",
    "result_of",
    "with_inquiry",
]

RESULT_JSON: Final = TypeAdapter(InquiryResult)


def inquiry_item(
    inquiry_id: str,
    org_id: str,
    org_name: str | None,
    purpose: Purpose,
    profile: Profile,
    at: datetime,
) -> InquiryItem | None:
    """The inquiry as the inquirer's copy lists it (``None``: prescreens are not listed)."""
    if purpose is Purpose.PRESCREEN:
        return None
    return InquiryItem(
        inquiry_id=inquiry_id,
        inquirer_org_id=org_id,
        inquirer_name=org_name,
        purpose=purpose.value,
        kind=profile.inquiry_kind(purpose.value).value,
        at=at.astimezone(UTC),  # as the store returns it
    )


def with_inquiry(items: list[InquiryItem], new: InquiryItem | None) -> list[InquiryItem]:
    """``items`` (newest first, ties by id, the store's order) with ``new`` in its place."""
    if new is None:
        return items
    at = 0
    while at < len(items) and (
        items[at].at > new.at or (items[at].at == new.at and items[at].inquiry_id < new.inquiry_id)
    ):
        at += 1
    return [*items[:at], new, *items[at:]]


def built_report(
    engine: Engine, subject_id: str, profile: Profile, now: datetime, new: InquiryItem | None
) -> Report:
    """The report built item by item from the store, with the new inquiry listed."""
    with engine.connect() as conn:
        report = build_report(conn, subject_id, profile, now, for_subject=False)
    report.inquiries = with_inquiry(report.inquiries, new)
    return report


def result_of(inquiry_id: str, purpose: Purpose, profile: Profile, report: Report) -> InquiryResult:
    """The body of a served report inquiry."""
    return InquiryResult(
        inquiry_id=inquiry_id,
        purpose=purpose.value,
        kind=profile.inquiry_kind(purpose).value,
        report=report,
    )


def report_json(
    reader: RawReader,
    engine: Engine,
    profile: Profile,
    now: datetime,
    subject_id: str,
    inquiry_id: str,
    purpose: Purpose,
    new: InquiryItem | None,
    reads: ReportReads | None = None,
) -> bytes:
    """The body of a served report inquiry, serialised: from the stored part where it
    applies, else built item by item. ``reads``: the subject's, read already with
    the holder lookup (else read here)."""
    if reads is None:
        reads = reader.report(subject_id, now, profile)
    head = reads.head
    if (
        head is None
        or head.flagged
        or head.run_id is None
        or head.accounts is None
        or head.public_records is None
    ):
        report = built_report(engine, subject_id, profile, now, new)
        return RESULT_JSON.dump_json(result_of(inquiry_id, purpose, profile, report))
    report = Report(
        subject_id=subject_id,
        subject_kind=head.kind,
        names=reads.names,
        identifiers=reads.identifiers,
        jurisdiction=profile.jurisdiction.value,
        generated_at=now,
        source="published",
        run_id=head.run_id,
        as_of=head.as_of,
        score=reads.score,
        accounts=[],
        public_records=[],
        inquiries=with_inquiry(reads.inquiries, new),
        file_statements=[],
    )
    document = RESULT_JSON.dump_json(result_of(inquiry_id, purpose, profile, report))
    return splice(document, head.accounts, head.public_records)
