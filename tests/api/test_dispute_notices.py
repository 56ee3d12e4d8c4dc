"""FCRA's other notices on a dispute: the furnisher told within 5 business days of receipt
(611(a)(2)(A)), the results given in writing within 5 business days after completion
((a)(6)(A)), counted on the US federal calendar; the procedure used described within 15
days of the subject's request ((a)(7)); shown to the subject and the operator, breaches
listed; on SQLite and PostgreSQL, and migration 0009.

Subject 1's account ``acct-1`` was furnished by ``bank-a`` (``BANK-A``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_testkit import HASH_KEY, World, notice_row
from sqlalchemy import Engine, insert
from sqlalchemy.exc import IntegrityError
from test_api_disputes import actions, answer, code, open_dispute, sign_in_again
from test_api_disputes_rules import breaches, notices

from store_testkit import schema_diffs
from xinyong import disputes as workflow
from xinyong.settings import Jurisdiction, Settings
from xinyong.store.dispute_schema import dispute_notices
from xinyong.store.engine import transaction
from xinyong.store.migrate import downgrade, upgrade
from xinyong.store.schema import disputes, subjects

WED_BEFORE_THANKSGIVING = datetime.fromisoformat("2026-11-25T10:00:00+00:00")


def at(w: World, when: datetime) -> None:
    w.clock.now = when
    sign_in_again(w)


def operator_notices(w: World, pending: bool = True) -> list[dict[str, Any]]:
    r = w.client.get(
        f"/v1/operator/notices?pending={str(pending).lower()}", headers=w.auth("operator")
    )
    assert r.status_code == 200, r.text
    return list(r.json())


def send(w: World, notice_id: str) -> Any:
    return w.client.post(f"/v1/operator/notices/{notice_id}/sent", headers=w.auth("operator"))


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_filing_owes_the_furnisher_a_notice_sent_by_the_forwarding(world: World) -> None:
    w = world
    at(w, WED_BEFORE_THANKSGIVING)
    d = open_dispute(w)
    (told,) = notices(w)
    assert told["kind"] == "furnisher" and told["dispute_id"] == d["dispute_id"]
    # Thu 26 Nov is Thanksgiving: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3 December.
    assert told["due_at"].startswith("2026-12-03T23:59:59")
    # Forwarding to the furnisher's inbox is the notification: sent with the filing.
    assert told["sent_at"] is not None
    assert datetime.fromisoformat(told["sent_at"]) == WED_BEFORE_THANKSGIVING
    assert "BANK-A (bank-a)" in told["text"] and "611(a)(2)(A)" in told["text"]
    inbox = w.client.get("/v1/furnisher/disputes", headers=w.auth("furnisher")).json()
    assert [x["dispute_id"] for x in inbox] == [d["dispute_id"]]
    done = actions(w)
    opened = done.index("dispute.opened")
    assert done[opened + 1 : opened + 4] == ["notice.created", "dispute.forwarded", "notice.sent"]
    assert operator_notices(w) == []  # nothing left to send
    assert [n["overdue"] for n in operator_notices(w, pending=False)] == [False]
    at(w, datetime.fromisoformat("2026-12-10T09:00:00+00:00"))
    assert breaches(w) == []
    # A dispute no furnisher owns (identity) is the operator's: no furnisher to tell.
    open_dispute(w, "identity")
    assert [n["kind"] for n in notices(w)] == ["furnisher"]


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_results_are_owed_within_5_business_days_of_completion_and_watched(
    world: World, store_url: str, tmp_path: Path
) -> None:
    w = world
    at(w, datetime.fromisoformat("2026-11-20T10:00:00+00:00"))
    d = open_dispute(w)
    at(w, WED_BEFORE_THANKSGIVING)
    assert answer(w, d["dispute_id"], outcome="verify").status_code == 200
    (results,) = [n for n in notices(w) if n["kind"] == "results"]
    assert results["due_at"].startswith("2026-12-03T23:59:59")  # past Thanksgiving
    assert results["sent_at"] is None
    assert "completed on 2026-11-25: verified" in results["text"]
    assert "611(a)(6)(A)" in results["text"] and "add a statement" in results["text"]
    (pending,) = operator_notices(w)
    assert (pending["notice_id"], pending["overdue"]) == (results["notice_id"], False)
    assert (pending["furnisher_id"], pending["item_id"]) == ("bank-a", w.account1)

    at(w, datetime.fromisoformat("2026-12-03T20:00:00+00:00"))  # the last day: not yet late
    assert breaches(w) == []
    at(w, datetime.fromisoformat("2026-12-04T09:00:00+00:00"))
    assert [(b.breach, b.status, b.notice_id) for b in breaches(w)] == [
        ("notice_unsent", "results_notice", results["notice_id"])
    ]
    # What ``xinyong disputes overdue`` prints.
    settings = Settings(
        home=tmp_path / "home", db_url=store_url, hash_key=HASH_KEY, jurisdiction=Jurisdiction.US
    )
    (listed,) = workflow.overdue_in_deployment(settings, w.clock.now)
    assert listed.as_json()["status"] == "results_notice"
    ops = w.client.get("/v1/operator/disputes?overdue=true", headers=w.auth("operator")).json()
    assert [(x["dispute_id"], x["notice_overdue"]) for x in ops] == [(d["dispute_id"], True)]
    assert send(w, results["notice_id"]).status_code == 200
    assert [b.breach for b in breaches(w)] == ["notice_late"]
    (shown,) = [n for n in notices(w) if n["kind"] == "results"]
    assert shown["sent_at"] is not None  # the subject sees when it went out


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_a_dispute_closed_by_its_deadline_owes_the_results_too(world: World) -> None:
    w = world
    d = open_dispute(w)  # Mon 11 May 2026: due 10 June
    at(w, datetime.fromisoformat("2026-06-11T09:00:00+00:00"))  # Thursday
    closed = w.client.post("/v1/operator/disputes/enforce", headers=w.auth("operator")).json()
    assert [x["dispute_id"] for x in closed] == [d["dispute_id"]]
    (results,) = [n for n in notices(w) if n["kind"] == "results"]
    assert results["due_at"].startswith("2026-06-18T23:59:59")  # Fri, Mon, Tue, Wed, Thu
    assert "not verified by the deadline: the item is suppressed" in results["text"]
    assert "your report now shows it" in results["text"]


@pytest.mark.parametrize("jurisdiction", ["CN", "EU"])
def test_cn_and_eu_answer_in_writing_within_the_dispute_deadline_itself(world: World) -> None:
    """Art. 25's written reply and GDPR art. 12(3)'s information on action taken are the
    answer, due within the dispute's own deadline: no separate notice rows."""
    w = world
    d = open_dispute(w)
    assert answer(w, d["dispute_id"], outcome="verify").status_code == 200
    assert notices(w) == []


def test_0009_allows_the_furnisher_and_results_notices_and_downgrades(engine: Engine) -> None:
    now = datetime.fromisoformat("2026-11-25T10:00:00+00:00")
    with transaction(engine) as conn:
        conn.execute(insert(subjects).values(subject_id="s-1", kind="person", created_at=now))
        conn.execute(
            insert(disputes).values(
                dispute_id="d-1",
                subject_id="s-1",
                item_kind="identity",
                reason="r",
                status="forwarded",
                opened_at=now,
                due_at=now + timedelta(days=30),
            )
        )
    downgrade(engine, "0008")
    with pytest.raises(IntegrityError), transaction(engine) as conn:
        conn.execute(insert(dispute_notices).values(**notice_row("results")))
    upgrade(engine)
    assert schema_diffs(engine) == []
    with transaction(engine) as conn:
        for kind in ("furnisher", "results"):
            conn.execute(insert(dispute_notices).values(**notice_row(kind)))
    with pytest.raises(RuntimeError, match="downgrade refused"):
        downgrade(engine, "0008")
    with transaction(engine) as conn:  # nothing was lost
        assert len(conn.execute(dispute_notices.select()).all()) == 2


# ----------------------------------------------------------- 611(a)(7): the procedure used


def ask_procedure(w: World, dispute_id: str, who: str = "subject") -> Any:
    return w.client.post(f"/v1/subject/disputes/{dispute_id}/procedure", headers=w.auth(who))


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_the_procedure_used_is_described_within_15_days_of_the_request(world: World) -> None:
    w = world
    at(w, datetime.fromisoformat("2026-11-02T10:00:00+00:00"))
    d = open_dispute(w)
    early = ask_procedure(w, d["dispute_id"])
    assert (early.status_code, code(early)) == (409, "not_reinvestigated")
    assert "not completed yet" in early.json()["error"]["message"]
    assert answer(w, d["dispute_id"], outcome="verify").status_code == 200
    (results,) = operator_notices(w)
    assert send(w, results["notice_id"]).status_code == 200  # the (a)(6) results, in time
    at(w, WED_BEFORE_THANKSGIVING)
    before = len(actions(w))
    r = ask_procedure(w, d["dispute_id"])
    assert r.status_code == 201, r.text
    described = r.json()
    assert described["kind"] == "procedure" and described["sent_at"] is None
    # 15 days, calendar days (Thanksgiving does not move it): Thu 10 Dec.
    assert described["due_at"].startswith("2026-12-10T23:59:59")
    text = described["text"]
    assert "as you asked on 2026-11-25" in text and "BANK-A (bank-a)" in text
    assert "address and telephone number are not on record" in text
    assert "completed as verified: verified as reported by the furnisher" in text
    assert "611(a)(7)" in text
    assert actions(w)[before:] == ["dispute.procedure_requested", "notice.created"]
    assert described in notices(w)  # the subject's notices list it
    again = ask_procedure(w, d["dispute_id"])
    assert (again.status_code, code(again)) == (409, "procedure_already_requested")
    # Another subject's 404 is in the authorisation matrix (its session predates the clock).
    assert ask_procedure(w, d["dispute_id"], who="operator").status_code == 403

    (pending,) = operator_notices(w)
    assert pending["notice_id"] == described["notice_id"]
    at(w, datetime.fromisoformat("2026-12-11T09:00:00+00:00"))
    assert [(b.breach, b.status) for b in breaches(w)] == [("notice_unsent", "procedure_notice")]
    assert send(w, described["notice_id"]).status_code == 200
    assert [b.breach for b in breaches(w)] == ["notice_late"]


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_a_terminated_dispute_had_no_reinvestigation_to_describe(world: World) -> None:
    w = world
    d = open_dispute(w)
    ended = w.client.post(
        f"/v1/operator/disputes/{d['dispute_id']}/termination",
        json={"reason": "irrelevant"},
        headers=w.auth("operator"),
    )
    assert ended.status_code == 200, ended.text
    r = ask_procedure(w, d["dispute_id"])
    assert (r.status_code, code(r)) == (409, "not_reinvestigated")
    assert "is frivolous: none was made" in r.json()["error"]["message"]


@pytest.mark.parametrize("jurisdiction", ["CN", "EU"])
def test_cn_and_eu_owe_no_separate_description_of_the_procedure(world: World) -> None:
    w = world
    d = open_dispute(w)
    assert answer(w, d["dispute_id"], outcome="verify").status_code == 200
    r = ask_procedure(w, d["dispute_id"])
    assert (r.status_code, code(r)) == (409, "procedure_not_provided")
    assert notices(w) == []
