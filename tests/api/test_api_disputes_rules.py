"""The dispute rules each profile sets: extension, reinsertion, notices, the unverifiable
item, and a correction's own key; over the API on SQLite and PostgreSQL.

The seeded world starts on Monday 11 May 2026 (``api_testkit.START``); subject 1's
account ``acct-1`` and public record ``pr-1`` were furnished by ``bank-a``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from api_testkit import START, World
from sqlalchemy import select, update
from test_api_disputes import (
    CORRECTED,
    actions,
    answer,
    code,
    open_dispute,
    own_account_key,
    rescores,
    sign_in_again,
    suppressed,
)

from xinyong import disputes as workflow
from xinyong.store.engine import transaction
from xinyong.store.schema import accounts, ledger_batches


def add_info(w: World, dispute_id: str, text: str = "my bank statement shows the payment") -> Any:
    return w.client.post(
        f"/v1/subject/disputes/{dispute_id}/information",
        json={"text": text},
        headers=w.auth("subject"),
    )


def extend(w: World, dispute_id: str, reason: str = "archived contracts to retrieve") -> Any:
    return w.client.post(
        f"/v1/operator/disputes/{dispute_id}/extension",
        json={"reason": reason},
        headers=w.auth("operator"),
    )


def reinsert(w: World, dispute_id: str, who: str = "furnisher") -> Any:
    return w.client.post(
        f"/v1/furnisher/disputes/{dispute_id}/reinsertion",
        json={"certification": "checked against the signed contract"},
        headers=w.auth(who),
    )


def inbox(w: World) -> dict[str, Any]:
    r = w.client.get("/v1/furnisher/disputes?status=all", headers=w.auth("furnisher"))
    return {d["dispute_id"]: d for d in r.json()}


def operator(w: World, overdue: bool = False) -> dict[str, Any]:
    r = w.client.get(
        f"/v1/operator/disputes?overdue={str(overdue).lower()}", headers=w.auth("operator")
    )
    return {d["dispute_id"]: d for d in r.json()}


def notices(w: World, who: str = "subject") -> list[dict[str, Any]]:
    path = "/v1/subject/notices" if who == "subject" else "/v1/operator/notices?pending=false"
    r = w.client.get(path, headers=w.auth(who))
    assert r.status_code == 200, r.text
    return list(r.json())


def breaches(w: World) -> list[workflow.OverdueDispute]:
    with w.engine.connect() as conn:
        return workflow.overdue_disputes(conn, w.clock.now)


def at(w: World, when: datetime) -> None:
    w.clock.now = when
    sign_in_again(w)


# --------------------------------------------------------------------------- extensions


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_information_in_time_extends_the_deadline_once_to_45_days(world: World) -> None:
    w = world
    d = open_dispute(w)
    assert d["due_at"].startswith("2026-06-10")  # FCRA 611(a)(1)(A): 30 days
    at(w, START + timedelta(days=10))
    r = add_info(w, d["dispute_id"])
    assert r.status_code == 200, r.text
    assert r.json()["due_at"].startswith("2026-06-25")  # (B): 45 days from receipt
    w.clock.now += timedelta(minutes=1)
    again = add_info(w, d["dispute_id"], "and the receipt")
    assert again.status_code == 200 and again.json()["due_at"].startswith("2026-06-25")
    seen = inbox(w)[d["dispute_id"]]
    assert [i["text"] for i in seen["information"]] == [
        "my bank statement shows the payment",
        "and the receipt",
    ]
    assert seen["first_due_at"].startswith("2026-06-10") and seen["extended_at"] is not None
    assert actions(w).count("dispute.extended") == 1
    assert actions(w).count("dispute.information") == 2
    refused = extend(w, d["dispute_id"])  # the FCRA has no operator's extension
    assert refused.status_code == 409 and code(refused) == "extension_not_allowed"
    # No extension notice: only the furnisher's notification, sent by the forwarding.
    assert [(n["kind"], n["sent_at"] is not None) for n in notices(w)] == [("furnisher", True)]
    # After the first 30 days but within the 45: not late, no breach.
    at(w, datetime.fromisoformat("2026-06-20T10:00:00+00:00"))
    assert breaches(w) == [] and suppressed(w) == set()
    ok = answer(w, d["dispute_id"], outcome="verify")
    assert ok.status_code == 200 and ok.json()["status"] == "verified"


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_no_extension_once_the_item_is_found_or_the_period_is_over(world: World) -> None:
    w = world
    found = open_dispute(w, "public_record", w.record1)
    assert answer(w, found["dispute_id"], outcome="delete").status_code == 200
    closed = add_info(w, found["dispute_id"])  # 611(a)(1)(C): already found inaccurate
    assert closed.status_code == 409 and code(closed) == "dispute_closed"
    late = open_dispute(w)
    other = w.client.post(
        f"/v1/subject/disputes/{late['dispute_id']}/information",
        json={"text": "x"},
        headers=w.auth("other_subject"),
    )
    assert other.status_code == 404
    at(w, START + timedelta(days=31))
    r = add_info(w, late["dispute_id"])
    assert r.status_code == 409 and code(r) == "deadline_passed"
    mine = {
        x["dispute_id"]: x
        for x in w.client.get("/v1/subject/disputes", headers=w.auth("subject")).json()
    }
    assert mine[late["dispute_id"]]["status"] == "deleted"  # closed by the deadline rule
    assert mine[late["dispute_id"]]["due_at"].startswith("2026-06-10")


def test_cn_information_is_passed_on_but_never_extends(world: World) -> None:
    w = world
    d = open_dispute(w)
    r = add_info(w, d["dispute_id"])
    assert r.status_code == 200 and r.json()["due_at"].startswith("2026-05-31")  # art. 25
    assert [i["text"] for i in inbox(w)[d["dispute_id"]]["information"]] == [
        "my bank statement shows the payment"
    ]
    refused = extend(w, d["dispute_id"])
    assert refused.status_code == 409 and code(refused) == "extension_not_allowed"
    assert "dispute.extended" not in actions(w)


@pytest.mark.parametrize("jurisdiction", ["EU"])
def test_eu_complex_request_extended_and_the_subject_told_within_the_first_month(
    world: World,
) -> None:
    w = world
    d = open_dispute(w)
    assert d["due_at"].startswith("2026-06-11")  # GDPR art. 12(3): one month
    assert add_info(w, d["dispute_id"]).json()["due_at"].startswith("2026-06-11")
    at(w, START + timedelta(days=5))
    r = extend(w, d["dispute_id"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["due_at"].startswith("2026-08-11")  # two further months
    assert body["first_due_at"].startswith("2026-06-11")
    assert body["extension_reason"] == "archived contracts to retrieve"
    twice = extend(w, d["dispute_id"])
    assert twice.status_code == 409 and code(twice) == "already_extended"
    (told,) = notices(w)
    assert told["kind"] == "extension" and told["sent_at"] is None
    assert told["due_at"].startswith("2026-06-11T23:59:59")  # within the first month
    assert "2026-08-11" in told["text"] and "archived contracts" in told["text"]
    assert breaches(w) == []

    # Not sent by the end of the first month: a breach in the operator's overdue list.
    at(w, datetime.fromisoformat("2026-06-12T09:00:00+00:00"))
    late = operator(w, overdue=True)
    assert list(late) == [d["dispute_id"]]
    assert (late[d["dispute_id"]]["notice_overdue"], late[d["dispute_id"]]["overdue"]) == (
        True,
        False,
    )
    (breach,) = breaches(w)
    assert (breach.breach, breach.status, breach.notice_id) == (
        "notice_unsent",
        "extension_notice",
        told["notice_id"],
    )
    sent = w.client.post(
        f"/v1/operator/notices/{told['notice_id']}/sent", headers=w.auth("operator")
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent_at"] is not None and sent.json()["overdue"] is True
    again = w.client.post(
        f"/v1/operator/notices/{told['notice_id']}/sent", headers=w.auth("operator")
    )
    assert again.status_code == 409 and code(again) == "notice_already_sent"
    assert [b.breach for b in breaches(w)] == ["notice_late"]
    assert notices(w)[0]["sent_at"] is not None  # the subject sees when it went out
    unknown = w.client.post("/v1/operator/notices/nope/sent", headers=w.auth("operator"))
    assert unknown.status_code == 404
    done = actions(w)
    assert {"dispute.extended", "notice.created", "notice.sent"} <= set(done)


@pytest.mark.parametrize("jurisdiction", ["EU"])
def test_eu_no_extension_after_the_first_month(world: World) -> None:
    w = world
    d = open_dispute(w)
    at(w, START + timedelta(days=32))
    r = extend(w, d["dispute_id"])
    assert r.status_code == 409 and code(r) == "extension_too_late"
    assert "first_period" in r.json()["error"]["message"]
    assert operator(w)[d["dispute_id"]]["extended_at"] is None
    assert notices(w, "operator") == []


# --------------------------------------------------------------------------- reinsertion


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_reinsertion_needs_certification_and_a_notice_within_5_business_days(
    world: World,
) -> None:
    w = world
    d = open_dispute(w, "public_record", w.record1)
    early = reinsert(w, d["dispute_id"])
    assert early.status_code == 409 and code(early) == "not_deleted"
    assert answer(w, d["dispute_id"], outcome="delete").status_code == 200
    assert suppressed(w) == {w.record1}
    assert reinsert(w, d["dispute_id"], "other_furnisher").status_code == 404
    (results,) = [n for n in notices(w) if n["kind"] == "results"]
    sent = w.client.post(
        f"/v1/operator/notices/{results['notice_id']}/sent", headers=w.auth("operator")
    )
    assert sent.status_code == 200, sent.text

    at(w, datetime.fromisoformat("2026-05-14T10:00:00+00:00"))  # a Thursday
    r = reinsert(w, d["dispute_id"])
    assert r.status_code == 200, r.text
    assert r.json()["reinserted_at"] is not None
    assert r.json()["reinsertion_certified_at"] is not None
    assert suppressed(w) == set()
    assert [q.reason for q in rescores(w)] == ["dispute deleted", "dispute item reinserted"]
    (told,) = [n for n in notices(w) if n["kind"] == "reinsertion"]
    assert told["due_at"].startswith("2026-05-21T23:59:59")  # Fri, Mon, Tue, Wed, Thu
    assert "BANK-A (bank-a)" in told["text"] and "add a statement" in told["text"]
    again = reinsert(w, d["dispute_id"])
    assert again.status_code == 409 and code(again) == "already_certified"
    done = actions(w)
    certified = done.index("dispute.reinsertion_certified")
    assert done[certified + 1 : certified + 4] == [
        "notice.created",
        "dispute.reinserted",
        "rescore.requested",
    ]

    at(w, datetime.fromisoformat("2026-05-22T09:00:00+00:00"))
    assert [(b.breach, b.status) for b in breaches(w)] == [("notice_unsent", "reinsertion_notice")]
    assert operator(w, overdue=True)[d["dispute_id"]]["notice_overdue"] is True
    pending = w.client.get("/v1/operator/notices", headers=w.auth("operator")).json()
    assert [(n["notice_id"], n["overdue"]) for n in pending] == [(told["notice_id"], True)]
    sent = w.client.post(
        f"/v1/operator/notices/{told['notice_id']}/sent", headers=w.auth("operator")
    )
    assert sent.status_code == 200
    assert w.client.get("/v1/operator/notices", headers=w.auth("operator")).json() == []
    assert [b.breach for b in breaches(w)] == ["notice_late"]


@pytest.mark.parametrize("jurisdiction", ["EU"])
def test_eu_reinsertion_waits_until_the_subject_is_told(world: World) -> None:
    w = world
    d = open_dispute(w)
    assert answer(w, d["dispute_id"], outcome="delete").status_code == 200
    r = reinsert(w, d["dispute_id"])
    assert r.status_code == 200 and r.json()["reinserted_at"] is None
    assert suppressed(w) == {w.account1}  # GDPR art. 18(3): told first
    (told,) = notices(w)
    assert told["due_at"].startswith("2026-06-11")  # within one month
    sent = w.client.post(
        f"/v1/operator/notices/{told['notice_id']}/sent", headers=w.auth("operator")
    )
    assert sent.status_code == 200 and sent.json()["overdue"] is False
    assert suppressed(w) == set()
    assert inbox(w)[d["dispute_id"]]["reinserted_at"] is not None
    assert [q.reason for q in rescores(w)] == ["dispute deleted", "dispute item reinserted"]


def test_cn_provides_no_reinsertion(world: World) -> None:
    w = world
    d = open_dispute(w)
    assert answer(w, d["dispute_id"], outcome="delete").status_code == 200
    r = reinsert(w, d["dispute_id"])
    assert r.status_code == 409 and code(r) == "reinsertion_not_provided"
    assert suppressed(w) == {w.account1}
    assert notices(w) == []


# --------------------------------------------------------------------------- unverifiable


@pytest.mark.parametrize(
    ("jurisdiction", "status", "hidden"),
    [("US", "deleted", True), ("EU", "deleted", True), ("CN", "unconfirmed", False)],
)
def test_an_item_the_furnisher_cannot_verify_follows_the_profile(
    world: World, status: str, hidden: bool
) -> None:
    w = world
    d = open_dispute(w)
    r = answer(w, d["dispute_id"], outcome="unverifiable")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == status
    assert "could not be verified" in r.json()["resolution"]
    assert suppressed(w) == ({w.account1} if hidden else set())
    assert len(rescores(w)) == (1 if hidden else 0)
    report = w.client.get("/v1/subject/file", headers=w.auth("subject")).json()["report"]
    shown = {a["account_id"]: a for a in report["accounts"]}
    assert (w.account1 not in shown) is hidden
    if not hidden:
        (objection,) = shown[w.account1]["statements"]
        assert objection.startswith("Objection of the subject") and "art. 25" in objection


# --------------------------------------------------------------------------- corrections


def test_a_correction_must_name_the_disputed_account_and_come_from_its_furnisher(
    world: World,
) -> None:
    w = world
    own_account_key(w)
    d = open_dispute(w)

    def batches() -> list[str]:
        with w.engine.connect() as conn:
            return list(conn.execute(select(ledger_batches.c.batch_id)).scalars())

    before = batches()
    other = answer(
        w, d["dispute_id"], outcome="correct", record={**CORRECTED, "account_number": "62229999"}
    )
    assert other.status_code == 422 and code(other) == "correction_other_item"
    message = other.json()["error"]["message"]
    assert "record.account_number" in message and "same_item" in message
    assert "62229999" not in message
    # The account passed to another furnisher since (a portfolio sale): bank-a may not.
    with transaction(w.engine) as conn:
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == w.account1)
            .values(furnisher_id="bank-b")
        )
    theirs = answer(w, d["dispute_id"], outcome="correct", record=CORRECTED)
    assert theirs.status_code == 403 and code(theirs) == "correction_furnisher"
    assert "own_furnisher" in theirs.json()["error"]["message"]
    assert batches() == before  # nothing was ingested
    with transaction(w.engine) as conn:
        conn.execute(
            update(accounts)
            .where(accounts.c.account_id == w.account1)
            .values(furnisher_id="bank-a")
        )
    ok = answer(w, d["dispute_id"], outcome="correct", record=CORRECTED)
    assert ok.status_code == 200 and ok.json()["status"] == "corrected"
    assert len(batches()) == len(before) + 1


def test_a_correction_of_an_item_without_its_reference_on_file_is_refused(world: World) -> None:
    w = world
    d = open_dispute(w, "public_record", w.record1)
    record = {
        "record_kind": "public_record",
        "record_ref": "J-1",
        "subject_kind": "person",
        "kind": "court_judgment",
        "authority": "Court",
        "event_date": "2024-01-01",
        "status": "satisfied",
        "removed_date": "2025-01-01",
    }
    r = answer(w, d["dispute_id"], outcome="correct", record=record)
    assert r.status_code == 422 and code(r) == "correction_key_unknown"
    assert "record.record_ref" in r.json()["error"]["message"]


# --------------------------------------------------------------------------- the report


@pytest.mark.parametrize("jurisdiction", ["US", "CN"])
def test_the_report_reads_the_dispute_rules(world: World) -> None:
    """Both copies come from one report model; the subject's copy is checked here."""
    w = world

    def accounts_shown() -> dict[str, Any]:
        r = w.client.get("/v1/subject/file", headers=w.auth("subject")).json()
        return {a["account_id"]: a for a in r["report"]["accounts"]}

    d = open_dispute(w)
    if w.jurisdiction == "US":
        assert answer(w, d["dispute_id"], outcome="delete").status_code == 200
        assert w.account1 not in accounts_shown()
        assert reinsert(w, d["dispute_id"]).status_code == 200
        assert w.account1 in accounts_shown()  # certified reinsertion: back in the report
        return
    at(w, START + timedelta(days=21))  # CN: overdue and not yet closed: kept and flagged
    assert accounts_shown()[w.account1]["disputed"] is True
    assert answer(w, d["dispute_id"], outcome="verify").status_code == 409  # closes it
    item = accounts_shown()[w.account1]
    assert item["disputed"] is True and item["statements"]  # flagged, with the objection
