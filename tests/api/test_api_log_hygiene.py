"""No identifier, name or score in any log line, through a full flow over a real server.

The app runs under uvicorn on loopback (so uvicorn's access and error loggers
speak too), every logger of uvicorn, FastAPI, Starlette and xinyong is
captured at DEBUG, and a furnisher uploads the subject's records (with a
reject), the subject consents, an inquirer pulls a report and a score, the
subject reads its file and disputes, the furnisher corrects with a new record,
and the operator looks on; refusals included. No captured message may contain
the subject's identifier (in any spelling), name, birth date, account number,
internal id or score.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from api_testkit import NAME_1, NAME_2, RIC_1, RIC_2, RIC_NOBODY, World
from reports_testkit import store_score

from xinyong.api.limits import Limits

LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "fastapi", "starlette", "xinyong")
ROOTS = ("uvicorn", "fastapi", "starlette", "xinyong")  # children propagate to these

RECORD: dict[str, Any] = {
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


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def captured() -> Iterator[Collect]:
    handler = Collect()
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        if name in ROOTS:
            logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger, level in saved:
            logger.removeHandler(handler)
            logger.setLevel(level)


@pytest.fixture
def server(world: World) -> Iterator[httpx.Client]:
    """The world's app under uvicorn on a free loopback port (its lifespan already ran)."""
    config = uvicorn.Config(
        world.client.app, host="127.0.0.1", port=0, lifespan="off", log_config=None
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    started = threading.Event()
    while not started.wait(0.05):
        if srv.started:
            started.set()
        elif not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
    port = srv.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        srv.should_exit = True
        thread.join()


def secrets_of(w: World) -> list[str]:
    return [
        RIC_1,
        RIC_1.lower(),
        RIC_1[:-1],
        RIC_2,
        RIC_NOBODY,
        NAME_1,
        NAME_2,
        "小明",
        "1949-12-31",
        "19491231",
        "6222000011112222",
        w.subject1,
        w.subject2,
    ]


def test_no_identifier_name_or_score_in_any_log_line(
    world: World, server: httpx.Client, captured: Collect
) -> None:
    w, http = world, server
    w.client.app.state.limits = Limits(inquiries_per_window=5)  # type: ignore[attr-defined]
    store_score(w.engine, w.subject1)
    bad = {**RECORD, "account_number": "A-BAD", "current_balance": -5, "id_value": RIC_1 + "9"}
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (RECORD, bad)).encode()
    up = http.post("/v1/furnisher/batches", content=data, headers=w.auth("furnisher"))
    assert up.status_code == 201, up.text
    batch = up.json()["batch_id"]
    assert http.get(f"/v1/furnisher/batches/{batch}/rejects", headers=w.auth("furnisher")).json()

    consent = http.post(
        "/v1/subject/consents",
        json={"inquirer_org_id": "lender-a", "purpose": "credit_application"},
        headers=w.auth("subject"),
    ).json()["consent_id"]
    ask = {
        "identifier": {"scheme": "cn_ric", "value": RIC_1},
        "purpose": "credit_application",
        "consent_id": consent,
    }
    report = http.post("/v1/inquirer/inquiries", json=ask, headers=w.auth("inquirer"))
    assert report.status_code == 200, report.text
    scored = http.post("/v1/inquirer/score", json=ask, headers=w.auth("inquirer")).json()
    score = scored["score"]["score"]
    notice = f"/v1/inquirer/inquiries/{scored['inquiry_id']}/adverse-action-notice"
    assert http.get(notice, headers=w.auth("inquirer")).status_code == 200
    # Refusals: unknown subject, invalid identifier, no consent, rate limit.
    for identifier in (RIC_NOBODY, RIC_1[:-1] + "0", "not-an-id"):
        refused = http.post(
            "/v1/inquirer/inquiries",
            json={**ask, "identifier": {"scheme": "cn_ric", "value": identifier}},
            headers=w.auth("inquirer"),
        )
        assert refused.status_code >= 400
    limited = http.post("/v1/inquirer/inquiries", json=ask, headers=w.auth("inquirer"))
    assert limited.status_code == 429
    http.post("/v1/inquirer/inquiries", json=ask, headers=w.auth("other_inquirer"))

    own = http.get("/v1/subject/file", headers=w.auth("subject"))
    assert own.status_code == 200, own.text
    http.get("/v1/subject/report", headers=w.auth("subject"))
    dispute = http.post(
        "/v1/subject/disputes",
        json={"item_kind": "account", "item_id": w.account1, "reason": f"I am {NAME_1}, {RIC_1}"},
        headers=w.auth("subject"),
    ).json()["dispute_id"]
    http.post(
        "/v1/subject/statements",
        json={"text": f"{NAME_1} paid on time", "item_kind": "account", "item_id": w.account1},
        headers=w.auth("subject"),
    )
    fixed = http.post(
        f"/v1/furnisher/disputes/{dispute}/response",
        json={"outcome": "correct", "record": {**RECORD, "date_reported": "2026-05-12"}},
        headers=w.auth("furnisher"),
    )
    assert fixed.status_code == 200, fixed.text
    for path in ("/v1/operator/disputes", "/v1/operator/batches", "/v1/operator/audit/verify"):
        assert http.get(path, headers=w.auth("operator")).status_code == 200
    # Malformed and invalid bodies (validation messages must not echo the input).
    http.post(
        "/v1/subject/disputes",
        json={"item_kind": "account", "item_id": RIC_1 * 5, "reason": RIC_1},
        headers=w.auth("subject"),
    )
    http.post("/v1/subject/session", json={"code": RIC_1})

    lines = captured.lines
    assert any(line.startswith("uvicorn.access") for line in lines)  # the capture works
    assert any(line.startswith("xinyong") for line in lines)
    text = "\n".join(lines)
    leaks = [s for s in secrets_of(w) if s in text]
    if re.search(rf"\b{score}\b", text):
        leaks.append(f"score {score}")
    assert leaks == [], text
