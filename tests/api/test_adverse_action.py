"""Inquirer score and the adverse action notice (FCRA 609(f), 615(a))."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from api_testkit import RIC_1, World
from reports_testkit import publish_world, store_score
from sqlalchemy import func, select
from test_reports_copies import cells, pdf_text

from xinyong.store.schema import audit_events
from xinyong.store.service_schema import inquiry_requests


@pytest.fixture
def jurisdiction() -> str:
    return "US"


@pytest.fixture
def scored(world: World, tmp_path: Path) -> World:
    publish_world(world.engine, world, tmp_path)
    store_score(world.engine, world.subject1)
    return world


def ask_score(w: World, who: str = "inquirer", **body: Any) -> Any:
    payload = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, **body}
    return w.client.post("/v1/inquirer/score", json=payload, headers=w.auth(who))


def test_score_with_reasons_is_served_and_recorded(scored: World) -> None:
    w = scored
    r = ask_score(w, purpose="credit_application")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "hard" and body["score"]["score"] == 612
    assert [x["code"] for x in body["score"]["reasons"]][:4] == ["D01", "D02", "D03", "D04"]
    own = w.client.get("/v1/subject/report", headers=w.auth("subject")).json()
    assert body["inquiry_id"] in {i["inquiry_id"] for i in own["report"]["inquiries"]}


def test_score_refusals_are_recorded(scored: World) -> None:
    w = scored
    r = ask_score(w)
    assert r.status_code == 400 and r.json()["error"]["code"] == "purpose_missing"
    r = ask_score(w, who="other_inquirer", purpose="account_review")
    assert r.status_code == 403 and r.json()["error"]["code"] == "purpose_not_allowed"
    with w.engine.connect() as conn:
        refused = conn.execute(
            select(func.count())
            .select_from(inquiry_requests)
            .where(inquiry_requests.c.outcome == "refused")
        ).scalar()
    assert refused == 2


def test_no_score_on_file_is_null_not_invented(scored: World) -> None:
    w = scored
    payload = {"identifier": {"scheme": "cn_ric", "value": "440524188001010014"}}
    r = w.client.post(
        "/v1/inquirer/score",
        json={**payload, "purpose": "credit_application"},
        headers=w.auth("inquirer"),
    )
    assert r.status_code == 200 and r.json()["score"] is None


def notice(w: World, inquiry_id: str, who: str = "inquirer", fmt: str | None = None) -> Any:
    params = {"format": fmt} if fmt else {}
    return w.client.get(
        f"/v1/inquirer/inquiries/{inquiry_id}/adverse-action-notice",
        params=params,
        headers=w.auth(who),
    )


def test_notice_has_score_four_factors_plus_inquiries_bureau_and_rights(scored: World) -> None:
    w = scored
    inquiry_id = ask_score(w, purpose="credit_application").json()["inquiry_id"]
    r = notice(w, inquiry_id)
    assert r.status_code == 200, r.text
    n = r.json()
    assert (n["score"]["score"], n["score"]["score_min"], n["score"]["score_max"]) == (
        612,
        300,
        850,
    )
    # Four key factors, then the inquiries factor as a fifth; never the sixth.
    assert [f["code"] for f in n["key_factors"]] == ["D01", "D02", "D03", "D04", "D05"]
    assert n["bureau"]["name"] and n["inquirer_org_id"] == "lender-a"
    rights = " ".join(n["rights"])
    assert "within 60 days" in rights and "dispute" in rights
    assert "30 days" in rights  # the US profile's dispute period
    with w.engine.connect() as conn:
        actions = conn.execute(select(audit_events.c.action)).scalars().all()
    assert "adverse_action.notice" in actions

    page = notice(w, inquiry_id, fmt="html")
    assert page.headers["content-type"].startswith("text/html")
    facts = cells(page.text)
    assert {"612", "300 to 850", "D05", "Number of recent inquiries"} <= set(facts)
    assert "D06" not in facts
    pdf = notice(w, inquiry_id, fmt="pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Numberofrecentinquiries" in text and "within60days" in text


def test_notice_only_for_the_inquirer_that_made_the_inquiry(scored: World) -> None:
    w = scored
    inquiry_id = ask_score(w, purpose="credit_application").json()["inquiry_id"]
    assert notice(w, inquiry_id, who="other_inquirer").status_code == 404
    assert notice(w, "no-such-inquiry").status_code == 404
    for who in ("subject", "furnisher", "operator"):
        assert notice(w, inquiry_id, who=who).status_code == 403
    assert notice(w, inquiry_id, who="nobody").status_code == 401


def test_notice_uses_the_score_on_file_when_the_inquiry_was_made(scored: World) -> None:
    w = scored
    inquiry_id = ask_score(w, purpose="credit_application").json()["inquiry_id"]
    later = w.clock.now + timedelta(hours=1)
    store_score(w.engine, w.subject1, at=later, score=700, score_id="score-later")
    w.clock.now = later + timedelta(hours=1)
    assert notice(w, inquiry_id).json()["score"]["score_id"] == "score-1"
    assert ask_score(w, purpose="credit_application").json()["score"]["score"] == 700


def test_the_bureau_contact_comes_from_the_deployment_settings(tmp_path: Path) -> None:
    from xinyong.api.adverse_action import DEFAULT_BUREAU, bureau_contact
    from xinyong.settings import Settings

    configured = Settings(
        home=tmp_path,
        bureau_name="Credit Reference Centre",
        bureau_address="1 Example Road",
        bureau_phone="+86 10 0000 0000",
        bureau_web="https://bureau.example/report",
    )
    contact = bureau_contact(configured)
    assert (contact.name, contact.address, contact.phone, contact.web) == (
        "Credit Reference Centre",
        "1 Example Road",
        "+86 10 0000 0000",
        "https://bureau.example/report",
    )
    unset = bureau_contact(Settings(home=tmp_path, bureau_name="Only A Name"))
    assert unset.name == "Only A Name"
    assert unset.address == DEFAULT_BUREAU.address and "not configured" in unset.address
