"""Every flow of the first service slice, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from api_testkit import RIC_1, RIC_NOBODY, World
from sqlalchemy import func, select, update

from xinyong.api.keys import create_key, revoke_key
from xinyong.api.limits import Limits
from xinyong.store.engine import transaction
from xinyong.store.schema import audit_events, consents, inquiries, inquiry_events
from xinyong.store.service_schema import api_keys, inquiry_requests

ACCOUNT: dict[str, Any] = {
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
    "date_reported": "2026-04-30",
    "currency": "CNY",
    "current_balance": 120000,
    "credit_limit": 500000,
    "account_status": "11",
    "payment_history_profile": "000000000000",
}
BAD = {**ACCOUNT, "account_number": "A-BAD", "current_balance": -5, "account_status": "13"}


def jsonl(*records: dict[str, Any]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def inquire(w: World, who: str = "inquirer", **body: Any) -> Any:
    payload = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, **body}
    return w.client.post("/v1/inquirer/inquiries", json=payload, headers=w.auth(who))


def grant(w: World, org: str = "lender-a", purpose: str = "credit_application", **kw: Any) -> str:
    r = w.client.post(
        "/v1/subject/consents",
        json={"inquirer_org_id": org, "purpose": purpose, **kw},
        headers=w.auth("subject"),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["consent_id"])


def code(r: Any) -> str:
    return str(r.json()["error"]["code"])


def test_health_and_openapi(world: World) -> None:
    assert world.client.get("/health").json()["status"] == "ok"
    spec = world.client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/v1/furnisher/batches",
        "/v1/furnisher/batches/{batch_id}",
        "/v1/furnisher/batches/{batch_id}/rejects",
        "/v1/inquirer/inquiries",
        "/v1/subject/file",
        "/v1/subject/consents/{consent_id}",
        "/v1/operator/audit/verify",
    } <= paths
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


# --------------------------------------------------------------------------- furnisher


def test_upload_poll_rejects_and_duplicate(world: World) -> None:
    w = world
    r = w.client.post(
        "/v1/furnisher/batches?source_name=may.jsonl",
        content=jsonl(ACCOUNT, BAD),
        headers=w.auth("furnisher"),
    )
    assert r.status_code == 201, r.text
    batch = r.json()
    assert (batch["status"], batch["records_accepted"], batch["records_rejected"]) == (
        "stored",
        1,
        1,
    )
    got = w.client.get(f"/v1/furnisher/batches/{batch['batch_id']}", headers=w.auth("furnisher"))
    assert got.json() == batch
    rejects = w.client.get(
        f"/v1/furnisher/batches/{batch['batch_id']}/rejects", headers=w.auth("furnisher")
    ).json()
    assert rejects and {x["record_no"] for x in rejects} == {2}
    assert all("raw" not in x for x in rejects)
    # Another organisation's key sees nothing, not even that the batch exists.
    for path in (
        f"/v1/furnisher/batches/{batch['batch_id']}",
        f"/v1/furnisher/batches/{batch['batch_id']}/rejects",
    ):
        other = w.client.get(path, headers=w.auth("other_furnisher"))
        assert other.status_code == 404 and code(other) == "batch_not_found"
    again = w.client.post(
        "/v1/furnisher/batches", content=jsonl(ACCOUNT, BAD), headers=w.auth("furnisher")
    )
    assert again.status_code == 201 and again.json()["status"] == "duplicate"


def test_upload_limits_and_bad_input(world: World) -> None:
    w = world
    empty = w.client.post("/v1/furnisher/batches", content=b"", headers=w.auth("furnisher"))
    assert empty.status_code == 400 and code(empty) == "empty_batch"
    fmt = w.client.post(
        "/v1/furnisher/batches?format=xml", content=b"<a/>", headers=w.auth("furnisher")
    )
    assert fmt.status_code == 400 and code(fmt) == "unknown_format"
    junk = w.client.post(
        "/v1/furnisher/batches", content=b"\x00\x01junk", headers=w.auth("furnisher")
    )
    assert junk.status_code == 201 and junk.json()["status"] == "rejected"
    w.client.app.state.limits = Limits(max_upload_bytes=10)  # type: ignore[attr-defined]
    big = w.client.post("/v1/furnisher/batches", content=b"x" * 11, headers=w.auth("furnisher"))
    assert big.status_code == 413 and code(big) == "batch_too_large"


# --------------------------------------------------------------------------- inquirer


def _requests(w: World) -> list[tuple[str | None, str | None, str, str | None]]:
    r = inquiry_requests.c
    with w.engine.connect() as conn:
        rows = conn.execute(
            select(r.inquirer_org_id, r.purpose, r.outcome, r.reason_code).order_by(
                r.at, r.request_id
            )
        ).all()
    return [(x[0], x[1], x[2], x[3]) for x in rows]


def test_inquiry_needs_purpose_and_consent_and_every_attempt_is_recorded(world: World) -> None:
    w = world  # CN: consent required for credit_application
    assert code(inquire(w)) == "purpose_missing"
    assert code(inquire(w, purpose="curiosity")) == "purpose_unknown"
    refused = inquire(w, purpose="employment")
    assert refused.status_code == 403 and code(refused) == "purpose_not_allowed"
    no_consent = inquire(w, purpose="credit_application")
    assert no_consent.status_code == 403 and code(no_consent) == "consent_required"
    assert code(inquire(w, purpose="credit_application", consent_id="nope")) == "consent_not_found"
    nobody = w.client.post(
        "/v1/inquirer/inquiries",
        json={"identifier": {"scheme": "cn_ric", "value": RIC_NOBODY}, "purpose": "account_review"},
        headers=w.auth("inquirer"),
    )
    assert nobody.status_code == 404 and code(nobody) == "subject_not_found"
    invalid = w.client.post(
        "/v1/inquirer/inquiries",
        json={"identifier": {"scheme": "cn_ric", "value": "123"}, "purpose": "account_review"},
        headers=w.auth("inquirer"),
    )
    assert invalid.status_code == 422 and code(invalid) == "identifier_invalid"

    consent_id = grant(w)
    served = inquire(w, purpose="credit_application", consent_id=consent_id)
    assert served.status_code == 200, served.text
    body = served.json()
    assert body["kind"] == "hard"
    report = body["report"]
    assert [a["account_id"] for a in report["accounts"]] == [w.account1]
    assert [p["record_id"] for p in report["public_records"]] == [w.record1]
    assert report["identifiers"] == [{"scheme": "cn_ric", "masked": "**************002X"}] or all(
        RIC_1 not in i["masked"] for i in report["identifiers"]
    )
    assert report["inquiries"][0]["inquiry_id"] == body["inquiry_id"]

    # The consent is for lender-a only.
    mismatch = inquire(w, "other_inquirer", purpose="credit_application", consent_id=consent_id)
    assert code(mismatch) == "consent_mismatch"

    outcomes = _requests(w)
    assert [o[2] for o in outcomes].count("served") == 1
    # One clock instant for all: compare as a sorted list.
    assert sorted(str(o[3]) for o in outcomes if o[2] == "refused") == sorted(
        [
            "purpose_missing",
            "purpose_unknown",
            "purpose_not_allowed",
            "consent_required",
            "consent_not_found",
            "subject_not_found",
            "identifier_invalid",
            "consent_mismatch",
        ]
    )
    with w.engine.connect() as conn:
        counted = {
            table.name: {
                str(a): int(n)
                for a, n in conn.execute(
                    select(table.c.action, func.count()).group_by(table.c.action)
                )
            }
            for table in (audit_events, inquiry_events)
        }
    # Every attempt in the inquiry chain; the consent in the audit chain.
    assert counted["inquiry_events"] == {"inquiry.refused": 8, "inquiry.served": 1}
    assert counted["audit_events"]["consent.granted"] == 1
    assert not {"inquiry.refused", "inquiry.served"} & set(counted["audit_events"])


def test_revoked_and_expired_consents_are_refused(world: World) -> None:
    w = world
    revoked = grant(w)
    r = w.client.delete(f"/v1/subject/consents/{revoked}", headers=w.auth("subject"))
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    assert code(inquire(w, purpose="credit_application", consent_id=revoked)) == "consent_revoked"
    expiring = grant(w, expires_at=(w.clock.now + timedelta(days=1)).isoformat())
    assert inquire(w, purpose="credit_application", consent_id=expiring).status_code == 200
    # Another subject cannot revoke it.
    other = w.client.delete(f"/v1/subject/consents/{expiring}", headers=w.auth("other_subject"))
    assert other.status_code == 404
    w.clock.now += timedelta(days=2)
    assert code(inquire(w, purpose="credit_application", consent_id=expiring)) == "consent_expired"
    with w.engine.connect() as conn:
        row = conn.execute(select(consents).where(consents.c.consent_id == expiring)).one()
    assert row.revoked_at is None


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_us_needs_no_consent_for_credit_but_hides_prescreens_from_users(world: World) -> None:
    w = world
    assert inquire(w, purpose="credit_application").status_code == 200
    assert inquire(w, purpose="prescreen").json()["kind"] == "soft"
    report = inquire(w, purpose="account_review").json()["report"]
    assert {i["purpose"] for i in report["inquiries"]} == {"credit_application", "account_review"}
    own = w.client.get("/v1/subject/inquiries", headers=w.auth("subject")).json()
    assert {i["purpose"] for i in own} == {"credit_application", "prescreen", "account_review"}
    assert all(i["inquirer_org_id"] == "lender-a" and i["at"] for i in own)


# --------------------------------------------------------------------------- subject


def test_subject_file_dispute_flags_item_and_deadline_from_profile(world: World) -> None:
    w = world
    r = w.client.post(
        "/v1/subject/disputes",
        json={"item_kind": "account", "item_id": w.account1, "reason": "not mine"},
        headers=w.auth("subject"),
    )
    assert r.status_code == 201, r.text
    dispute = r.json()
    assert dispute["status"] == "forwarded" and not dispute["overdue"]  # told at once
    assert dispute["due_at"].startswith("2026-05-31")  # CN: 20 days (art. 25)
    f = w.client.get("/v1/subject/file", headers=w.auth("subject")).json()
    assert [a["disputed"] for a in f["report"]["accounts"]] == [True]
    assert [d["dispute_id"] for d in f["disputes"]] == [dispute["dispute_id"]]
    # The inquirer sees the flag too (the subject sees what the inquirer sees).
    w.client.post(
        "/v1/subject/consents",
        json={"inquirer_org_id": "lender-a", "purpose": "account_review"},
        headers=w.auth("subject"),
    )
    # Not the subject's item: 404, nothing stored.
    other = w.client.post(
        "/v1/subject/disputes",
        json={"item_kind": "account", "item_id": w.account2, "reason": "x"},
        headers=w.auth("subject"),
    )
    assert other.status_code == 404 and code(other) == "item_not_found"
    ops = w.client.get("/v1/operator/disputes?overdue=true", headers=w.auth("operator")).json()
    assert ops == []
    w.clock.now += timedelta(days=21)
    ops = w.client.get("/v1/operator/disputes?overdue=true", headers=w.auth("operator")).json()
    assert [d["dispute_id"] for d in ops] == [dispute["dispute_id"]]


@pytest.mark.parametrize("jurisdiction", ["US"])
def test_statement_word_limit_from_profile(world: World) -> None:
    w = world
    ok = w.client.post(
        "/v1/subject/statements",
        json={"text": " ".join(["word"] * 100), "item_kind": "account", "item_id": w.account1},
        headers=w.auth("subject"),
    )
    assert ok.status_code == 201, ok.text
    long = w.client.post(
        "/v1/subject/statements", json={"text": " ".join(["word"] * 101)}, headers=w.auth("subject")
    )
    assert long.status_code == 422 and code(long) == "word_limit"
    f = w.client.get("/v1/subject/file", headers=w.auth("subject")).json()
    assert f["report"]["accounts"][0]["statements"] == [" ".join(["word"] * 100)]
    assert f["free_reports_per_year"] == 1


def test_cn_statement_has_no_word_limit(world: World) -> None:
    r = world.client.post(
        "/v1/subject/statements", json={"text": "字" * 500}, headers=world.auth("subject")
    )
    assert r.status_code == 201


# --------------------------------------------------------------------------- credentials


def test_keys_expire_and_revoke_and_codes_are_single_use(world: World) -> None:
    w = world
    ok = w.client.get("/v1/operator/audit/verify", headers=w.auth("operator"))
    assert ok.status_code == 200 and ok.json()["ok"] is True
    key_id = w.tokens["operator"].split(".")[0]
    bad_secret = {"Authorization": f"Bearer {key_id}.wrong"}
    assert w.client.get("/v1/operator/audit/verify", headers=bad_secret).status_code == 401
    with w.engine.connect() as conn:
        stored = conn.execute(
            select(api_keys.c.secret_hash).where(api_keys.c.key_id == key_id)
        ).scalar_one()
    assert w.tokens["operator"].split(".", 1)[1] not in stored
    with transaction(w.engine) as conn:
        short = create_key(
            conn, "regulator", "operator", timedelta(minutes=5), now=w.clock.now
        ).token
        assert revoke_key(conn, key_id, now=w.clock.now)
    revoked = w.client.get("/v1/operator/audit/verify", headers=w.auth("operator"))
    assert revoked.status_code == 401 and revoked.headers["www-authenticate"] == "Bearer"
    h = {"Authorization": f"Bearer {short}"}
    assert w.client.get("/v1/operator/audit/verify", headers=h).status_code == 200
    w.clock.now += timedelta(minutes=6)
    assert w.client.get("/v1/operator/audit/verify", headers=h).status_code == 401
    # The subject's code was used by the fixture: a second use fails.
    again = w.client.post("/v1/subject/session", json={"code": w.codes["subject"]})
    assert again.status_code == 401 and code(again) == "sign_in_failed"


def test_operator_volumes_and_audit(world: World) -> None:
    w = world
    consent_id = grant(w)
    inquire(w, purpose="credit_application", consent_id=consent_id)
    inquire(w, purpose="employment")
    vols = w.client.get("/v1/operator/inquiry-volumes", headers=w.auth("operator")).json()
    assert {(v["inquirer_org_id"], v["purpose"], v["outcome"], v["count"]) for v in vols} == {
        ("lender-a", "credit_application", "served", 1),
        ("lender-a", None, "refused", 1),
    }
    with w.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inquiries)).scalar_one() == 1
    batches = w.client.get("/v1/operator/batches", headers=w.auth("operator")).json()
    assert [b["batch_id"] for b in batches] == ["seed-batch"]
    audit = w.client.get("/v1/operator/audit/verify", headers=w.auth("operator")).json()
    assert audit["ok"] and audit["checked"] > 10
    # The inquiry attempts, in their own chain, walked too.
    assert audit["inquiries"]["ok"] and audit["inquiries"]["checked"] >= 2
    # Tampering is found.
    with transaction(w.engine) as conn:
        conn.execute(update(audit_events).where(audit_events.c.seq == 3).values(actor="mallory"))
    assert not w.client.get("/v1/operator/audit/verify", headers=w.auth("operator")).json()["ok"]
