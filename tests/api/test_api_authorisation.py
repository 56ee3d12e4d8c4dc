"""Every route x every caller: nobody reads or writes what they may not.

Callers: anonymous, each role's own key, another organisation's key of the same
role, a subject and another subject. Expected: 401 without a credential, 403
with the wrong role, 404 for another organisation's or subject's resource, and
for the allowed caller anything but 401/403/5xx.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from api_testkit import NAME_1, NAME_2, RIC_1, RIC_2, World
from fastapi.testclient import TestClient
from test_subject_portal import code_for, sign_in

from xinyong.api.routers import portal
from xinyong.disputes import load
from xinyong.disputes.notices import create_notice
from xinyong.store.engine import transaction

CALLERS = (
    "anonymous",
    "furnisher",
    "other_furnisher",
    "inquirer",
    "other_inquirer",
    "operator",
    "subject",
    "other_subject",
)
ROLE_OF = {
    "anonymous": None,
    "furnisher": "furnisher",
    "other_furnisher": "furnisher",
    "inquirer": "inquirer",
    "other_inquirer": "inquirer",
    "operator": "operator",
    "subject": "subject",
    "other_subject": "subject",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    role: str | None  # None: public
    body: Any = None
    raw: bytes | None = None
    owner: str | None = None  # the caller who owns the resource in the path
    foreign: str = "404"  # what the same role of another organisation or subject gets


def routes(
    w: World,
    batch_id: str,
    consent_id: str,
    dispute_id: str = "DISPUTE",
    own_dispute: str = "DISPUTE",
    *,
    inquiry_id: str = "INQUIRY",
    notice_id: str = "NOTICE",
) -> list[Route]:
    """``dispute_id``: an account dispute bank-a answers; ``own_dispute``: one the operator does;
    ``notice_id``: a notice owed to subject 1 about ``dispute_id``."""
    inquiry = {
        "identifier": {"scheme": "cn_ric", "value": RIC_1},
        "purpose": "credit_application",
        "consent_id": consent_id,
    }
    return [
        Route("GET", "/health", None),
        Route("POST", "/v1/furnisher/batches", "furnisher", raw=b'{"record_kind": "x"}\n'),
        Route("GET", f"/v1/furnisher/batches/{batch_id}", "furnisher", owner="furnisher"),
        Route("GET", f"/v1/furnisher/batches/{batch_id}/rejects", "furnisher", owner="furnisher"),
        Route("GET", "/v1/furnisher/disputes", "furnisher"),
        Route(
            "POST",
            f"/v1/furnisher/disputes/{dispute_id}/response",
            "furnisher",
            body={"outcome": "verify"},
            owner="furnisher",
        ),
        Route(
            "POST",
            f"/v1/furnisher/disputes/{dispute_id}/reinsertion",
            "furnisher",
            body={"certification": "complete and accurate"},
            owner="furnisher",
        ),
        # The consent is lender-a's: lender-b is refused (consent_mismatch).
        Route(
            "POST",
            "/v1/inquirer/inquiries",
            "inquirer",
            body=inquiry,
            owner="inquirer",
            foreign="403",
        ),
        Route(
            "POST", "/v1/inquirer/score", "inquirer", body=inquiry, owner="inquirer", foreign="403"
        ),
        # lender-a made the inquiry: lender-b gets a 404 for its notice.
        Route(
            "GET",
            f"/v1/inquirer/inquiries/{inquiry_id}/adverse-action-notice",
            "inquirer",
            owner="inquirer",
        ),
        Route("GET", "/v1/inquirer/recipient-notices", "inquirer"),
        Route("GET", "/v1/subject/file", "subject"),
        Route("GET", "/v1/subject/report", "subject"),
        Route("GET", "/v1/subject/inquiries", "subject"),
        Route("GET", "/v1/subject/consents", "subject"),
        Route(
            "POST",
            "/v1/subject/consents",
            "subject",
            body={"inquirer_org_id": "lender-a", "purpose": "account_review"},
        ),
        Route("DELETE", f"/v1/subject/consents/{consent_id}", "subject", owner="subject"),
        Route("GET", "/v1/subject/disputes", "subject"),
        Route(
            "POST",
            "/v1/subject/disputes",
            "subject",
            body={"item_kind": "account", "item_id": w.account1, "reason": "not mine"},
            owner="subject",
        ),
        Route(
            "POST",
            f"/v1/subject/disputes/{dispute_id}/information",
            "subject",
            body={"text": "my bank statement shows the payment"},
            owner="subject",
        ),
        Route("POST", f"/v1/subject/disputes/{dispute_id}/procedure", "subject", owner="subject"),
        Route("GET", f"/v1/subject/disputes/{dispute_id}/recipients", "subject", owner="subject"),
        Route(
            "POST",
            f"/v1/subject/disputes/{dispute_id}/recipients",
            "subject",
            body={"inquirer_org_ids": None},
            owner="subject",
        ),
        Route("GET", "/v1/subject/notices", "subject"),
        Route("POST", "/v1/subject/statements", "subject", body={"text": "I paid on time."}),
        Route("GET", "/v1/operator/batches", "operator"),
        Route("GET", "/v1/operator/disputes", "operator"),
        Route("POST", "/v1/operator/disputes/enforce", "operator"),
        Route(
            "POST",
            f"/v1/operator/disputes/{own_dispute}/response",
            "operator",
            body={"outcome": "verify"},
        ),
        Route(
            "POST",
            f"/v1/operator/disputes/{dispute_id}/extension",
            "operator",
            body={"reason": "a complex request"},
        ),
        Route(
            "POST",
            f"/v1/operator/disputes/{dispute_id}/termination",
            "operator",
            body={"reason": "irrelevant", "note": "not about the account"},
        ),
        Route("GET", "/v1/operator/notices", "operator"),
        Route("POST", f"/v1/operator/notices/{notice_id}/sent", "operator"),
        Route("GET", "/v1/operator/inquiry-volumes", "operator"),
        Route("GET", "/v1/operator/audit/verify", "operator"),
    ]


def test_every_route_is_covered(world: World) -> None:
    spec = world.client.get("/openapi.json").json()
    declared = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    templated = {
        (
            r.method,
            r.path.replace("BATCH", "{batch_id}")
            .replace("CONSENT", "{consent_id}")
            .replace("DISPUTE", "{dispute_id}")
            .replace("INQUIRY", "{inquiry_id}")
            .replace("NOTICE", "{notice_id}"),
        )
        for r in routes(world, "BATCH", "CONSENT")
    }
    # Sign-in is anonymous by design and tested in the flows.
    assert declared - templated == {("POST", "/v1/subject/session")}


def test_authorisation_matrix(world: World, caplog: pytest.LogCaptureFixture) -> None:
    w = world
    caplog.set_level(logging.DEBUG)
    up = w.client.post(
        "/v1/furnisher/batches", content=b'{"record_kind": "y"}\n', headers=w.auth("furnisher")
    )
    batch_id = up.json()["batch_id"]
    consent_id = w.client.post(
        "/v1/subject/consents",
        json={"inquirer_org_id": "lender-a", "purpose": "credit_application"},
        headers=w.auth("subject"),
    ).json()["consent_id"]
    dispute_ids = [
        w.client.post("/v1/subject/disputes", json=body, headers=w.auth("subject")).json()[
            "dispute_id"
        ]
        for body in (
            {"item_kind": "account", "item_id": w.account1, "reason": "not mine"},
            {"item_kind": "identity", "reason": "not me"},
        )
    ]
    inquiry_id = w.client.post(
        "/v1/inquirer/inquiries",
        json={
            "identifier": {"scheme": "cn_ric", "value": RIC_1},
            "purpose": "credit_application",
            "consent_id": consent_id,
        },
        headers=w.auth("inquirer"),
    ).json()["inquiry_id"]
    with transaction(w.engine) as conn:
        disputed = load(conn, dispute_ids[0])
        notice_id = create_notice(
            conn,
            disputed,
            "reinsertion",
            "a notice",
            due_at=w.clock.now,
            now=w.clock.now,
            actor="t",
        )
    failures = []
    for route in routes(
        w, batch_id, consent_id, *dispute_ids, inquiry_id=inquiry_id, notice_id=notice_id
    ):
        for caller in CALLERS:
            r = w.client.request(
                route.method,
                route.path,
                headers=w.auth(caller),
                json=route.body,
                content=route.raw,
            )
            if route.role is None:
                expected = "ok"
            elif caller == "anonymous":
                expected = "401"
            elif ROLE_OF[caller] != route.role:
                expected = "403"
            elif route.owner is not None and caller != route.owner:
                expected = route.foreign
            else:
                expected = "ok"
            got = str(r.status_code)
            ok = got not in ("401", "403", "404") and r.status_code < 500
            if (expected == "ok" and not ok) or (expected != "ok" and got != expected):
                failures.append((route.method, route.path, caller, expected, got, r.text[:120]))
            if caller != "subject" and r.status_code < 300:
                # Nobody but subject 1 and a lawful inquirer sees subject 1's data.
                assert (RIC_1 not in r.text and NAME_1 not in r.text) or caller == "inquirer"
    assert failures == []
    text = "\n".join(rec.getMessage() for rec in caplog.records)
    for secret in (RIC_1, RIC_2, NAME_1, NAME_2, w.subject1, w.subject2, "002X"):
        assert secret not in text
    assert "inquiry served" in text  # the capture did see the service's log lines


# --------------------------------------------------------------------------- the subject portal

PORTAL_CALLERS = (*CALLERS[:-2], "subject_bearer", "subject", "other_subject")


def portal_routes(
    w: World, consent_id: str, dispute_id: str, completed_dispute: str = "DISPUTE"
) -> list[Route]:
    """The portal's pages and forms; ``role`` None: the sign-in pages anyone may open.
    ``owner``: the resource in the path or the form is subject 1's; ``completed_dispute``
    one of its disputes already answered. Sign-out last."""
    return [
        Route("GET", "/portal", None),
        Route("GET", "/portal/sign-in", None),
        Route("POST", "/portal/sign-in", None, body={"code": "c_x.y"}),
        Route("GET", "/portal/report", "subject"),
        Route("GET", "/portal/report?format=pdf", "subject"),
        Route("GET", "/portal/inquiries", "subject"),
        Route("GET", "/portal/consents", "subject"),
        Route(
            "POST",
            "/portal/consents",
            "subject",
            body={"inquirer_org_id": "lender-a", "purpose": "account_review"},
        ),
        Route("POST", f"/portal/consents/{consent_id}/revoke", "subject", body={}, owner="subject"),
        Route("GET", "/portal/disputes", "subject"),
        Route(
            "POST",
            "/portal/disputes",
            "subject",
            body={"item": f"account:{w.account1}", "reason": "not mine"},
            owner="subject",
        ),
        Route(
            "POST",
            f"/portal/disputes/{dispute_id}/information",
            "subject",
            body={"text": "my bank statement"},
            owner="subject",
        ),
        Route(
            "POST",
            f"/portal/disputes/{completed_dispute}/procedure",
            "subject",
            body={},
            owner="subject",
        ),
        Route(
            "POST",
            f"/portal/disputes/{completed_dispute}/recipients",
            "subject",
            body={"inquirer_org_id": ""},
            owner="subject",
        ),
        Route("GET", "/portal/statements", "subject"),
        Route("POST", "/portal/statements", "subject", body={"text": "I paid on time."}),
        Route("POST", "/portal/sign-out", "subject", body={}),
    ]


def test_every_portal_route_is_covered(world: World) -> None:
    declared = {
        (method, route.path)
        for route in portal.router.routes
        for method in getattr(route, "methods", ())
        if method != "HEAD"
    }
    listed = {
        (
            r.method,
            r.path.split("?")[0]
            .replace("CONSENT", "{consent_id}")
            .replace("DISPUTE", "{dispute_id}"),
        )
        for r in portal_routes(world, "CONSENT", "DISPUTE")
    }
    assert declared == listed


@pytest.mark.parametrize("jurisdiction", ["US"])  # the profile that owes the procedure (a)(7)
def test_portal_authorisation_matrix(world: World) -> None:
    """Without a portal session (anonymous, any API key, even the subject's own bearer
    token) every page and form is a redirect to sign-in that shows nothing; another
    subject's session gets a 404 for subject 1's consent, item and dispute and never sees
    its data."""
    w = world
    consent_id = w.client.post(
        "/v1/subject/consents",
        json={"inquirer_org_id": "lender-a", "purpose": "credit_application"},
        headers=w.auth("subject"),
    ).json()["consent_id"]
    dispute_id = w.client.post(
        "/v1/subject/disputes",
        json={"item_kind": "identity", "reason": "not me"},
        headers=w.auth("subject"),
    ).json()["dispute_id"]
    # A report before the dispute is settled: a recipient to tell of the deletion (611(d)).
    inquired = w.client.post(
        "/v1/inquirer/inquiries",
        json={"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"},
        headers=w.auth("inquirer"),
    )
    assert inquired.status_code == 200, inquired.text
    w.clock.now += timedelta(minutes=1)
    completed = w.client.post(
        "/v1/subject/disputes",
        json={"item_kind": "identity", "reason": "not my address"},
        headers=w.auth("subject"),
    ).json()["dispute_id"]
    answered = w.client.post(
        f"/v1/operator/disputes/{completed}/response",
        json={"outcome": "delete"},
        headers=w.auth("operator"),
    )
    assert answered.status_code == 200, answered.text
    clients: dict[str, TestClient] = {}
    csrf: dict[str, str] = {}
    for caller in PORTAL_CALLERS:
        client = TestClient(w.client.app, follow_redirects=False)
        if caller in ("subject", "other_subject"):
            csrf[caller] = sign_in(
                client, code_for(w, w.subject1 if caller == "subject" else w.subject2)
            )
        elif caller == "subject_bearer":
            client.headers.update(w.auth("subject"))
        else:
            client.headers.update(w.auth(caller))
        clients[caller] = client
    failures = []
    for route in portal_routes(w, consent_id, dispute_id, completed):
        for caller in PORTAL_CALLERS:
            client = clients[caller]
            data = None
            if route.body is not None:
                data = route.body | {"csrf": csrf.get(caller, "")}
            r = client.request(route.method, route.path, data=data)
            got = str(r.status_code)
            location = r.headers.get("location", "")
            signed_in = caller in ("subject", "other_subject")
            if route.role is None:
                ok = r.status_code < 500 and got not in ("401", "404")
            elif not signed_in:
                ok = got == "303" and location == "/portal/sign-in" and "<table" not in r.text
            elif route.owner is not None and caller != route.owner:
                ok = got == "404"
            else:
                ok = r.status_code < 400 and location != "/portal/sign-in"
            if not ok:
                failures.append((route.method, route.path, caller, got, location, r.text[:120]))
            if caller != "subject":
                assert NAME_1 not in r.text and RIC_1 not in r.text and consent_id not in r.text
                assert dispute_id not in r.text and completed not in r.text
                assert w.account1 not in r.text or route.owner is not None
    assert failures == []
    for client in clients.values():
        client.close()
