"""The demo's login text: every credential it prints works against the service."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_testkit import HASH_KEY, RIC_1, World
from reports_testkit import publish_world, store_score

from xinyong.service_demo import service_logins
from xinyong.settings import Jurisdiction, Settings
from xinyong.system import open_system


@pytest.fixture
def jurisdiction() -> str:
    return "US"


def test_logins_work_as_printed(world: World, store_url: str, tmp_path: Path) -> None:
    w = world
    publish_world(w.engine, w, tmp_path)
    store_score(w.engine, w.subject1)
    settings = Settings(
        home=tmp_path / "home", db_url=store_url, hash_key=HASH_KEY, jurisdiction=Jurisdiction.US
    )
    system = open_system(settings)
    try:
        logins = service_logins(system, identifier=("cn_ric", RIC_1), now=w.clock.now)
        again = service_logins(system, now=w.clock.now)  # idempotent registration
    finally:
        system.engine.dispose()
    assert logins.subject_id == w.subject1
    for secret in (logins.inquirer_key, logins.operator_key, logins.subject_code, RIC_1):
        assert secret in logins.text
    assert "xinyong serve" in logins.text and "adverse-action-notice" in logins.text
    assert again.inquirer_key != logins.inquirer_key

    r = w.client.post("/v1/subject/session", json={"code": logins.subject_code})
    assert r.status_code == 201, r.text
    own = w.client.get(
        "/v1/subject/report", headers={"Authorization": f"Bearer {r.json()['token']}"}
    )
    assert own.status_code == 200 and own.json()["report"]["subject_id"] == w.subject1
    body = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"}
    r = w.client.post(
        "/v1/inquirer/inquiries",
        json=body,
        headers={"Authorization": f"Bearer {logins.inquirer_key}"},
    )
    assert r.status_code == 200, r.text
    r = w.client.get(
        "/v1/operator/audit/verify", headers={"Authorization": f"Bearer {logins.operator_key}"}
    )
    assert r.status_code == 200 and r.json()["ok"] is True
