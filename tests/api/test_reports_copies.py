"""One report model, three formats; the subject's copy shows all the inquirer's copy shows.

Runs on the US profile (no consent needed for a credit application) with
files published from a ledger built in code and a stored score.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from api_testkit import RIC_1, World
from pypdf import PdfReader
from reports_testkit import publish_world, store_score
from sqlalchemy import insert

from xinyong.store.engine import transaction
from xinyong.store.schema import consumer_statements, disputes


@pytest.fixture
def jurisdiction() -> str:
    return "US"


@pytest.fixture
def published(world: World, tmp_path: Path) -> World:
    publish_world(world.engine, world, tmp_path)
    store_score(world.engine, world.subject1)
    return world


def inquire(w: World, fmt: str | None = None, purpose: str = "credit_application") -> Any:
    payload = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": purpose}
    params = {"format": fmt} if fmt else {}
    r = w.client.post(
        "/v1/inquirer/inquiries", json=payload, params=params, headers=w.auth("inquirer")
    )
    assert r.status_code == 200, r.text
    return r


def own(w: World, fmt: str | None = None, accept: str | None = None) -> Any:
    headers = w.auth("subject") | ({"Accept": accept} if accept else {})
    params = {"format": fmt} if fmt else {}
    r = w.client.get("/v1/subject/report", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r


class _Cells(HTMLParser):
    """The text of every table cell: where the report's facts are."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "td":
            self._depth += 1
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._depth:
            self._depth -= 1
            self.cells.append(" ".join("".join(self._text).split()))

    def handle_data(self, data: str) -> None:
        if self._depth:
            self._text.append(data)


def cells(html: str) -> list[str]:
    parser = _Cells()
    parser.feed(html)
    return parser.cells


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    # pypdf reads the two-byte glyph codes of WeasyPrint's fonts with NULs between characters.
    return re.sub(r"\s+", "", text.replace("\x00", ""))


def test_report_comes_from_published_files_with_score(published: World) -> None:
    w = published
    report = inquire(w).json()["report"]
    assert report["source"] == "published" and report["run_id"] == "run-1"
    assert report["as_of"] == "2026-05-01"
    # The deleted card is published but not shown; the live card carries its history.
    assert [a["account_number_masked"] for a in report["accounts"]] == [None]
    card = report["accounts"][0]
    assert card["account_id"].startswith("A") and card["current_balance_minor"] == 123400
    assert card["history"].endswith("10000") and card["history_first_month"] == "2024-12-01"
    assert [p["authority"] for p in report["public_records"]] == ["Court <of> Beijing & Co"]
    score = report["score"]
    assert (score["score"], score["score_min"], score["score_max"]) == (612, 300, 850)
    assert [r["code"] for r in score["reasons"]] == ["D01", "D02", "D03", "D04", "D05", "D06"]
    assert score["model_version"] == "1.0.0" and score["ledger_snapshot"] == "snap-1"


def test_subject_copy_shows_everything_the_inquirer_copy_shows(published: World) -> None:
    w = published
    inquirer_json = inquire(w).json()["report"]
    inquirer_html = inquire(w, "html")
    inquirer_pdf = inquire(w, "pdf")
    inquire(w, purpose="prescreen")  # only the subject sees prescreens
    assert inquirer_html.headers["content-type"].startswith("text/html")
    assert inquirer_pdf.headers["content-type"] == "application/pdf"

    subject_json = own(w).json()["report"]
    for key, value in inquirer_json.items():
        if key != "inquiries":
            assert subject_json[key] == value, key
    seen = {i["inquiry_id"]: i for i in subject_json["inquiries"]}
    assert all(seen[i["inquiry_id"]] == i for i in inquirer_json["inquiries"])
    assert "prescreen" in {i["purpose"] for i in seen.values()}
    assert "prescreen" not in {i["purpose"] for i in inquirer_json["inquiries"]}

    subject_cells = set(cells(own(w, "html").text))
    assert subject_cells == set(cells(own(w, accept="text/html").text))
    facts = cells(inquirer_html.text)
    assert facts and [f for f in facts if f not in subject_cells] == []
    # The HTML shows the model: the JSON's facts are all in the inquirer's page.
    for fact in ("612", "300 to 850", "1,234.00 CNY", "Court <of> Beijing & Co", "D05"):
        assert fact in facts, fact

    subject_pdf = pdf_text(own(w, "pdf").content)
    inquirer_pdf_text = pdf_text(inquirer_pdf.content)
    # No CJK font is installed here, so Han names cannot be extracted from the PDF.
    latin = [re.sub(r"\s+", "", f) for f in facts if f.isascii()]
    assert [f for f in latin if f not in inquirer_pdf_text] == []
    assert [f for f in latin if f not in subject_pdf] == []


def test_html_escapes_free_text(published: World) -> None:
    w = published
    with transaction(w.engine) as conn:
        conn.execute(
            insert(consumer_statements).values(
                statement_id="st-1",
                subject_id=w.subject1,
                text="<script>alert(1)</script> not mine",
                created_at=w.clock.now - timedelta(hours=1),
            )
        )
    page = inquire(w, "html").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; not mine" in page
    assert "Court &lt;of&gt; Beijing &amp; Co" in page


def test_item_under_an_overdue_dispute_is_hidden_from_both_copies(published: World) -> None:
    w = published
    record = inquire(w).json()["report"]["public_records"][0]["record_id"]
    with transaction(w.engine) as conn:
        conn.execute(
            insert(disputes).values(
                dispute_id="d-1",
                subject_id=w.subject1,
                item_kind="public_record",
                item_id=record,
                reason="not mine",
                status="open",
                opened_at=w.clock.now - timedelta(days=40),
                due_at=w.clock.now - timedelta(days=10),
            )
        )
    assert inquire(w).json()["report"]["public_records"] == []
    assert own(w).json()["report"]["public_records"] == []
    assert [d["dispute_id"] for d in own(w).json()["disputes"]] == ["d-1"]


def test_item_under_an_open_dispute_is_flagged(published: World) -> None:
    w = published
    account = inquire(w).json()["report"]["accounts"][0]["account_id"]
    with transaction(w.engine) as conn:
        conn.execute(
            insert(disputes).values(
                dispute_id="d-2",
                subject_id=w.subject1,
                item_kind="account",
                item_id=account,
                reason="balance wrong",
                status="open",
                opened_at=w.clock.now,
                due_at=w.clock.now + timedelta(days=30),
            )
        )
    assert [a["disputed"] for a in inquire(w).json()["report"]["accounts"]] == [True]
    assert "disputed" in cells(inquire(w, "html").text)


def test_unknown_format_is_a_400(published: World) -> None:
    w = published
    payload = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"}
    r = w.client.post("/v1/inquirer/inquiries?format=xml", json=payload, headers=w.auth("inquirer"))
    assert r.status_code == 400 and r.json()["error"]["code"] == "format_unknown"


def test_format_negotiation() -> None:
    from xinyong.api.render import negotiate

    assert negotiate(None, None) == "json"
    assert negotiate(None, "text/html,application/xhtml+xml;q=0.9") == "html"
    assert negotiate(None, "application/pdf") == "pdf"
    assert negotiate("json", "text/html") == "json"  # the query wins
    with pytest.raises(ValueError, match="format must be json, html or pdf"):
        negotiate("xml", None)


def test_an_identifier_of_a_merged_subject_reaches_the_surviving_one(published: World) -> None:
    from sqlalchemy import update

    from xinyong.store.schema import subjects

    w = published
    with transaction(w.engine) as conn:
        conn.execute(
            update(subjects)
            .where(subjects.c.subject_id == w.subject2)
            .values(status="merged", merged_into=w.subject1)
        )
    payload = {
        "identifier": {"scheme": "cn_ric", "value": "440524188001010014"},
        "purpose": "credit_application",
    }
    r = w.client.post("/v1/inquirer/inquiries", json=payload, headers=w.auth("inquirer"))
    assert r.status_code == 200, r.text
    assert r.json()["report"]["subject_id"] == w.subject1
