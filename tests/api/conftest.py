"""A seeded deployment behind a TestClient, on SQLite and PostgreSQL (``engine`` fixture).

Two furnishers, two inquirers and an operator, each with a key; two subjects
with one-time codes exchanged for sessions; subject 1 has an account and a
public record in the store. A settable clock moves time for expiry tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_testkit import HASH_KEY, Clock, World, seed
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xinyong.api.app import create_app
from xinyong.settings import Jurisdiction, Settings


@pytest.fixture
def jurisdiction() -> str:
    return "CN"


@pytest.fixture
def world(engine: Engine, store_url: str, tmp_path: Path, jurisdiction: str) -> Iterator[World]:
    settings = Settings(
        home=tmp_path / "home",
        db_url=store_url,
        hash_key=HASH_KEY,
        jurisdiction=Jurisdiction(jurisdiction),
    )
    clock = Clock()
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        w = World(client=client, engine=engine, clock=clock, jurisdiction=jurisdiction)
        seed(engine, w)
        for who in ("subject", "other_subject"):
            r = client.post("/v1/subject/session", json={"code": w.codes[who]})
            assert r.status_code == 201, r.text
            w.tokens[who] = r.json()["token"]
        yield w
