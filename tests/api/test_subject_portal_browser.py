"""The subject portal as a person uses it: the real server, headless chromium.

The service runs under uvicorn on a loopback port over the seeded SQLite store
of ``conftest.world`` (US profile). A subject opens the portal, is sent to the
sign-in page, types the one-time code, reads the report, grants and revokes a
consent, files a dispute on the account, adds information to it, asks how it was
reinvestigated once it is answered, adds a statement, and signs out; the
test reads what the pages show at each step, checks that the session cookie is
HttpOnly (script cannot read it), SameSite=Strict and scoped to the portal, and
that no page logged a console error or got an error response along the way.

Skips when Playwright or chromium is absent (see ``browser_testkit``).
"""

from __future__ import annotations

from typing import Any

import pytest
from api_testkit import NAME_1, World
from browser_testkit import Watch, sections, serve

from xinyong.api.portal_session import SESSION_COOKIE
from xinyong.api.subject_auth import issue_code
from xinyong.store.engine import transaction


@pytest.fixture
def backend() -> str:
    """The real server runs on the embedded default store only."""
    return "sqlite"


@pytest.fixture
def jurisdiction() -> str:
    return "US"


def click(page: Any, selector: str, lands_on: str) -> None:
    """Click what navigates (a link, a form's button) and wait until ``lands_on`` has loaded,
    so that what is read next is the new page, not the one being left."""
    with page.expect_navigation(url=lands_on):
        page.click(selector)


def dispute_id(page: Any) -> str:
    """The id of the only dispute listed on the disputes page."""
    (cell,) = page.locator("#disputes td.id").all_inner_texts()
    return str(cell)


def test_a_subject_signs_in_manages_consents_disputes_and_signs_out(
    browser: Any, world: World
) -> None:
    w = world
    with transaction(w.engine) as conn:
        code = issue_code(conn, w.subject1, now=w.clock.now)
    with serve(w.client.app) as base:
        context = browser.new_context(base_url=base)
        page = context.new_page()
        watch = Watch()
        watch.attach(page)
        try:
            page.goto("/portal/report")
            assert page.url == f"{base}/portal/sign-in"  # no session: sent to sign in
            page.fill("#code", code)
            click(page, "button:text('Sign in')", f"{base}/portal/report")
            assert page.locator("#subject tr:has(th:text-is('Name')) td").inner_text() == NAME_1

            # The session cookie: HttpOnly, SameSite=Strict, scoped to the portal.
            (cookie,) = [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
            assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
            assert cookie["path"] == "/portal" and cookie["expires"] > 0
            assert page.evaluate("document.cookie") == ""  # script cannot read it

            # Grant a consent, then revoke it.
            click(page, "nav >> text=Consents", f"{base}/portal/consents")
            page.fill("#inquirer_org_id", "lender-a")
            page.select_option("#purpose", "employment")
            click(
                page, "button:text('Grant consent')", f"{base}/portal/consents?done=consent_granted"
            )
            assert page.locator("[role=status]").inner_text() == "Consent granted."
            rows = sections(page)["Consents"]
            assert len(rows) == 2 and "lender-a employment" in rows[1] and "active" in rows[1]
            click(page, "button:text('Revoke')", f"{base}/portal/consents?done=consent_revoked")
            assert page.locator("[role=status]").inner_text() == "Consent revoked."
            assert "revoked" in sections(page)["Consents"][1]
            assert page.locator("button:text('Revoke')").count() == 0

            # File a dispute on the account, chosen from the file's items.
            click(page, "nav >> text=Disputes", f"{base}/portal/disputes")
            page.select_option("#item", f"account:{w.account1}")
            page.fill("#reason", "The balance is wrong: I paid it off")
            click(page, "button:text('File dispute')", f"{base}/portal/disputes?done=dispute_filed")
            assert "marked as disputed" in page.locator("[role=status]").inner_text()
            (row,) = sections(page)["Disputes"][1:]
            assert w.account1 in row and "The balance is wrong" in row and "forwarded" in row
            # FCRA 611(a)(2)(A): the furnisher's notification, shown and already sent.
            (notice,) = sections(page)["Notices"][1:]
            assert "furnisher" in notice and "BANK-A (bank-a)" in notice

            # Add information to it: passed on, and (FCRA 611(a)(1)(B)) 15 more days.
            assert "2026-06-10" in sections(page)["Disputes"][1]
            page.fill("#add-information textarea", "My bank statement of March shows the payment")
            click(
                page,
                "button:text('Add information')",
                f"{base}/portal/disputes?done=information_added",
            )
            assert "passed on" in page.locator("[role=status]").inner_text()
            assert "2026-06-25" in sections(page)["Disputes"][1]
            # An empty form is refused by the browser before it is sent (required).
            page.click("button:text('Add information')")
            assert page.url == f"{base}/portal/disputes?done=information_added"

            # Once answered, ask how it was reinvestigated (FCRA 611(a)(7)): owed in 15 days.
            assert page.locator("#ask-procedure").count() == 0  # not while it is open
            answered = w.client.post(
                f"/v1/furnisher/disputes/{dispute_id(page)}/response",
                json={"outcome": "verify"},
                headers=w.auth("furnisher"),
            )
            assert answered.status_code == 200, answered.text
            click(page, "nav >> text=Disputes", f"{base}/portal/disputes")
            assert "verified" in sections(page)["Disputes"][1]
            click(
                page,
                "button:text('Ask how it was reinvestigated')",
                f"{base}/portal/disputes?done=procedure_requested",
            )
            assert "Request recorded" in page.locator("[role=status]").inner_text()
            (procedure,) = [
                r for r in sections(page)["Notices"] if "was reinvestigated, as you asked" in r
            ]
            assert "BANK-A (bank-a)" in procedure and "2026-05-26" in procedure
            assert page.locator("button:text('Ask how it was reinvestigated')").count() == 0

            # A statement on the whole file; the report shows it and the dispute.
            click(page, "nav >> text=Statements", f"{base}/portal/statements")
            page.fill("#text", "I was abroad in 2024.")
            click(
                page,
                "button:text('Add statement')",
                f"{base}/portal/statements?done=statement_added",
            )
            assert "your whole file I was abroad in 2024." in sections(page)["Statements"][1]
            click(page, "nav >> text=Report", f"{base}/portal/report")
            seen = sections(page)
            assert any("I was abroad in 2024." in r for r in seen["Statements"])
            assert any(w.account1 in r for r in seen["Your disputes"])

            click(page, "nav >> text=Inquiries", f"{base}/portal/inquiries")
            assert sections(page)["Inquiries"]  # the heading and the table (or its note)

            # Sign out: back to sign-in, and the old session opens nothing.
            click(page, "button:text('Sign out')", f"{base}/portal/sign-in?done=signed_out")
            assert page.locator("[role=status]").inner_text() == "You are signed out."
            assert [c for c in context.cookies() if c["name"] == SESSION_COOKIE] == []
            context.add_cookies([cookie])  # as if the browser had kept it
            page.goto("/portal/consents")
            assert page.url == f"{base}/portal/sign-in"
            assert watch.problems == []
        finally:
            context.close()
