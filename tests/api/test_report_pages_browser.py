"""The report pages as a user sees them: the real server, headless chromium.

The service runs under uvicorn on a loopback port over the seeded SQLite store
of ``conftest.world`` (US profile), with files published and a score stored
(``reports_testkit``). The subject signs in with a one-time code and, through
the real server, disputes the card and adds statements; the inquirer pulls a
report for a credit application. Then chromium opens the HTML pages, and the
test reads what is visible: every item with its status, the score and its
reasons, the inquiries, the dispute flag, each statement beside its item, the
Han name drawn in a real font, no console error or failed request, a layout
that holds from a phone to a desktop, the same text without JavaScript, the
print stylesheet, the PDF link.

Skips when Playwright or chromium is absent (see ``browser_testkit``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from api_testkit import NAME_1, RIC_1, World
from browser_testkit import (
    Watch,
    overflowing,
    png_is_blank,
    sections,
    serve,
    tofu,
)
from pypdf import PdfReader
from reports_testkit import REASONS, publish_world, store_score

from xinyong.api.subject_auth import issue_code
from xinyong.store.engine import transaction

STATEMENT_ON_RECORD = "<b>不是我的</b> — this judgment was paid & closed in 2024"
STATEMENT_ON_FILE = "I was abroad from 2023 to 2024; <i>see</i> my letter"
DISPUTE_REASON = "The balance is wrong: I paid it off"
ASK = {"identifier": {"scheme": "cn_ric", "value": RIC_1}}


@pytest.fixture
def backend() -> str:
    """The real server runs on the embedded default store only."""
    return "sqlite"


@pytest.fixture
def jurisdiction() -> str:
    return "US"


@dataclass
class Site:
    world: World
    base: str
    subject_token: str
    account_id: str
    record_id: str
    report: dict[str, Any]

    def headers(self, who: str) -> dict[str, str]:
        token = self.subject_token if who == "subject" else self.world.tokens[who]
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def site(world: World, tmp_path: Path, browser: Any) -> Iterator[Site]:
    """The seeded world served for real, after the subject's and the inquirer's steps."""
    w = world
    publish_world(w.engine, w, tmp_path)
    store_score(w.engine, w.subject1)
    with transaction(w.engine) as conn:
        code = issue_code(conn, w.subject1, now=w.clock.now)
    with serve(w.client.app) as base:
        api = browser.new_context(base_url=base).request
        try:
            r = api.post("/v1/subject/session", data={"code": code})
            assert r.status == 201, r.text()
            token = r.json()["token"]
            subject = {"Authorization": f"Bearer {token}"}
            inquirer = w.auth("inquirer")
            r = api.post(
                "/v1/inquirer/inquiries", data=ASK | {"purpose": "prescreen"}, headers=inquirer
            )
            assert r.status == 200, r.text()
            r = api.get("/v1/subject/report", headers=subject)
            assert r.status == 200, r.text()
            report = r.json()["report"]
            account_id = report["accounts"][0]["account_id"]
            record_id = report["public_records"][0]["record_id"]
            for path, body in (
                (
                    "disputes",
                    {"item_kind": "account", "item_id": account_id, "reason": DISPUTE_REASON},
                ),
                (
                    "statements",
                    {
                        "item_kind": "public_record",
                        "item_id": record_id,
                        "text": STATEMENT_ON_RECORD,
                    },
                ),
                ("statements", {"text": STATEMENT_ON_FILE}),
            ):
                r = api.post(f"/v1/subject/{path}", data=body, headers=subject)
                assert r.status == 201, r.text()
            r = api.get("/v1/subject/report", headers=subject)
            yield Site(w, base, token, account_id, record_id, r.json()["report"])
        finally:
            api.dispose()


def open_report(
    browser: Any, site: Site, who: str, *, javascript: bool = True
) -> tuple[Any, Watch]:
    """The HTML report in a fresh browser context, as ``subject`` or ``inquirer`` sees it.

    The inquirer's report is the answer to a POST (each one an inquiry), so the
    navigation is turned into that POST on its way out.
    """
    context = browser.new_context(
        base_url=site.base,
        extra_http_headers=site.headers(who),
        java_script_enabled=javascript,
    )
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    if who == "subject":
        page.goto("/v1/subject/report?format=html")
    else:
        body = ASK | {"purpose": "credit_application"}
        url = f"{site.base}/v1/inquirer/inquiries?format=html"
        page.route(
            url,
            lambda route: route.continue_(
                method="POST",
                post_data=json.dumps(body),
                headers={**route.request.headers, "content-type": "application/json"},
            ),
        )
        page.goto(url)
    return page, watch


def pdf_text(data: bytes) -> str:
    """The text of a PDF (WeasyPrint's two-byte glyph codes come out with NULs between)."""
    assert data.startswith(b"%PDF")
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace(
        "\x00", ""
    )


def test_subject_page_shows_the_whole_file(browser: Any, site: Site, tmp_path: Path) -> None:
    page, watch = open_report(browser, site, "subject")
    report = site.report
    seen = sections(page)
    assert list(seen) == [
        "Subject", "Score", "Accounts", "Public records", "Inquiries", "Statements", "Your disputes"
    ]  # fmt: skip

    # The Han name is drawn in a font that has it, not as boxes.
    name = "#subject tr:has(th:text-is('Name')) td"
    assert page.locator(name).inner_text() == NAME_1
    assert tofu(page, name) == [], (
        "the name is drawn as missing-glyph boxes: install a CJK font (fonts-wqy-microhei)"
    )

    # The score and every reason, in rank order.
    assert "Score 612" in seen["Score"] and "Range 300 to 850" in seen["Score"]
    reasons = [row for row in seen["Score"] if row[:1].isdigit()]
    assert reasons == [f"{rank} {code} {text}" for rank, (code, text) in enumerate(REASONS, 1)]

    # Every account with its status in words, the disputed one flagged.
    assert [a["account_id"] for a in report["accounts"]] == [site.account_id]
    for a in report["accounts"]:
        table = page.locator(f"#accounts table:has(td:text-is('{a['account_id']}'))")
        assert table.is_visible()
        text = " ".join(table.inner_text().split())
        assert "11 — Current account (0-29 days past the due date)" in text
        assert "R/18 — Revolving, Credit card" in text
        flag = table.locator(".flag")
        assert flag.inner_text() == "disputed" and flag.is_visible()
        assert flag.evaluate("e => getComputedStyle(e).color") != page.locator("body").evaluate(
            "e => getComputedStyle(e).color"
        )

    # Every public record with its status, and the subject's statement right under it,
    # shown as text (the markup in it neither runs nor is escaped twice).
    records = seen["Public records"]
    assert [p["record_id"] for p in report["public_records"]] == [site.record_id]
    for p in report["public_records"]:
        row = next(r for r in records if r.startswith(p["record_id"]))
        assert "court judgment Court <of> Beijing & Co" in row and " active " in row
        after = records[records.index(row) + 1]
        assert after == f"Statement {STATEMENT_ON_RECORD}"
    assert seen["Statements"] == [f"2026-05-11 09:00 UTC {STATEMENT_ON_FILE}"]

    # Who asked, when and why: here the prescreen, which only the subject sees.
    inquiries = seen["Inquiries"][1:]
    assert inquiries == [
        f"2026-05-11 09:00 UTC lender-a LENDER-A prescreen soft {i['inquiry_id']}"
        for i in report["inquiries"]
    ]
    assert len(inquiries) == 1

    [dispute] = seen["Your disputes"][1:]
    assert f"account {site.account_id} {DISPUTE_REASON} forwarded" in dispute

    assert watch.problems == []
    for width in (1280, 820, 390):
        page.set_viewport_size({"width": width, "height": 900})
        assert overflowing(page) == [], width
    shot = tmp_path / "subject-report.png"
    page.screenshot(path=shot, full_page=True)
    assert not png_is_blank(shot.read_bytes())

    # The PDF link fetches this report as a PDF (which the browser then shows:
    # the response is kept on its way in, as chromium's viewer does not hand it back).
    fetched: list[Any] = []

    def keep(route: Any) -> None:
        fetched.append(route.fetch())
        route.fulfill(response=fetched[-1])

    page.route("**/v1/subject/report?format=pdf", keep)
    page.get_by_role("link", name="This report as PDF").click()
    page.wait_for_url("**/v1/subject/report?format=pdf")
    [pdf] = fetched
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.body()).split())
    for fact in (report["subject_id"], "Score 612", "D05", DISPUTE_REASON, NAME_1):
        assert fact in text, fact
    assert watch.problems == []
    page.context.close()


def test_inquirer_page_shows_nothing_the_subject_page_does_not(browser: Any, site: Site) -> None:
    inquirer_page, inquirer_watch = open_report(browser, site, "inquirer")
    theirs = sections(inquirer_page)
    subject_page, subject_watch = open_report(browser, site, "subject")
    mine = sections(subject_page)

    assert "This inquiry" in theirs and "Your disputes" not in theirs
    assert inquirer_page.get_by_role("link", name="This report as PDF").count() == 0
    assert theirs["Accounts"] and theirs["Public records"] and theirs["Score"]
    for title, rows in theirs.items():
        if title == "This inquiry":
            continue
        assert title in mine, f"section {title!r} is missing from the subject's copy"
        missing = [row for row in rows if row not in mine[title]]
        assert missing == [], f"{title}: the subject's copy lacks {missing}"
    # The inquiry the inquirer's copy is the answer to is in the subject's list of inquiries.
    inquiry_id = theirs["This inquiry"][0].removeprefix("Inquiry ")
    [row] = [r for r in mine["Inquiries"] if r.endswith(inquiry_id)]
    assert "LENDER-A credit_application hard" in row
    assert len(mine["Inquiries"]) == len(theirs["Inquiries"]) + 1  # the prescreen
    assert inquirer_watch.problems == [] and subject_watch.problems == []
    for page in (inquirer_page, subject_page):
        page.context.close()


def test_pages_need_no_javascript_and_print_on_landscape_a4(
    browser: Any, site: Site, tmp_path: Path
) -> None:
    page, watch = open_report(browser, site, "subject")
    assert page.locator("script").count() == 0
    without_js, _ = open_report(browser, site, "subject", javascript=False)
    assert without_js.inner_text("body") == page.inner_text("body")
    without_js.context.close()

    # The print stylesheet: no download link on paper, every section still there.
    link = page.get_by_role("link", name="This report as PDF")
    assert link.is_visible()
    screen_size = page.locator("body").evaluate("e => getComputedStyle(e).fontSize")
    page.emulate_media(media="print")
    assert not link.is_visible()
    assert page.locator("body").evaluate("e => getComputedStyle(e).fontSize") != screen_size
    assert all(page.locator(f"section#{s}").is_visible() for s in ("score", "accounts", "disputes"))
    printed = PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True)))
    box = printed.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape, from @page
    assert watch.problems == []
    page.context.close()


def test_adverse_action_notice_page(browser: Any, site: Site, tmp_path: Path) -> None:
    context = browser.new_context(base_url=site.base, extra_http_headers=site.headers("inquirer"))
    r = context.request.post("/v1/inquirer/inquiries", data=ASK | {"purpose": "credit_application"})
    assert r.status == 200, r.text()
    inquiry_id = r.json()["inquiry_id"]
    page = context.new_page()
    watch = Watch()
    watch.attach(page)
    page.goto(f"/v1/inquirer/inquiries/{inquiry_id}/adverse-action-notice?format=html")
    seen = sections(page)
    assert list(seen) == [
        "This notice", "Your credit score", "Key factors that adversely affected your score",
        "The credit bureau", "Your rights",
    ]  # fmt: skip
    assert f"Notice for inquiry {inquiry_id}" in seen["This notice"]
    assert "Score 612" in seen["Your credit score"]
    factors = seen["Key factors that adversely affected your score"]
    assert factors[1].startswith("1 D01 ") and len(seen["Your rights"]) >= 3
    assert overflowing(page) == []
    shot = tmp_path / "notice.png"
    page.screenshot(path=shot)
    assert not png_is_blank(shot.read_bytes())
    assert watch.problems == []
    context.close()
