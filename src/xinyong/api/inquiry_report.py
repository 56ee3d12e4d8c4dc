"""The inquirer's copy of the report for one inquiry, as JSON bytes or as the model.

The inquiry is recorded after the report is read (``inquiry``), so the store's
inquiries do not yet hold it; :func:`with_inquiry` puts it where the store's
order (newest first, then by id) would have put it, as the report read inside
the recording transaction used to show it.

JSON: for a subject of the current publication with no dispute and no
statement, the report is the stored part (``report_parts``) spliced into the
rest, read by the worker's :class:`~xinyong.api.raw_reads.RawReader` (in the
usual case in the holder lookup's statement) and serialised from plain values
by pydantic's own encoder (``pydantic_core.to_json``), with no model built: the
bytes are those the models give (same fields, same order, same encoder; the
tests compare them with the report built item by item), and validating a
dozen models per request only to serialise them cost ~26 µs against ~8 µs
(measured, a report with four reasons and one inquiry).
Anyone else, and the HTML and PDF copies, get the report built item by item by
``reports.build_report``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from operator import attrgetter, itemgetter
from typing import Any, Final, TypeVar

from pydantic import TypeAdapter
from pydantic_core import to_json
from sqlalchemy import Engine

from xinyong.api.models import InquiryItem, InquiryResult, Report
from xinyong.api.raw_reads import RawReader, ReportReads
from xinyong.api.report_facts import splice_facts
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
T = TypeVar("T")


def inquiry_item(
    inquiry_id: str,
    org_id: str,
    org_name: str | None,
    purpose: Purpose,
    profile: Profile,
    at: datetime,
) -> dict[str, Any] | None:
    """The inquiry as the inquirer's copy lists it, as ``InquiryItem`` serialises
    (``None``: prescreens are not listed)."""
    if purpose is Purpose.PRESCREEN:
        return None
    return {
        "inquiry_id": inquiry_id,
        "inquirer_org_id": org_id,
        "inquirer_name": org_name,
        "purpose": purpose.value,
        "kind": profile.inquiry_kind(purpose.value).value,
        "at": at.astimezone(UTC),  # as the store returns it
    }


def with_inquiry(
    items: list[T], new: T | None, key: Callable[[T], tuple[datetime, str]]
) -> list[T]:
    """``items`` (newest first, ties by id, the store's order) with ``new`` in its
    place; ``key`` gives an item's (at, inquiry id), so models and plain values
    (``inquiry_item``'s) go through the same ordering."""
    if new is None:
        return items
    at, inquiry_id = key(new)
    n = 0
    for item_at, item_id in map(key, items):
        if item_at < at or (item_at == at and item_id >= inquiry_id):
            break
        n += 1
    return [*items[:n], new, *items[n:]]


_MODEL_KEY: Final = attrgetter("at", "inquiry_id")
_PLAIN_KEY: Final = itemgetter("at", "inquiry_id")


def built_report(
    engine: Engine,
    subject_id: str,
    profile: Profile,
    now: datetime,
    new: dict[str, Any] | None,
) -> Report:
    """The report built item by item from the store, with the new inquiry
    (``inquiry_item``'s) listed."""
    with engine.connect() as conn:
        report = build_report(conn, subject_id, profile, now, for_subject=False)
    listed = InquiryItem.model_validate(new) if new is not None else None
    report.inquiries = with_inquiry(report.inquiries, listed, _MODEL_KEY)
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
    new: dict[str, Any] | None,
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
    # ``InquiryResult`` holding a ``Report``, field by field in the models' order;
    # with stored facts (``report_facts``), ``reads`` holds no names, identifiers
    # or score: the stored ones are spliced in.
    parties, score = head.parties, head.score
    document = to_json(
        {
            "inquiry_id": inquiry_id,
            "purpose": purpose.value,
            "kind": profile.inquiry_kind(purpose).value,
            "report": {
                "subject_id": subject_id,
                "subject_kind": head.kind,
                "names": reads.names,
                "identifiers": reads.identifiers,
                "jurisdiction": profile.jurisdiction.value,
                "generated_at": now,
                "source": "published",
                "run_id": head.run_id,
                "as_of": head.as_of,
                "score": reads.score,
                "accounts": [],
                "public_records": [],
                "inquiries": with_inquiry(reads.inquiries, new, _PLAIN_KEY),
                "file_statements": [],
            },
        }
    )
    if parties is not None and score is not None:
        document = splice_facts(document, parties, score)
    return splice(document, head.accounts, head.public_records)
