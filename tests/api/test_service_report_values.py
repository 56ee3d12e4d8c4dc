"""The report served from plain values is the bytes the models give.

``inquiry_report.report_json`` serialises the report around the stored part
from the values ``RawReader`` read (dicts shaped as ``ScoreOut`` and
``InquiryItem``), with no model built. The definition is the models: here,
values that pydantic's encoders could treat differently (non-ASCII and
control characters, quotes, line separators, microseconds and none, an empty
score, inquiries at one instant, a prescreen not listed) give byte for byte
what the same report built as ``InquiryResult`` and serialised gives.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine

from xinyong.api.inquiry_report import RESULT_JSON, inquiry_item, report_json, result_of
from xinyong.api.models import InquiryItem, Report, ScoreOut
from xinyong.api.raw_reads import Head, ReportReads
from xinyong.api.report_parts import splice
from xinyong.domain.inquiries import Purpose
from xinyong.policy import get_profile

PROFILE = get_profile("US")
NOW = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
ODD = 'Zoë "Ç" 王小明 \\ \n\t\x01 \u2028 😀 </script>'


def _score(reasons: int) -> dict[str, Any]:
    return {
        "score_id": "sc-1",
        "score": 640,
        "score_min": 300,
        "score_max": 850,
        "model_id": "demo-card",
        "model_version": "1.0.0",
        "as_of": date(2026, 4, 30),
        "ledger_snapshot": ODD,
        "computed_at": datetime(2026, 4, 30, 12, 0, tzinfo=UTC),
        "reasons": [{"rank": n, "code": f"D0{n}", "text": ODD} for n in range(1, reasons + 1)],
    }


def _inquiry(inquiry_id: str, at: datetime, name: str | None) -> dict[str, Any]:
    return {
        "inquiry_id": inquiry_id,
        "inquirer_org_id": "lender-a",
        "inquirer_name": name,
        "purpose": "credit_application",
        "kind": "hard",
        "at": at,
    }


@pytest.mark.parametrize("reasons", [None, 0, 3])
@pytest.mark.parametrize("purpose", [Purpose.CREDIT_APPLICATION, Purpose.PRESCREEN])
def test_the_report_from_values_is_the_models_bytes(reasons: int | None, purpose: Purpose) -> None:
    score = _score(reasons) if reasons is not None else None
    inquiries = [
        _inquiry("i-2", NOW, ODD),
        _inquiry("i-9", NOW, None),
        _inquiry("i-1", datetime(2026, 4, 1, tzinfo=UTC), "Lender"),
    ]
    head = Head("person", "run-1", date(2026, 4, 30), b'[{"a":1}]', b"[]", flagged=False)
    reads = ReportReads(
        "s-1", head, [ODD, "Amy"], [{"scheme": "cn_ric", "masked": ODD}], score, inquiries
    )
    new = inquiry_item("i-5", "lender-b", ODD, purpose, PROFILE, NOW)
    engine = create_engine("sqlite://")  # not read: the stored part applies
    served = report_json(None, engine, PROFILE, NOW, "s-1", "i-5", purpose, new, reads)  # type: ignore[arg-type]

    listed = [InquiryItem.model_validate(i) for i in inquiries]
    if new is not None:  # newest first, ties by id: after i-2, before i-9
        listed.insert(1, InquiryItem.model_validate(new))
    report = Report(
        subject_id="s-1",
        subject_kind="person",
        names=[ODD, "Amy"],
        identifiers=[{"scheme": "cn_ric", "masked": ODD}],
        jurisdiction=PROFILE.jurisdiction.value,
        generated_at=NOW,
        source="published",
        run_id="run-1",
        as_of=date(2026, 4, 30),
        score=ScoreOut.model_validate(score) if score is not None else None,
        accounts=[],
        public_records=[],
        inquiries=listed,
        file_statements=[],
    )
    document = RESULT_JSON.dump_json(result_of("i-5", purpose, PROFILE, report))
    assert served == splice(document, b'[{"a":1}]', b"[]")
