"""A dispute terminated as frivolous or irrelevant (FCRA 611(a)(3); GDPR art. 12(5); not in
CN, art. 25): the operator's route, the reasons the profile allows, the notice to the
subject on the profile's calendar, the breach when it is late, what the subject, the
furnisher and the report see; on SQLite and PostgreSQL, and migration 0010 (which also
allows the notice of the procedure used, 611(a)(7): ``test_dispute_notices.py``).

Subject 1's account ``acct-1`` was furnished by ``bank-a`` (``BANK-A``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from api_testkit import START, World, notice_row
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from test_api_disputes import actions, answer, code, open_dispute, rescores, suppressed
from test_api_disputes_rules import at, breaches, inbox, notices, operator
from test_subject_portal import browser, code_for, sign_in

from store_testkit import schema_diffs
from xinyong.store.dispute_schema import dispute_notices
from xinyong.store.engine import transaction
from xinyong.store.migrate import downgrade, upgrade
from xinyong.store.schema import audit_events, disputes, subjects


def terminate(w: World, dispute_id: str, who: str = "operator", **body: Any) -> Any:
    return w.client.post(
        f"/v1/operator/disputes/{dispute_id}/termination",
        json=body or {"reason": "insufficient_information"},
        headers=w.auth(who),
    )


def disputed(w: World) -> dict[str, bool]:
    """The subject's accounts as its report shows them: id -> flagged as disputed."""
    r = w.client.get("/v1/subject/file", headers=w.auth("subject")).json()
    return {a["account_id"]: a["disputed"] for a in r["report"]["accounts"]}


def subject_dispute(w: World, dispute_id: str) -> dict[str, Any]:
    r = w.client.get("/v1/subject/disputes", headers=w.auth("subject"))
    return next(d for d in r.json() if d["dispute_id"] == dispute_id)


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_operator_terminates_a_forwarded_dispute_and_owes_a_notice_in_5_business_days(
    world: World,
) -> None:
    w = world
    at(w, datetime.fromisoformat("2026-11-20T10:00:00+00:00"))
    d = open_dispute(w)
    assert d["status"] == "forwarded" and disputed(w)[w.account1] is True
    at(w, datetime.fromisoformat("2026-11-25T10:00:00+00:00"))  # Wed before Thanksgiving
    before = len(actions(w))
    r = terminate(
        w, d["dispute_id"], reason="insufficient_information", note="No account was named."
    )
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "frivolous" and done["resolved_at"] is not None
    assert done["suppressed"] is False and done["breach"] is False
    assert "insufficient_information" in done["resolution"]
    assert "No account was named." in done["resolution"]

    # One audit event for the step, one for the notice it owes; no results, no rescore.
    assert actions(w)[before:] == ["dispute.frivolous", "notice.created"]
    with w.engine.connect() as conn:
        event = conn.execute(
            select(audit_events).where(audit_events.c.action == "dispute.frivolous")
        ).one()
    assert event.payload["termination_reason"] == "insufficient_information"
    assert "611(a)(3)" in event.payload["basis"]
    assert rescores(w) == []

    (told,) = [n for n in notices(w) if n["kind"] == "termination"]
    assert [n["kind"] for n in notices(w)] == ["furnisher", "termination"]  # no results
    # Thu 26 Nov is Thanksgiving: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3 December.
    assert told["due_at"].startswith("2026-12-03T23:59:59") and told["sent_at"] is None
    text = told["text"]
    assert "terminated on 2026-11-25" in text and "not give enough information" in text
    assert "No account was named." in text and "To have it investigated, say what" in text
    assert "611(a)(3)" in text and "within 5 business days" in text

    # The subject sees the outcome and the reasons; the item is no longer flagged as
    # disputed, and stays in the file as it was (nothing corrected or suppressed).
    seen = subject_dispute(w, d["dispute_id"])
    assert seen["status"] == "frivolous" and seen["resolution"] == done["resolution"]
    assert disputed(w)[w.account1] is False
    assert w.account1 not in suppressed(w)

    # The furnisher's inbox no longer lists it as open; an answer now is refused.
    open_inbox = w.client.get("/v1/furnisher/disputes", headers=w.auth("furnisher")).json()
    assert open_inbox == []
    assert inbox(w)[d["dispute_id"]]["status"] == "frivolous"
    late_answer = answer(w, d["dispute_id"], outcome="verify")
    assert (late_answer.status_code, code(late_answer)) == (409, "dispute_closed")

    # The notice not sent by Thu 3 Dec is a breach for the operator and the CLI.
    at(w, datetime.fromisoformat("2026-12-03T20:00:00+00:00"))
    assert breaches(w) == []
    at(w, datetime.fromisoformat("2026-12-04T09:00:00+00:00"))
    assert [(b.breach, b.status, b.notice_id) for b in breaches(w)] == [
        ("notice_unsent", "termination_notice", told["notice_id"])
    ]
    assert operator(w, overdue=True)[d["dispute_id"]]["notice_overdue"] is True
    sent = w.client.post(
        f"/v1/operator/notices/{told['notice_id']}/sent", headers=w.auth("operator")
    )
    assert sent.status_code == 200, sent.text
    assert [b.breach for b in breaches(w)] == ["notice_late"]


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_termination_is_refused_for_a_closed_dispute_a_bad_reason_and_other_roles(
    world: World,
) -> None:
    w = world
    d = open_dispute(w)
    assert answer(w, d["dispute_id"], outcome="verify").status_code == 200
    closed = terminate(w, d["dispute_id"])
    assert (closed.status_code, code(closed)) == (409, "dispute_closed")
    assert "already verified" in closed.json()["error"]["message"]

    d = open_dispute(w, "identity")
    for body in ({"reason": "tiresome"}, {}, {"reason": "irrelevant", "note": ""}):
        bad = w.client.post(
            f"/v1/operator/disputes/{d['dispute_id']}/termination",
            json=body,
            headers=w.auth("operator"),
        )
        assert (bad.status_code, code(bad)) == (422, "invalid_request"), body
    for who, status in (("furnisher", 403), ("subject", 403), ("inquirer", 403)):
        assert terminate(w, d["dispute_id"], who=who).status_code == status
    assert w.client.post(f"/v1/operator/disputes/{d['dispute_id']}/termination").status_code == 401
    unknown = terminate(w, "no-such-dispute")
    assert (unknown.status_code, code(unknown)) == (404, "dispute_not_found")
    assert subject_dispute(w, d["dispute_id"])["status"] == "forwarded"  # nothing happened
    assert "dispute.frivolous" not in actions(w)

    # After its deadline the dispute is closed by the deadline rule instead.
    at(w, START + timedelta(days=31))
    late = terminate(w, d["dispute_id"], reason="irrelevant")
    assert (late.status_code, code(late)) == (409, "deadline_passed")
    assert subject_dispute(w, d["dispute_id"])["status"] == "deleted"


def test_cn_every_objection_is_answered_so_none_is_terminated(world: World) -> None:
    w = world
    d = open_dispute(w)
    for reason in ("insufficient_information", "substantially_repeated", "irrelevant"):
        r = terminate(w, d["dispute_id"], reason=reason)
        assert (r.status_code, code(r)) == (409, "termination_not_allowed")
        assert "art. 25" in r.json()["error"]["message"]
    assert subject_dispute(w, d["dispute_id"])["status"] == "forwarded"
    assert disputed(w)[w.account1] is True
    assert notices(w) == []


@pytest.mark.parametrize("jurisdiction", ["EU"])
def test_eu_refuses_a_manifestly_unfounded_request_with_the_right_to_complain(
    world: World,
) -> None:
    """Art. 12(5): unfounded or excessive (repetitive) only, not too little information;
    art. 12(4): the reasons and the right to complain within one month of receipt."""
    w = world
    d = open_dispute(w)  # Mon 11 May 2026
    thin = terminate(w, d["dispute_id"], reason="insufficient_information")
    assert (thin.status_code, code(thin)) == (409, "termination_reason")
    assert "substantially_repeated" in thin.json()["error"]["message"]
    at(w, START + timedelta(days=20))
    r = terminate(w, d["dispute_id"], reason="substantially_repeated")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "frivolous"
    (told,) = notices(w)
    assert told["kind"] == "termination"
    assert told["due_at"].startswith("2026-06-11T23:59:59")  # one month from receipt
    assert "supervisory authority" in told["text"] and "12(4)" in told["text"]
    assert "send information the earlier dispute did not have" in told["text"]
    assert disputed(w)[w.account1] is False


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_the_portal_shows_the_termination_and_its_reasons(world: World) -> None:
    w = world
    d = open_dispute(w)
    assert terminate(w, d["dispute_id"], reason="irrelevant").status_code == 200
    client = browser(w)
    sign_in(client, code_for(w, w.subject1))
    page = client.get("/portal/disputes").text
    client.close()
    assert "terminated as frivolous or irrelevant" in page
    assert "does not concern the accuracy or completeness of the item" in page
    assert "<td>termination</td>" in page and "611(a)(3)" in page
    # No form to add information to a terminated dispute.
    assert f"/portal/disputes/{d['dispute_id']}/information" not in page


def test_0010_allows_the_termination_and_procedure_notices_and_downgrades(engine: Engine) -> None:
    now = datetime.fromisoformat("2026-11-25T10:00:00+00:00")
    with transaction(engine) as conn:
        conn.execute(insert(subjects).values(subject_id="s-1", kind="person", created_at=now))
        conn.execute(
            insert(disputes).values(
                dispute_id="d-1",
                subject_id="s-1",
                item_kind="identity",
                reason="r",
                status="frivolous",
                opened_at=now,
                due_at=now + timedelta(days=30),
                resolved_at=now,
                resolution="terminated",
            )
        )
    downgrade(engine, "0009")
    for kind in ("termination", "procedure"):
        with pytest.raises(IntegrityError), transaction(engine) as conn:
            conn.execute(insert(dispute_notices).values(**notice_row(kind)))
    upgrade(engine)
    assert schema_diffs(engine) == []
    with transaction(engine) as conn:
        for kind in ("termination", "procedure"):
            conn.execute(insert(dispute_notices).values(**notice_row(kind)))
    with pytest.raises(RuntimeError, match="downgrade refused"):
        downgrade(engine, "0009")
    with transaction(engine) as conn:  # nothing was lost
        assert len(conn.execute(dispute_notices.select()).all()) == 2
