"""The inquiry path's API-key cache (``keys.KeyCache``): a revocation reaches every
worker within the cache's time to live, an expiry takes effect at once.

Two applications on one store stand for two worker processes. Each one's cache
runs on a clock of the test's (``Ticks``), so "within a second" is checked
without sleeping: a key revoked in the store is still honoured by a worker
that read it less than ``ttl`` ago (the bound the cache trades for a read per
request), and refused by both once their copies are ``ttl`` old.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from api_testkit import HASH_KEY, RIC_1, World
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from xinyong.api.app import create_app
from xinyong.api.keys import KEY_CACHE_TTL, KeyCache, create_key, revoke_key
from xinyong.settings import Jurisdiction, Settings
from xinyong.store.engine import transaction
from xinyong.store.service_schema import inquiry_requests

INQUIRIES = "/v1/inquirer/inquiries"
VALID = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"}


@pytest.fixture
def jurisdiction() -> str:
    return "US"  # no consent needed for a credit application


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def second_worker(world: World, store_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """Another application (as another worker process would build) on the same store."""
    settings = Settings(
        home=tmp_path / "home2",
        db_url=store_url,
        hash_key=HASH_KEY,
        jurisdiction=Jurisdiction(world.jurisdiction),
    )
    with TestClient(create_app(settings, clock=world.clock)) as client:
        yield client


def cache_on(client: TestClient, ticks: Ticks) -> None:
    client.app.state.inquiries.keys = KeyCache(clock=ticks)  # type: ignore[attr-defined]


def inquire(client: TestClient, token: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    return client.post(INQUIRIES, json=VALID, headers=headers, params=params)


def served(w: World) -> int:
    with w.engine.connect() as conn:
        query = select(func.count()).where(inquiry_requests.c.outcome == "served")
        return int(conn.execute(query).scalar_one())


def test_a_revoked_key_is_refused_by_every_worker_within_the_ttl(
    world: World, second_worker: TestClient
) -> None:
    w, ticks = world, Ticks()
    workers = (w.client, second_worker)
    for client in workers:
        cache_on(client, ticks)
    token = w.tokens["inquirer"]
    for client in workers:
        assert inquire(client, token).status_code == 200  # each worker has read the key
    with transaction(w.engine) as conn:
        assert revoke_key(conn, token.split(".")[0], now=w.clock.now)
    # Within the bound a worker may still act on the key as it read it: that is
    # the price of not reading it per request, and the bound is the TTL.
    ticks.now += KEY_CACHE_TTL / 2
    assert inquire(second_worker, token).status_code == 200
    ticks.now += KEY_CACHE_TTL / 2
    for client in workers:
        refused = inquire(client, token)
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == "Bearer"
        # The full path (HTML wanted: FastAPI's handler) reads the same rule.
        assert inquire(client, token, format="html").status_code == 401
    assert served(w) == 3


def test_an_expired_key_is_refused_at_once(world: World) -> None:
    w, ticks = world, Ticks()
    cache_on(w.client, ticks)
    with transaction(w.engine) as conn:
        token = create_key(conn, "lender-a", "inquirer", timedelta(minutes=5), now=w.clock.now)
    assert inquire(w.client, token.token).status_code == 200  # read, and kept
    w.clock.now += timedelta(minutes=5)  # the cached copy is fresh; the key is not
    assert inquire(w.client, token.token).status_code == 401
    assert inquire(w.client, token.token, format="html").status_code == 401


def test_a_wrong_secret_is_refused_for_a_cached_key(world: World) -> None:
    w, ticks = world, Ticks()
    cache_on(w.client, ticks)
    token = w.tokens["inquirer"]
    assert inquire(w.client, token).status_code == 200
    key_id = token.split(".")[0]
    wrong = inquire(w.client, f"{key_id}.wrong")
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    assert inquire(w.client, token).status_code == 200


def test_the_cache_keeps_found_rows_for_the_ttl_only() -> None:
    ticks = Ticks()
    cache: KeyCache[str] = KeyCache(ttl=1.0, size=2, clock=ticks)
    reads: list[str] = []

    def read(key_id: str) -> str | None:
        reads.append(key_id)
        return None if key_id == "k_unknown" else f"row-{key_id}"

    find = cache.reading(read)
    assert find("k_a") == "row-k_a" and cache.fresh("k_a") == "row-k_a"
    assert find("k_unknown") is None and cache.fresh("k_unknown") is None  # misses not kept
    ticks.now += 0.999
    assert cache.fresh("k_a") == "row-k_a"
    ticks.now += 0.001
    assert cache.fresh("k_a") is None
    find("k_a"), find("k_b"), find("k_c")  # full at the third: emptied, then kept
    assert cache.fresh("k_c") == "row-k_c" and cache.fresh("k_a") is None
    assert reads == ["k_a", "k_unknown", "k_a", "k_b", "k_c"]


def test_the_short_path_answers_as_the_full_one(world: World) -> None:
    """``?format=json`` takes FastAPI's handler, a plain JSON request the short path:
    the same report either way (but for the inquiry each one records)."""
    w = world
    token = w.tokens["inquirer"]
    full = inquire(w.client, token, format="json")
    short = inquire(w.client, token)
    assert full.status_code == short.status_code == 200
    a, b = full.json(), short.json()
    assert a["inquiry_id"] != b["inquiry_id"]
    listed = {i["inquiry_id"] for i in b["report"]["inquiries"]}  # the clock stands still
    assert {a["inquiry_id"], b["inquiry_id"]} <= listed
    for doc in (a, b):
        del doc["inquiry_id"], doc["report"]["inquiries"]
    assert a == b
    assert served(w) == 2
