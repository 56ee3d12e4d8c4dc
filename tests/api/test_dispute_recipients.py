"""Past recipients told of a dispute's outcome at the subject's request (FCRA 611(d), GDPR
art. 19): who received a report in the period, the subject's designation, one notice per
recipient on the inquirer's own channel, refusals naming the rule; on SQLite and
PostgreSQL (the ``engine`` fixture).

Subject 1 (``RIC_1``) has the account ``acct-1`` furnished by ``bank-a``; ``lender-a`` and
``lender-b`` are the inquirers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from api_testkit import NAME_1, RIC_1, World
from sqlalchemy import select
from test_api_disputes import actions, answer, code, open_dispute, sign_in_again
from test_api_disputes_rules import reinsert
from test_subject_portal import browser, code_for, sign_in

from xinyong.api.admin import grant_purposes
from xinyong.api.keys import create_key
from xinyong.domain.inquiries import Purpose
from xinyong.policy import Period, RecipientRule, get_profile
from xinyong.policy.model import subtract_period
from xinyong.store.dispute_schema import recipient_notices
from xinyong.store.engine import transaction


def at(w: World, when: datetime) -> None:
    """Move the clock; fresh sessions and keys (``lender-b``'s too)."""
    w.clock.now = when
    sign_in_again(w)
    with transaction(w.engine) as conn:
        w.tokens["other_inquirer"] = create_key(
            conn, "lender-b", "inquirer", timedelta(days=30), now=when
        ).token


def inquire(w: World, who: str = "inquirer", purpose: str = "credit_application") -> str:
    body: dict[str, Any] = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": purpose}
    if Purpose(purpose) in get_profile(w.jurisdiction).consent_required_for:
        org = "lender-a" if who == "inquirer" else "lender-b"
        consent = w.client.post(
            "/v1/subject/consents",
            json={"inquirer_org_id": org, "purpose": purpose},
            headers=w.auth("subject"),
        )
        assert consent.status_code == 201, consent.text
        body["consent_id"] = consent.json()["consent_id"]
    r = w.client.post("/v1/inquirer/inquiries", json=body, headers=w.auth(who))
    assert r.status_code == 200, r.text
    return str(r.json()["inquiry_id"])


def settled(w: World, outcome: str = "delete") -> str:
    """A dispute of ``acct-1`` filed a minute from now and answered by its furnisher with
    ``outcome`` then; its id."""
    w.clock.now += timedelta(minutes=1)
    d = open_dispute(w)
    r = answer(w, d["dispute_id"], outcome=outcome)
    assert r.status_code == 200, r.text
    return str(d["dispute_id"])


def recipients(w: World, dispute_id: str, who: str = "subject") -> Any:
    return w.client.get(f"/v1/subject/disputes/{dispute_id}/recipients", headers=w.auth(who))


def tell(w: World, dispute_id: str, orgs: list[str] | None = None, who: str = "subject") -> Any:
    return w.client.post(
        f"/v1/subject/disputes/{dispute_id}/recipients",
        json={"inquirer_org_ids": orgs},
        headers=w.auth(who),
    )


def told(w: World, who: str = "inquirer") -> list[dict[str, Any]]:
    r = w.client.get("/v1/inquirer/recipient-notices", headers=w.auth(who))
    assert r.status_code == 200, r.text
    return list(r.json())


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_deletion_told_to_the_recipients_the_subject_designates_once(world: World) -> None:
    w = world
    at(w, datetime.fromisoformat("2026-06-01T09:00:00+00:00"))
    first_a = inquire(w)
    at(w, datetime.fromisoformat("2026-06-03T09:00:00+00:00"))
    latest_a, of_b = inquire(w), inquire(w, "other_inquirer")
    dispute_id = settled(w, "delete")
    # Reports after the deletion no longer held the item.
    w.clock.now += timedelta(minutes=1)
    inquire(w, "other_inquirer")
    listed = recipients(w, dispute_id)
    assert listed.status_code == 200, listed.text
    assert {(r["inquirer_org_id"], r["inquiry_id"], r["told_at"]) for r in listed.json()} == {
        ("lender-a", latest_a, None),
        ("lender-b", of_b, None),
    }
    assert first_a != latest_a

    r = tell(w, dispute_id, ["lender-a"])
    assert r.status_code == 201, r.text
    (notice,) = r.json()
    assert notice["inquirer_org_id"] == "lender-a" and notice["inquiry_id"] == latest_a
    assert "deleted on 2026-06-03" in notice["text"] and "FCRA 611(d)" in notice["text"]
    assert RIC_1 not in notice["text"] and NAME_1 not in notice["text"]
    assert told(w) == [notice] and told(w, "other_inquirer") == []
    assert "dispute.recipients_told" in actions(w)

    again = tell(w, dispute_id, ["lender-a"])
    assert again.status_code == 409 and code(again) == "recipients_already_told"
    rest = tell(w, dispute_id, None)  # every one in the period: only lender-b is left
    assert rest.status_code == 201, rest.text
    assert [n["inquirer_org_id"] for n in rest.json()] == ["lender-b"]
    assert [n["inquiry_id"] for n in told(w, "other_inquirer")] == [of_b]
    assert all(r["told_at"] is not None for r in recipients(w, dispute_id).json())
    with w.engine.connect() as conn:
        assert len(conn.execute(select(recipient_notices)).all()) == 2


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_period_is_6_months_or_2_years_for_employment(world: World) -> None:
    w = world
    grant_employment(w)
    at(w, datetime.fromisoformat("2025-07-01T09:00:00+00:00"))
    employment = inquire(w, purpose="employment")
    at(w, datetime.fromisoformat("2025-12-31T09:00:00+00:00"))
    inquire(w, "other_inquirer")  # credit: more than 6 months before the request
    at(w, datetime.fromisoformat("2026-07-01T09:00:00+00:00"))
    dispute_id = settled(w, "delete")
    listed = recipients(w, dispute_id).json()
    assert [(r["inquirer_org_id"], r["inquiry_id"]) for r in listed] == [("lender-a", employment)]
    nobody = tell(w, dispute_id, ["lender-b"])
    assert nobody.status_code == 409 and code(nobody) == "not_a_recipient"
    assert "lender-b" in nobody.json()["error"]["message"]
    # More than 2 years after the employment report: nobody is left to tell.
    at(w, datetime.fromisoformat("2027-07-02T09:00:00+00:00"))
    assert recipients(w, dispute_id).json() == []
    none = tell(w, dispute_id)
    assert none.status_code == 409 and code(none) == "no_recipients"


def grant_employment(w: World) -> None:
    with transaction(w.engine) as conn:
        grant_purposes(conn, "lender-a", ["employment"])


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_verified_item_with_a_statement_is_told_as_disputed(world: World) -> None:
    w = world
    at(w, datetime.fromisoformat("2026-06-01T09:00:00+00:00"))
    inquire(w)
    dispute_id = settled(w, "verify")
    bare = tell(w, dispute_id)
    assert bare.status_code == 409 and code(bare) == "nothing_to_tell"
    statement = w.client.post(
        "/v1/subject/statements",
        json={"text": "I paid on time.", "item_kind": "account", "item_id": w.account1},
        headers=w.auth("subject"),
    )
    assert statement.status_code == 201, statement.text
    r = tell(w, dispute_id)
    assert r.status_code == 201, r.text
    assert "disputes; the consumer's statement: I paid on time." in r.json()[0]["text"]


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_refused_while_open_for_another_subject_and_after_reinsertion(world: World) -> None:
    w = world
    inquire(w)
    w.clock.now += timedelta(minutes=1)
    d = open_dispute(w)
    still_open = tell(w, d["dispute_id"])
    assert still_open.status_code == 409 and code(still_open) == "not_completed"
    assert recipients(w, d["dispute_id"]).status_code == 409
    assert recipients(w, d["dispute_id"], "other_subject").status_code == 404
    assert tell(w, d["dispute_id"], who="other_subject").status_code == 404
    assert recipients(w, "no-such-dispute").status_code == 404
    assert answer(w, d["dispute_id"], outcome="delete").status_code == 200
    back = reinsert(w, d["dispute_id"])
    assert back.status_code == 200, back.text
    undone = tell(w, d["dispute_id"])
    assert undone.status_code == 409 and code(undone) == "nothing_to_tell"
    assert told(w) == []


@pytest.mark.parametrize("jurisdiction", ["EU"])
def test_eu_every_recipient_on_record_with_no_period(world: World) -> None:
    w = world
    at(w, datetime.fromisoformat("2023-06-01T09:00:00+00:00"))
    old = inquire(w)
    at(w, datetime.fromisoformat("2026-06-01T09:00:00+00:00"))
    dispute_id = settled(w, "delete")
    assert [r["inquiry_id"] for r in recipients(w, dispute_id).json()] == [old]
    r = tell(w, dispute_id)
    assert r.status_code == 201, r.text
    assert "GDPR art. 19" in r.json()[0]["text"]


@pytest.mark.parametrize("jurisdiction", ["CN"])
def test_cn_sets_no_such_duty(world: World) -> None:
    w = world
    inquire(w)
    dispute_id = settled(w, "delete")
    refused = tell(w, dispute_id)
    assert refused.status_code == 409 and code(refused) == "recipients_not_provided"


def test_lookback_mirrors_add_period() -> None:
    rule = RecipientRule(basis="b", lookback=Period(months=6), employment_lookback=Period(years=2))
    assert rule.earliest(date(2026, 8, 31), employment=False) == date(2026, 2, 28)
    assert rule.earliest(date(2028, 8, 31), employment=False) == date(2028, 2, 29)
    assert rule.earliest(date(2026, 8, 31), employment=True) == date(2024, 8, 31)
    assert subtract_period(date(2026, 3, 10), Period(months=1, days=10)) == date(2026, 1, 28)
    assert RecipientRule(basis="b").earliest(date(2026, 1, 1), employment=True) is None
    assert get_profile("CN").dispute.recipients is None
    with pytest.raises(ValueError, match="legal basis"):
        RecipientRule(basis=" ")


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_portal_offers_each_recipient_and_all_through_the_apis_service(world: World) -> None:
    """The portal's form is the API's ``tell_recipients``: offered only for a completed
    dispute with recipients not told yet; CSRF checked; one recipient, then the rest."""
    w = world
    client = browser(w)
    csrf = sign_in(client, code_for(w, w.subject1))
    inquire(w)
    inquire(w, "other_inquirer")
    w.clock.now += timedelta(minutes=1)
    d = open_dispute(w)
    path = f"/portal/disputes/{d['dispute_id']}/recipients"
    assert f'action="{path}"' not in client.get("/portal/disputes").text  # open: nothing yet
    assert answer(w, d["dispute_id"], outcome="delete").status_code == 200
    page = client.get("/portal/disputes").text
    assert page.count(f'action="{path}"') == 3  # one per recipient, and "tell all"
    assert "LENDER-A" in page and "LENDER-B" in page and "FCRA 611(d)" in page
    refused = client.post(path, data={"inquirer_org_id": "lender-a"})
    assert refused.status_code == 403 and told(w) == []

    r = client.post(path, data={"csrf": csrf, "inquirer_org_id": "lender-a"})
    assert r.status_code == 303 and r.headers["location"] == "/portal/disputes?done=recipients_told"
    assert [n["inquirer_org_id"] for n in told(w)] == ["lender-a"]
    assert told(w, "other_inquirer") == []
    page = client.get(r.headers["location"]).text
    assert "each recipient you chose is told" in page
    assert page.count(f'action="{path}"') == 1  # lender-b only, no "tell all" for one
    again = client.post(path, data={"csrf": csrf, "inquirer_org_id": "lender-a"})
    assert again.status_code == 409 and "told of this dispute already" in again.text
    assert client.post(path, data={"csrf": csrf}).status_code == 303
    assert len(told(w, "other_inquirer")) == 1
    assert f'action="{path}"' not in client.get("/portal/disputes").text
    client.close()
