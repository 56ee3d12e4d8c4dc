"""Disputes end to end: subject files, furnisher answers, the deadline rule closes, subject sees.

On SQLite and PostgreSQL (the ``world`` fixture, CN unless a test says otherwise).
Subject 1's account ``acct-1`` and public record ``pr-1`` were furnished by
``bank-a``. The rules of extension, reinsertion and notices are in
``test_api_disputes_rules.py``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from api_testkit import HASH_KEY, RIC_1, World
from sqlalchemy import select

from xinyong import disputes as workflow
from xinyong.api.keys import create_key
from xinyong.api.subject_auth import issue_code
from xinyong.identifiers import keyed_hash
from xinyong.policy import get_profile
from xinyong.settings import Jurisdiction, Settings
from xinyong.store.engine import transaction
from xinyong.store.schema import accounts, audit_events, ledger_batches
from xinyong.store.service_schema import rescore_requests

CORRECTED: dict[str, Any] = {
    "record_kind": "account",
    "account_number": "6222000011112222",
    "subject_kind": "person",
    "family_name": "王",
    "given_names": "小明",
    "birth_date": "1949-12-31",
    "id_scheme": "cn_ric",
    "id_value": RIC_1,
    "portfolio_type": "R",
    "account_type": "18",
    "ecoa_code": "1",
    "date_opened": "2020-01-15",
    "date_reported": "2026-05-12",
    "currency": "CNY",
    "current_balance": 0,
    "credit_limit": 500000,
    "account_status": "11",
    "payment_history_profile": "000000000000",
}


def code(r: Any) -> str:
    return str(r.json()["error"]["code"])


def open_dispute(w: World, kind: str = "account", item_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"item_kind": kind, "reason": "the balance is wrong"}
    if kind != "identity":
        body["item_id"] = item_id or w.account1
    r = w.client.post("/v1/subject/disputes", json=body, headers=w.auth("subject"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def answer(w: World, dispute_id: str, who: str = "furnisher", **body: Any) -> Any:
    role = "operator" if who == "operator" else "furnisher"
    return w.client.post(
        f"/v1/{role}/disputes/{dispute_id}/response", json=body, headers=w.auth(who)
    )


def actions(w: World) -> list[str]:
    with w.engine.connect() as conn:
        return list(
            conn.execute(select(audit_events.c.action).order_by(audit_events.c.seq)).scalars()
        )


def rescores(w: World) -> list[Any]:
    with w.engine.connect() as conn:
        return list(conn.execute(select(rescore_requests)).all())


def sign_in_again(w: World) -> None:
    """Sessions last 30 minutes and the seeded keys 30 days; after a jump of the clock the
    subject signs in anew and every organisation gets a fresh key."""
    with transaction(w.engine) as conn:
        one_time = issue_code(conn, w.subject1, now=w.clock.now)
        for who, org, role in (
            ("furnisher", "bank-a", "furnisher"),
            ("other_furnisher", "bank-b", "furnisher"),
            ("inquirer", "lender-a", "inquirer"),
            ("operator", "regulator", "operator"),
        ):
            w.tokens[who] = create_key(conn, org, role, timedelta(days=30), now=w.clock.now).token
    r = w.client.post("/v1/subject/session", json={"code": one_time})
    assert r.status_code == 201, r.text
    w.tokens["subject"] = r.json()["token"]


def own_account_key(w: World, number: str = CORRECTED["account_number"]) -> None:
    """Give the seeded ``acct-1`` the key ingest derives from ``number`` (the seed's is a
    placeholder), so that a correction of that account number names the disputed item."""
    key = keyed_hash(HASH_KEY.encode(), "account", "bank-a", number)
    with transaction(w.engine) as conn:
        conn.execute(
            accounts.update()
            .where(accounts.c.account_id == w.account1)
            .values(account_number_hash=key)
        )


def suppressed(w: World) -> set[str]:
    with w.engine.connect() as conn:
        return workflow.suppressed_items(conn, w.clock.now, get_profile(w.jurisdiction).dispute)


def test_furnisher_is_told_at_once_and_verifies(world: World) -> None:
    w = world
    d = open_dispute(w)
    assert d["status"] == "forwarded"
    inbox = w.client.get("/v1/furnisher/disputes", headers=w.auth("furnisher")).json()
    assert [(x["dispute_id"], x["batch_id"], x["record_no"]) for x in inbox] == [
        (d["dispute_id"], "seed-batch", 1)
    ]
    assert inbox[0]["forwarded_at"] is not None and not inbox[0]["overdue"]
    # Another furnisher neither sees nor answers it.
    assert w.client.get("/v1/furnisher/disputes", headers=w.auth("other_furnisher")).json() == []
    r = answer(w, d["dispute_id"], "other_furnisher", outcome="verify")
    assert r.status_code == 404 and code(r) == "dispute_not_found"

    r = answer(w, d["dispute_id"], outcome="verify", note="checked against the contract")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "verified"
    mine = w.client.get("/v1/subject/disputes", headers=w.auth("subject")).json()
    assert mine[0]["status"] == "verified" and mine[0]["resolved_at"] is not None
    assert "checked against the contract" in mine[0]["resolution"]
    f = w.client.get("/v1/subject/file", headers=w.auth("subject")).json()
    assert [a["disputed"] for a in f["report"]["accounts"]] == [False]
    # Closed: no second answer; open-only inbox is empty, the full one keeps it.
    again = answer(w, d["dispute_id"], outcome="delete")
    assert again.status_code == 409 and code(again) == "dispute_closed"
    assert w.client.get("/v1/furnisher/disputes", headers=w.auth("furnisher")).json() == []
    full = w.client.get("/v1/furnisher/disputes?status=all", headers=w.auth("furnisher")).json()
    assert [x["status"] for x in full] == ["verified"]
    assert suppressed(w) == set() and rescores(w) == []
    # The subject's reads of its file are in the inquiry chain, not here.
    assert actions(w)[-3:] == ["dispute.opened", "dispute.forwarded", "dispute.verified"]


def test_deletion_suppresses_the_item_and_queues_a_rescore(world: World) -> None:
    w = world
    d = open_dispute(w, "public_record", w.record1)
    r = answer(w, d["dispute_id"], outcome="delete")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "deleted"
    assert suppressed(w) == {w.record1}
    (queued,) = rescores(w)
    assert (queued.subject_id, queued.dispute_id, queued.done_at) == (
        w.subject1,
        d["dispute_id"],
        None,
    )
    assert actions(w)[-2:] == ["dispute.deleted", "rescore.requested"]


def test_correction_is_a_new_ledger_batch_that_supersedes(world: World) -> None:
    w = world
    own_account_key(w)
    d = open_dispute(w)
    missing = answer(w, d["dispute_id"], outcome="correct")
    assert missing.status_code == 422 and code(missing) == "correction_missing"
    wrong_kind = answer(
        w, d["dispute_id"], outcome="correct", record={**CORRECTED, "record_kind": "public_record"}
    )
    assert wrong_kind.status_code == 422 and code(wrong_kind) == "correction_kind"
    bad = answer(w, d["dispute_id"], outcome="correct", record={**CORRECTED, "current_balance": -5})
    assert bad.status_code == 422 and code(bad) == "correction_rejected"
    assert "RIC" not in bad.text and RIC_1 not in bad.text
    stray = answer(w, d["dispute_id"], outcome="verify", record=CORRECTED)
    assert stray.status_code == 422 and code(stray) == "record_not_expected"
    mine = w.client.get("/v1/subject/disputes", headers=w.auth("subject")).json()
    assert mine[0]["status"] == "forwarded"  # nothing recorded by the refusals

    r = answer(w, d["dispute_id"], outcome="correct", record=CORRECTED)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "corrected"
    ops = w.client.get("/v1/operator/disputes", headers=w.auth("operator")).json()
    batch_id = ops[0]["correction_batch_id"]
    with w.engine.connect() as conn:
        batch = conn.execute(
            select(ledger_batches).where(ledger_batches.c.batch_id == batch_id)
        ).one()
    assert (batch.furnisher_id, batch.status, batch.records_accepted) == ("bank-a", "stored", 1)
    assert suppressed(w) == set()  # the correction supersedes; the item stays
    assert [q.dispute_id for q in rescores(w)] == [d["dispute_id"]]
    assert "dispute.corrected" in actions(w)


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_unanswered_by_the_deadline_is_suppressed_and_the_subject_sees_it(world: World) -> None:
    w = world
    rule = get_profile("US").dispute
    d = open_dispute(w)
    with w.engine.connect() as conn:
        assert workflow.overdue_disputes(conn, w.clock.now) == []
    w.clock.now += timedelta(days=31)  # US: 30 days
    sign_in_again(w)
    # Suppressed from the first moment after the deadline, before anything runs.
    assert suppressed(w) == {w.account1}
    with w.engine.connect() as conn:
        (late,) = workflow.overdue_disputes(conn, w.clock.now)
    assert (late.dispute_id, late.furnisher_id, late.status) == (
        d["dispute_id"],
        "bank-a",
        "forwarded",
    )
    assert set(late.as_json()) >= {"dispute_id", "due_at", "furnisher_id"}
    assert late.breach == "unanswered"
    r = answer(w, d["dispute_id"], outcome="verify")
    assert r.status_code == 409 and code(r) == "deadline_passed"
    mine = w.client.get("/v1/subject/disputes", headers=w.auth("subject")).json()
    assert mine[0]["status"] == "deleted"
    assert mine[0]["resolution"] == workflow.deadline_resolution(rule)
    assert "611(a)(5)(A)" in mine[0]["resolution"]
    ops = w.client.get("/v1/operator/disputes", headers=w.auth("operator")).json()
    assert (ops[0]["breach"], ops[0]["suppressed"], ops[0]["overdue"]) == (True, True, False)
    with w.engine.connect() as conn:
        assert [o.status for o in workflow.overdue_disputes(conn, w.clock.now)] == ["deleted"]
    assert suppressed(w) == {w.account1}
    assert "dispute.suppressed" in actions(w)
    assert len(rescores(w)) == 1
    verify = w.client.get("/v1/operator/audit/verify", headers=w.auth("operator")).json()
    assert verify["ok"]


def test_cn_keeps_an_unconfirmed_item_with_the_objection_in_both_copies(world: World) -> None:
    """CN art. 25: nobody confirmed the item by the deadline, so the verification and the
    objection are recorded and the item stays (no suppression, no rescore)."""
    w = world
    d = open_dispute(w)
    w.clock.now += timedelta(days=21)  # CN: 20 days
    assert suppressed(w) == set()  # kept even before anything closes the dispute
    r = answer(w, d["dispute_id"], outcome="verify")
    assert r.status_code == 409 and code(r) == "deadline_passed"
    sign_in_again(w)
    mine = w.client.get("/v1/subject/disputes", headers=w.auth("subject")).json()
    assert mine[0]["status"] == "unconfirmed"
    assert mine[0]["resolution"] == workflow.deadline_resolution(get_profile("CN").dispute)
    assert "art. 25" in mine[0]["resolution"]
    assert suppressed(w) == set() and rescores(w) == []
    f = w.client.get("/v1/subject/file", headers=w.auth("subject")).json()
    (item,) = [a for a in f["report"]["accounts"] if a["account_id"] == w.account1]
    (objection,) = item["statements"]
    assert "the balance is wrong" in objection and "could not be confirmed" in objection
    consent = w.client.post(
        "/v1/subject/consents",
        json={"inquirer_org_id": "lender-a", "purpose": "credit_application"},
        headers=w.auth("subject"),
    ).json()["consent_id"]
    r = w.client.post(
        "/v1/inquirer/inquiries",
        json={
            "identifier": {"scheme": "cn_ric", "value": RIC_1},
            "purpose": "credit_application",
            "consent_id": consent,
        },
        headers=w.auth("inquirer"),
    )
    assert r.status_code == 200, r.text
    (seen,) = [a for a in r.json()["report"]["accounts"] if a["account_id"] == w.account1]
    assert seen["statements"] == [objection]
    done = actions(w)
    closed_at = done.index("dispute.unconfirmed")
    assert done[closed_at + 1] == "dispute.objection_recorded"
    with w.engine.connect() as conn:
        (breach,) = workflow.overdue_disputes(conn, w.clock.now)
    assert (breach.status, breach.breach) == ("unconfirmed", "answered_late")


def test_operator_enforces_deadlines_and_answers_disputes_no_furnisher_owns(
    world: World,
) -> None:
    w = world
    ident = open_dispute(w, "identity")
    acct = open_dispute(w)
    ops = {
        x["dispute_id"]: x
        for x in w.client.get("/v1/operator/disputes", headers=w.auth("operator")).json()
    }
    assert ops[ident["dispute_id"]]["furnisher_id"] is None
    assert ops[acct["dispute_id"]]["furnisher_id"] == "bank-a"
    inbox = w.client.get("/v1/furnisher/disputes", headers=w.auth("furnisher")).json()
    assert [x["dispute_id"] for x in inbox] == [acct["dispute_id"]]
    # The operator cannot answer for a furnisher, nor correct.
    assert answer(w, acct["dispute_id"], "operator", outcome="verify").status_code == 404
    no = answer(w, ident["dispute_id"], "operator", outcome="correct", record=CORRECTED)
    assert no.status_code == 422 and code(no) == "correction_not_possible"
    r = answer(w, ident["dispute_id"], "operator", outcome="verify")
    assert r.status_code == 200 and r.json()["status"] == "verified"
    w.clock.now += timedelta(days=25)  # past CN's 20 days, within the keys' 30
    closed = w.client.post("/v1/operator/disputes/enforce", headers=w.auth("operator")).json()
    assert [(x["dispute_id"], x["status"], x["suppressed"]) for x in closed] == [
        (acct["dispute_id"], "unconfirmed", False)  # CN art. 25: kept with the objection
    ]
    assert w.client.post("/v1/operator/disputes/enforce", headers=w.auth("operator")).json() == []


@pytest.mark.parametrize(("jurisdiction", "due"), [("US", "2026-06-10"), ("EU", "2026-06-11")])
def test_deadline_comes_from_the_profile(world: World, due: str) -> None:
    d = open_dispute(world)
    assert d["due_at"].startswith(due)  # US 30 days (FCRA 611), EU one month (GDPR art. 12(3))


def test_deployment_functions_behind_the_cli(world: World, store_url: str, tmp_path: Path) -> None:
    w = world
    d = open_dispute(w)
    settings = Settings(
        home=tmp_path / "home", db_url=store_url, hash_key=HASH_KEY, jurisdiction=Jurisdiction.CN
    )
    later = w.clock.now + timedelta(days=21)
    assert workflow.overdue_in_deployment(settings, w.clock.now) == []
    assert [b.dispute_id for b in workflow.overdue_in_deployment(settings, later)] == [
        d["dispute_id"]
    ]
    assert workflow.enforce_deployment(settings, later) == [d["dispute_id"]]
    assert workflow.enforce_deployment(settings, later) == []
    (breach,) = workflow.overdue_in_deployment(settings, later)
    assert breach.status == "unconfirmed" and breach.resolved_at == later
    assert breach.as_json()["breach"] == "answered_late"
