"""The subject portal over HTTP: cookie session, CSRF, every page and form, sign-out.

Runs on SQLite and PostgreSQL (``conftest.world``, US profile so that the
statement word limit applies). The browser itself is in
``test_subject_portal_browser.py``; here the server's answers are read directly:
the cookie's attributes, the redirects, the status of every refusal, and what
the store and the audit chain hold afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_testkit import NAME_1, NAME_2, World
from fastapi.testclient import TestClient
from sqlalchemy import select

from xinyong.api.portal_session import SESSION_COOKIE, SIGN_IN_COOKIE
from xinyong.api.subject_auth import issue_code
from xinyong.audit import chain
from xinyong.store.dispute_schema import dispute_information, dispute_notices
from xinyong.store.engine import transaction
from xinyong.store.schema import consents, consumer_statements, disputes

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def jurisdiction() -> str:
    return "US"


def browser(w: World, base_url: str = "http://testserver") -> TestClient:
    """A client of its own (its own cookie jar) on the world's app, not following redirects."""
    return TestClient(w.client.app, base_url=base_url, follow_redirects=False)


def code_for(w: World, subject_id: str) -> str:
    with transaction(w.engine) as conn:
        return issue_code(conn, subject_id, now=w.clock.now)


def sign_in(client: TestClient, code: str) -> str:
    """Sign in through the form; the CSRF token of the session's pages."""
    form = client.get("/portal/sign-in")
    assert form.status_code == 200
    nonce = CSRF.search(form.text)
    assert nonce is not None
    r = client.post("/portal/sign-in", data={"code": code, "csrf": nonce.group(1)})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/portal/report"
    return csrf_of(client, "/portal/consents")


def csrf_of(client: TestClient, page: str) -> str:
    r = client.get(page)
    assert r.status_code == 200, r.text
    found = CSRF.search(r.text)
    assert found is not None
    return found.group(1)


@pytest.fixture
def subject(world: World) -> Iterator[tuple[TestClient, str]]:
    client = browser(world)
    csrf = sign_in(client, code_for(world, world.subject1))
    yield client, csrf
    client.close()


def set_cookies(response_headers: list[tuple[str, str]]) -> dict[str, str]:
    return {v.split("=", 1)[0]: v for k, v in response_headers if k.lower() == "set-cookie"}


def test_the_session_cookie_is_httponly_strict_scoped_and_expires_with_the_session(
    world: World,
) -> None:
    for base, secure in (("http://testserver", False), ("https://testserver", True)):
        client = browser(world, base)
        form = client.get("/portal/sign-in")
        pre = set_cookies(form.headers.multi_items())[SIGN_IN_COOKIE]
        assert "HttpOnly" in pre and "SameSite=strict" in pre and "Path=/portal" in pre
        nonce = CSRF.search(form.text)
        assert nonce is not None
        code = code_for(world, world.subject1)
        r = client.post("/portal/sign-in", data={"code": code, "csrf": nonce.group(1)})
        assert r.status_code == 303
        cookie = set_cookies(r.headers.multi_items())[SESSION_COOKIE]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/portal" in cookie
        assert "Max-Age=1800" in cookie  # the session's 30 minutes
        assert ("Secure" in cookie) is secure
        assert r.headers["cache-control"] == "no-store"
        client.close()


def test_a_subject_uses_every_page_and_signs_out(
    world: World, subject: tuple[TestClient, str]
) -> None:
    w = world
    client, csrf = subject
    page = client.get("/portal/report")
    assert page.status_code == 200
    assert NAME_1 in page.text and NAME_2 not in page.text
    assert 'href="/portal/disputes"' in page.text and "Sign out" in page.text
    assert page.headers["x-frame-options"] == "DENY"
    pdf = client.get("/portal/report?format=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # A consent granted, then revoked.
    r = client.post(
        "/portal/consents",
        data={"csrf": csrf, "inquirer_org_id": "lender-a", "purpose": "employment"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/portal/consents?done=consent_granted"
    with w.engine.connect() as conn:
        consent = conn.execute(
            select(consents).where(
                consents.c.subject_id == w.subject1, consents.c.purpose == "employment"
            )
        ).one()
    assert consent.revoked_at is None and "subject portal" in consent.evidence
    listed = client.get(r.headers["location"])
    assert consent.consent_id in listed.text and "Consent granted." in listed.text
    r = client.post(f"/portal/consents/{consent.consent_id}/revoke", data={"csrf": csrf})
    assert r.status_code == 303
    with w.engine.connect() as conn:
        revoked = conn.execute(
            select(consents.c.revoked_at).where(consents.c.consent_id == consent.consent_id)
        ).scalar_one()
    assert revoked is not None
    assert "revoked" in client.get("/portal/consents").text

    # A dispute on the account, picked from the file's items.
    items = client.get("/portal/disputes").text
    assert f'value="account:{w.account1}"' in items and 'value="identity:"' in items
    r = client.post(
        "/portal/disputes",
        data={"csrf": csrf, "item": f"account:{w.account1}", "reason": "The balance is wrong"},
    )
    assert r.status_code == 303, r.text
    with w.engine.connect() as conn:
        dispute = conn.execute(select(disputes).where(disputes.c.subject_id == w.subject1)).one()
    assert (dispute.item_kind, dispute.item_id) == ("account", w.account1)
    shown = client.get("/portal/disputes").text
    assert dispute.dispute_id in shown and "The balance is wrong" in shown
    assert f"<td>{dispute.status}" in shown

    # A statement on the public record, shown beside it.
    r = client.post(
        "/portal/statements",
        data={"csrf": csrf, "item": f"public_record:{w.record1}", "text": "Paid in 2024."},
    )
    assert r.status_code == 303, r.text
    statements = client.get("/portal/statements").text
    assert "Paid in 2024." in statements and "Public record" in statements

    # Inquiries: the subject's own report requests are listed, who, when and why.
    inquiries = client.get("/portal/inquiries")
    assert inquiries.status_code == 200 and "<h1>Inquiries" in inquiries.text

    # Sign-out ends the session on the server: the token is refused by the API too.
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    r = client.post("/portal/sign-out", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/portal/sign-in?done=signed_out"
    assert "Max-Age=0" in set_cookies(r.headers.multi_items())[SESSION_COOKIE]
    api = w.client.get("/v1/subject/file", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    client.cookies.set(SESSION_COOKIE, token, path="/portal")
    again = client.get("/portal/report")
    assert again.status_code == 303 and again.headers["location"] == "/portal/sign-in"
    with w.engine.connect() as conn:
        actions = [e.action for e in chain.iter_events(conn)]
    for action in ("consent.granted", "consent.revoked", "dispute.opened", "statement.added"):
        assert action in actions
    assert actions.count("subject.signed_out") == 1


def test_forms_need_the_sessions_csrf_token(world: World, subject: tuple[TestClient, str]) -> None:
    w = world
    client, csrf = subject
    other = browser(w)
    other_csrf = sign_in(other, code_for(w, w.subject2))
    body = {"inquirer_org_id": "lender-a", "purpose": "employment"}
    altered = csrf[:-1] + ("1" if csrf.endswith("0") else "0")
    for sent in ({}, {"csrf": ""}, {"csrf": other_csrf}, {"csrf": altered}):
        r = client.post("/portal/consents", data=body | sent)
        assert r.status_code == 403, sent
        assert "csrf" in r.text
    # Not a form at all (a JSON body has no CSRF field either).
    assert client.post("/portal/consents", json=body | {"csrf": csrf}).status_code == 403
    with w.engine.connect() as conn:
        assert conn.execute(select(consents).where(consents.c.purpose == "employment")).all() == []
    # Sign-in needs the nonce of its own form's cookie.
    fresh = browser(w)
    code = code_for(w, w.subject1)
    r = fresh.post("/portal/sign-in", data={"code": code, "csrf": "guess"})
    assert r.status_code == 403 and SESSION_COOKIE not in fresh.cookies
    other.close()
    fresh.close()


def test_bad_input_is_refused_by_field_and_rule(
    world: World, subject: tuple[TestClient, str]
) -> None:
    w = world
    client, csrf = subject
    cases = [
        ("/portal/consents", {"inquirer_org_id": "nobody", "purpose": "employment"}, 404,
         "no inquirer with this id"),
        ("/portal/consents", {"inquirer_org_id": "lender-a", "purpose": "fun"}, 422, "purpose"),
        ("/portal/consents",
         {"inquirer_org_id": "lender-a", "purpose": "employment", "expires_on": "31/12/2026"},
         422, "expires_on: not a date"),
        ("/portal/disputes", {"item": "account:acct-2", "reason": "not mine"}, 404,
         "no such item in your file"),
        ("/portal/disputes", {"item": "", "reason": "x"}, 422, "item_kind"),
        ("/portal/disputes", {"item": "identity:", "reason": ""}, 422, "reason"),
        ("/portal/statements", {"text": "word " * 101}, 422, "100"),
        ("/portal/consents/no-such-consent/revoke", {}, 404, "no such consent"),
    ]  # fmt: skip
    for path, body, status, says in cases:
        r = client.post(path, data=body | {"csrf": csrf})
        assert r.status_code == status, (path, body, r.text[:200])
        assert says in r.text, (path, body)
        assert 'role="alert"' in r.text
    with w.engine.connect() as conn:
        assert conn.execute(select(disputes)).all() == []
        assert conn.execute(select(consumer_statements)).all() == []


def test_information_is_added_to_an_open_dispute_by_the_apis_service(
    world: World, subject: tuple[TestClient, str]
) -> None:
    """The API's ``add_information`` behind a form: CSRF, post/redirect/get, its refusals
    re-rendered with its message; under the FCRA the deadline is extended once."""
    w = world
    client, csrf = subject
    r = client.post(
        "/portal/disputes",
        data={"csrf": csrf, "item": f"account:{w.account1}", "reason": "The balance is wrong"},
    )
    assert r.status_code == 303, r.text
    with w.engine.connect() as conn:
        dispute = conn.execute(select(disputes).where(disputes.c.subject_id == w.subject1)).one()
    page = client.get("/portal/disputes").text
    action = f'action="/portal/disputes/{dispute.dispute_id}/information"'
    assert action in page
    # The furnisher's notification (FCRA 611(a)(2)(A)) is shown, sent with the filing.
    assert "<td>furnisher</td>" in page and "611(a)(2)(A)" in page
    path = f"/portal/disputes/{dispute.dispute_id}/information"
    assert client.post(path, data={"text": "no token"}).status_code == 403
    r = client.post(path, data={"csrf": csrf, "text": "  My bank statement shows the payment "})
    assert r.status_code == 303
    assert r.headers["location"] == "/portal/disputes?done=information_added"
    shown = client.get(r.headers["location"]).text
    assert "Information added" in shown and "2026-06-25" in shown  # 611(a)(1)(B): 45 days
    with w.engine.connect() as conn:
        (info,) = conn.execute(select(dispute_information)).all()
        actions = [e.action for e in chain.iter_events(conn)]
    assert info.dispute_id == dispute.dispute_id
    assert info.text == "My bank statement shows the payment"
    assert actions.count("dispute.information") == 1 and actions.count("dispute.extended") == 1

    other = w.client.post(
        "/v1/subject/disputes",
        json={"item_kind": "account", "item_id": w.account2, "reason": "x"},
        headers=w.auth("other_subject"),
    ).json()
    cases = [
        (path, {"text": ""}, 422, "text"),
        (path, {"text": "x" * 4001}, 422, "text"),
        (f"/portal/disputes/{other['dispute_id']}/information", {"text": "x"}, 404,
         "no such dispute"),
        ("/portal/disputes/no-such-dispute/information", {"text": "x"}, 404, "no such dispute"),
    ]  # fmt: skip
    for to, body, status, says in cases:
        r = client.post(to, data=body | {"csrf": csrf})
        assert r.status_code == status, (to, body, r.text[:200])
        assert says in r.text and 'role="alert"' in r.text, (to, body)
        assert action in r.text  # the page again, its forms intact
    answered = w.client.post(
        f"/v1/furnisher/disputes/{dispute.dispute_id}/response",
        json={"outcome": "verify"},
        headers=w.auth("furnisher"),
    )
    assert answered.status_code == 200, answered.text
    closed = client.post(path, data={"csrf": csrf, "text": "one more thing"})
    assert closed.status_code == 409 and "already verified" in closed.text
    assert action not in closed.text  # no form for a closed dispute
    with w.engine.connect() as conn:
        assert len(conn.execute(select(dispute_information)).all()) == 1


def test_information_after_the_deadline_is_refused_and_the_dispute_closed(
    world: World, subject: tuple[TestClient, str]
) -> None:
    w = world
    client, csrf = subject
    r = client.post("/portal/disputes", data={"csrf": csrf, "item": "identity:", "reason": "x"})
    assert r.status_code == 303, r.text
    with w.engine.connect() as conn:
        dispute = conn.execute(select(disputes)).one()
    w.clock.now = dispute.due_at + timedelta(seconds=1)
    client.close()
    client = browser(w)  # the session of 30 minutes is over: sign in again
    csrf = sign_in(client, code_for(w, w.subject1))
    path = f"/portal/disputes/{dispute.dispute_id}/information"
    assert f'action="{path}"' not in client.get("/portal/disputes").text
    late = client.post(path, data={"csrf": csrf, "text": "late"})
    assert late.status_code == 409 and "the deadline has passed" in late.text
    with w.engine.connect() as conn:
        assert conn.execute(select(disputes.c.status)).scalar_one() == "deleted"
        assert conn.execute(select(dispute_information)).all() == []
    client.close()


def file_on_the_account(w: World, client: TestClient, csrf: str) -> str:
    """File a dispute on subject 1's account through the portal form; its id."""
    r = client.post(
        "/portal/disputes",
        data={"csrf": csrf, "item": f"account:{w.account1}", "reason": "The balance is wrong"},
    )
    assert r.status_code == 303, r.text
    with w.engine.connect() as conn:
        return str(
            conn.execute(
                select(disputes.c.dispute_id).where(disputes.c.subject_id == w.subject1)
            ).scalar_one()
        )


def verify(w: World, dispute_id: str) -> None:
    r = w.client.post(
        f"/v1/furnisher/disputes/{dispute_id}/response",
        json={"outcome": "verify"},
        headers=w.auth("furnisher"),
    )
    assert r.status_code == 200, r.text


def procedure_notices(w: World) -> list[Any]:
    with w.engine.connect() as conn:
        return list(
            conn.execute(select(dispute_notices).where(dispute_notices.c.kind == "procedure")).all()
        )


def test_the_procedure_of_a_completed_dispute_is_asked_for_by_the_apis_service(
    world: World, subject: tuple[TestClient, str]
) -> None:
    """The API's ``request_procedure`` behind a form (FCRA 611(a)(7)): offered only for a
    reinvestigated dispute not asked about yet; CSRF, post/redirect/get, the notice owed
    within 15 days; its refusals re-rendered with its message."""
    w = world
    client, csrf = subject
    dispute_id = file_on_the_account(w, client, csrf)
    path = f"/portal/disputes/{dispute_id}/procedure"
    action = f'action="{path}"'
    assert action not in client.get("/portal/disputes").text  # still open: nothing to describe
    early = client.post(path, data={"csrf": csrf})
    assert early.status_code == 409 and "is not completed yet" in early.text
    assert 'role="alert"' in early.text and action not in early.text

    verify(w, dispute_id)
    page = client.get("/portal/disputes").text
    assert action in page and "611(a)(7)" in page
    altered = csrf[:-1] + ("1" if csrf.endswith("0") else "0")
    for sent in ({}, {"csrf": altered}):
        refused = client.post(path, data=sent)
        assert refused.status_code == 403 and "csrf" in refused.text, sent
    assert procedure_notices(w) == []

    r = client.post(path, data={"csrf": csrf})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/portal/disputes?done=procedure_requested"
    shown = client.get(r.headers["location"]).text
    assert "Request recorded" in shown and action not in shown  # asked once: no form now
    assert "as you asked on 2026-05-11" in shown and "2026-05-26" in shown  # 15 days
    (notice,) = procedure_notices(w)
    assert notice.dispute_id == dispute_id and notice.sent_at is None
    assert notice.due_at.date().isoformat() == "2026-05-26"
    with w.engine.connect() as conn:
        done = [e.action for e in chain.iter_events(conn)]
    assert done.count("dispute.procedure_requested") == 1

    other = w.client.post(
        "/v1/subject/disputes",
        json={"item_kind": "account", "item_id": w.account2, "reason": "x"},
        headers=w.auth("other_subject"),
    ).json()
    verify(w, other["dispute_id"])
    cases = [
        (path, 409, "already asked for"),
        (f"/portal/disputes/{other['dispute_id']}/procedure", 404, "no such dispute"),
        ("/portal/disputes/no-such-dispute/procedure", 404, "no such dispute"),
    ]
    for to, status, says in cases:
        r = client.post(to, data={"csrf": csrf})
        assert r.status_code == status, (to, r.text[:200])
        assert says in r.text and 'role="alert"' in r.text, to
        assert other["dispute_id"] not in r.text
    assert len(procedure_notices(w)) == 1


def test_no_procedure_form_for_a_terminated_dispute(
    world: World, subject: tuple[TestClient, str]
) -> None:
    """A dispute terminated as frivolous or irrelevant had no reinvestigation (611(a)(3))."""
    w = world
    client, csrf = subject
    dispute_id = file_on_the_account(w, client, csrf)
    ended = w.client.post(
        f"/v1/operator/disputes/{dispute_id}/termination",
        json={"reason": "irrelevant"},
        headers=w.auth("operator"),
    )
    assert ended.status_code == 200, ended.text
    path = f"/portal/disputes/{dispute_id}/procedure"
    assert f'action="{path}"' not in client.get("/portal/disputes").text
    r = client.post(path, data={"csrf": csrf})
    assert r.status_code == 409 and "none was made" in r.text
    assert procedure_notices(w) == []


@pytest.mark.parametrize("jurisdiction", ["CN", "EU"])
def test_no_procedure_form_where_the_profile_owes_no_description(
    world: World, subject: tuple[TestClient, str]
) -> None:
    w = world
    client, csrf = subject
    dispute_id = file_on_the_account(w, client, csrf)
    verify(w, dispute_id)
    page = client.get("/portal/disputes").text
    assert "verified" in page and "/procedure" not in page
    r = client.post(f"/portal/disputes/{dispute_id}/procedure", data={"csrf": csrf})
    assert r.status_code == 409 and "no separate description of the procedure" in r.text
    assert procedure_notices(w) == []


def test_a_used_or_wrong_code_does_not_sign_in(world: World) -> None:
    w = world
    client = browser(w)
    code = code_for(w, w.subject1)
    sign_in(client, code)
    again = browser(w)
    form = again.get("/portal/sign-in")
    nonce = CSRF.search(form.text)
    assert nonce is not None
    for bad in (code, "c_nothing.secret", ""):
        r = again.post("/portal/sign-in", data={"code": bad, "csrf": nonce.group(1)})
        assert r.status_code == 401 and "code: the code is unknown" in r.text
        assert SESSION_COOKIE not in again.cookies
        nonce = CSRF.search(r.text)
        assert nonce is not None
    # Signed in, the sign-in page and the portal's root go to the report.
    assert client.get("/portal/sign-in").headers["location"] == "/portal/report"
    assert client.get("/portal").headers["location"] == "/portal/report"
    assert again.get("/portal").headers["location"] == "/portal/sign-in"
    client.close()
    again.close()


def test_the_portal_is_not_in_the_openapi_spec(world: World) -> None:
    paths = world.client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/portal")]


def test_the_portal_report_is_the_apis_report_page_with_the_portal_navigation(
    world: World, subject: tuple[TestClient, str]
) -> None:
    w = world
    client, _ = subject
    portal = client.get("/portal/report").text
    api = w.client.get("/v1/subject/report?format=html", headers=w.auth("subject")).text
    assert portal != api
    nav = re.compile(r'<style>\s*\.portal-nav.*?</style>|<nav class="portal-nav.*?</nav>\n', re.S)
    assert len(nav.findall(portal)) == 2
    assert nav.sub("", portal) == api


def test_an_expired_session_opens_nothing(world: World, subject: tuple[TestClient, str]) -> None:
    w = world
    client, csrf = subject
    assert client.get("/portal/consents").status_code == 200
    w.clock.now += timedelta(minutes=30)
    for method, path in (("GET", "/portal/report"), ("POST", "/portal/statements")):
        r = client.request(method, path, data={"csrf": csrf, "text": "late"})
        assert r.status_code == 303 and r.headers["location"] == "/portal/sign-in"
    with w.engine.connect() as conn:
        assert conn.execute(select(consumer_statements)).all() == []
