"""Size limits (413) and per-key rate limits (429 with Retry-After), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from api_testkit import RIC_1, START, World
from sqlalchemy import func, select

from xinyong.api.limits import Limits, bucket_for, count_request
from xinyong.store.engine import make_engine, transaction
from xinyong.store.service_schema import rate_counters


def code(r: Any) -> str:
    return str(r.json()["error"]["code"])


def inquire(w: World, who: str = "inquirer", consent_id: str | None = None) -> Any:
    body = {
        "identifier": {"scheme": "cn_ric", "value": RIC_1},
        "purpose": "account_review",
        "consent_id": consent_id,
    }
    return w.client.post("/v1/inquirer/inquiries", json=body, headers=w.auth(who))


def set_limits(w: World, **values: int) -> None:
    w.client.app.state.limits = Limits(**values)  # type: ignore[attr-defined]


def test_upload_and_body_size_limits(world: World) -> None:
    w = world
    set_limits(w, max_upload_bytes=10, max_body_bytes=200)
    big = w.client.post("/v1/furnisher/batches", content=b"x" * 11, headers=w.auth("furnisher"))
    assert big.status_code == 413 and code(big) == "batch_too_large"
    assert "10 bytes" in big.json()["error"]["message"]
    # Any other body: refused before a handler parses it, declared or streamed.
    text = {"text": "word " * 100}
    r = w.client.post("/v1/subject/statements", json=text, headers=w.auth("subject"))
    assert r.status_code == 413 and code(r) == "body_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        yield b"y" * 300
        yield b'"}'

    streamed = w.client.post(
        "/v1/subject/statements",
        content=chunks(),
        headers={**w.auth("subject"), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413 and code(streamed) == "body_too_large"
    small = w.client.post(
        "/v1/subject/statements", json={"text": "I paid."}, headers=w.auth("subject")
    )
    assert small.status_code == 201, small.text


def test_inquiries_are_rate_limited_per_key_with_retry_after(world: World) -> None:
    w = world
    set_limits(w, inquiries_per_window=2, window_seconds=60)
    consent = w.client.post(
        "/v1/subject/consents",
        json={"inquirer_org_id": "lender-a", "purpose": "account_review"},
        headers=w.auth("subject"),
    ).json()["consent_id"]
    assert [inquire(w, consent_id=consent).status_code for _ in range(2)] == [200, 200]
    third = inquire(w, consent_id=consent)
    assert third.status_code == 429 and code(third) == "rate_limited"
    assert third.headers["Retry-After"] == "60"  # the clock stands at the window's start
    # Another key has its own allowance (refused for its own reasons, not the rate).
    assert inquire(w, "other_inquirer").status_code != 429
    # Anonymous and wrong-role callers are refused before counting.
    assert inquire(w, "anonymous").status_code == 401
    w.clock.now += timedelta(seconds=45)
    assert inquire(w).headers["Retry-After"] == "15"
    w.clock.now += timedelta(seconds=15)  # a new window
    assert inquire(w, consent_id=consent).status_code == 200
    with w.engine.connect() as conn:
        windows = conn.execute(
            select(func.count())
            .select_from(rate_counters)
            .where(rate_counters.c.bucket == "inquiries")
        ).scalar_one()
    assert windows == 2  # this window for each key: older windows are dropped


def test_uploads_are_rate_limited(world: World) -> None:
    w = world
    set_limits(w, uploads_per_window=1)
    first = w.client.post(
        "/v1/furnisher/batches", content=b'{"record_kind": "x"}\n', headers=w.auth("furnisher")
    )
    assert first.status_code == 201
    second = w.client.post(
        "/v1/furnisher/batches", content=b'{"record_kind": "y"}\n', headers=w.auth("furnisher")
    )
    assert second.status_code == 429 and int(second.headers["Retry-After"]) >= 1
    # Polling is not limited.
    poll = w.client.get(
        f"/v1/furnisher/batches/{first.json()['batch_id']}", headers=w.auth("furnisher")
    )
    assert poll.status_code == 200


def test_counters_are_shared_by_every_process_on_the_store(world: World, store_url: str) -> None:
    # Two engines stand for two worker processes: the count is the store's, not theirs.
    other = make_engine(store_url)
    try:
        seen = []
        for engine in (world.engine, other, world.engine, other):
            with transaction(engine) as conn:
                seen.append(count_request(conn, "k1", "inquiries", START, 60)[0])
        assert seen == [1, 2, 3, 4]
    finally:
        other.dispose()


def test_buckets_and_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert bucket_for("POST", "/v1/inquirer/inquiries") == "inquiries"
    assert bucket_for("POST", "/v1/inquirer/score") == "inquiries"
    assert bucket_for("POST", "/v1/furnisher/batches") == "uploads"
    assert bucket_for("GET", "/v1/furnisher/batches") is None
    assert bucket_for("POST", "/v1/subject/disputes") is None
    monkeypatch.setenv("XINYONG_LIMIT_INQUIRIES_PER_WINDOW", "5")
    monkeypatch.setenv("XINYONG_LIMIT_MAX_UPLOAD_BYTES", "1000")
    limits = Limits()
    assert (limits.inquiries_per_window, limits.max_upload_bytes) == (5, 1000)
    assert Limits.model_fields["uploads_per_window"].description


def test_zero_means_unlimited_and_counts_nothing(world: World) -> None:
    w = world
    set_limits(w, uploads_per_window=0)
    for n in range(3):
        r = w.client.post(
            "/v1/furnisher/batches", content=b'{"n": %d}\n' % n, headers=w.auth("furnisher")
        )
        assert r.status_code == 201
    with w.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rate_counters)).scalar_one() == 0
