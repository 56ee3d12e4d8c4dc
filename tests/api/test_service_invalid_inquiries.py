"""Inquiries whose body fails validation (422) are recorded and rate-counted.

FastAPI refuses such a request before its handler runs, and unparsable JSON
before any dependency runs; the inquirer router records it anyway as a refused
attempt of the authenticated key (reason ``invalid_request``, with its audit
link) and counts it against that key's allowance, so a key hammering the
service with malformed bodies gets 429 like any other. A request that does not
authenticate as an inquirer is refused without touching anyone's allowance.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_testkit import RIC_1, World
from sqlalchemy import select

from xinyong.api.inquiry import INVALID_REQUEST
from xinyong.api.limits import Limits
from xinyong.api.recorder import RATE_LIMITED
from xinyong.audit import chain
from xinyong.store.service_schema import inquiry_requests, rate_counters

INQUIRIES = "/v1/inquirer/inquiries"
VALID = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"}


@pytest.fixture
def jurisdiction() -> str:
    return "US"  # no consent needed for a credit application


def post_raw(w: World, path: str, content: bytes, who: str = "inquirer") -> Any:
    headers = {**w.auth(who), "Content-Type": "application/json"}
    return w.client.post(path, content=content, headers=headers)


def refusals(w: World) -> list[tuple[str | None, str | None]]:
    """(reason code, inquirer org) of every recorded refused attempt, sorted (the clock
    stands still: the audit chain has their order)."""
    with w.engine.connect() as conn:
        rows = conn.execute(
            select(inquiry_requests.c.reason_code, inquiry_requests.c.inquirer_org_id).where(
                inquiry_requests.c.outcome == "refused"
            )
        ).all()
    return sorted((r.reason_code, r.inquirer_org_id) for r in rows)


def test_malformed_bodies_are_recorded_and_count_against_the_key(world: World) -> None:
    w = world
    w.client.app.state.limits = Limits(inquiries_per_window=3)  # type: ignore[attr-defined]
    no_identifier = w.client.post(
        INQUIRIES, json={"purpose": "credit_application"}, headers=w.auth("inquirer")
    )
    not_json = post_raw(w, INQUIRIES, b'{"identifier": ')
    wrong_type = post_raw(w, "/v1/inquirer/score", b'{"identifier": 7}')
    for r in (no_identifier, not_json, wrong_type):
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == INVALID_REQUEST
    # The allowance is spent: a valid inquiry is refused for the rate, and so is
    # the next malformed one (429, not 422).
    valid = w.client.post(INQUIRIES, json=VALID, headers=w.auth("inquirer"))
    again = post_raw(w, INQUIRIES, b"not json")
    for r in (valid, again):
        assert r.status_code == 429, r.text
        assert r.json()["error"]["code"] == RATE_LIMITED and r.headers["Retry-After"]
    assert refusals(w) == [(INVALID_REQUEST, "lender-a")] * 3 + [(RATE_LIMITED, "lender-a")] * 2
    with w.engine.connect() as conn:
        assert chain.verify(conn, log=chain.INQUIRIES).ok
        inquiry_chain = chain.iter_events(conn, log=chain.INQUIRIES)
        refused = [e for e in inquiry_chain if e.action == "inquiry.refused"]
    assert [e.payload["refusal"] for e in refused] == [INVALID_REQUEST] * 3 + [RATE_LIMITED] * 2


def test_with_no_limit_a_malformed_body_is_recorded_not_counted(world: World) -> None:
    w = world
    w.client.app.state.limits = Limits(inquiries_per_window=0)  # type: ignore[attr-defined]
    assert post_raw(w, INQUIRIES, b"{").status_code == 422
    assert refusals(w) == [(INVALID_REQUEST, "lender-a")]  # recorded, not counted
    with w.engine.connect() as conn:
        assert conn.execute(select(rate_counters)).all() == []


def test_unauthenticated_malformed_bodies_touch_no_allowance(world: World) -> None:
    w = world
    w.client.app.state.limits = Limits(inquiries_per_window=1)  # type: ignore[attr-defined]
    # No key, a wrong secret, another role's key: refused without a record.
    assert post_raw(w, INQUIRIES, b"{", who="anonymous").status_code == 422
    forged = {
        "Authorization": f"Bearer {w.tokens['inquirer']}x",
        "Content-Type": "application/json",
    }
    assert w.client.post(INQUIRIES, content=b"{", headers=forged).status_code == 422
    assert post_raw(w, INQUIRIES, b"{", who="furnisher").status_code == 422
    # A schema-invalid body with no key is refused for the key (the dependency runs first).
    assert w.client.post(INQUIRIES, json={"purpose": 1}).status_code == 401
    assert refusals(w) == []
    # The key's one inquiry is still there.
    assert w.client.post(INQUIRIES, json=VALID, headers=w.auth("inquirer")).status_code == 200
