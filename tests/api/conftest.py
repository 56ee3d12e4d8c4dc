"""A seeded deployment behind a TestClient, on SQLite and PostgreSQL (``engine`` fixture).

Two furnishers, two inquirers and an operator, each with a key; two subjects
with one-time codes exchanged for sessions; subject 1 has an account and a
public record in the store. A settable clock moves time for expiry tests.

Seeding (keys, subjects, the two code exchanges through the service) runs for
real in the first test of each backend and jurisdiction; the rows it wrote are
kept (``store_testkit.SeededRows``) and replayed into the fresh store of every
later test, which then gets the same keys, codes, sessions and audit chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from api_testkit import HASH_KEY, Clock, World, seed
from browser_testkit import launch_chromium
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from store_testkit import SeededRows, replay_rows, seeded_rows, table_rows
from xinyong.api.app import create_app
from xinyong.settings import Jurisdiction, Settings


@dataclass(frozen=True)
class SeededWorld:
    """A world's store rows and what its tests need to know about them."""

    rows: SeededRows
    tokens: dict[str, str]
    codes: dict[str, str]
    subjects: tuple[str, str]


@dataclass
class SeededWorlds:
    by_key: dict[tuple[str, str], SeededWorld] = field(default_factory=dict)


@pytest.fixture(scope="session")
def seeded_worlds() -> SeededWorlds:
    """The seeded states of this session, by (backend, jurisdiction)."""
    return SeededWorlds()


@pytest.fixture
def jurisdiction() -> str:
    return "CN"


@pytest.fixture
def world(
    engine: Engine,
    store_url: str,
    tmp_path: Path,
    jurisdiction: str,
    backend: str,
    seeded_worlds: SeededWorlds,
) -> Iterator[World]:
    settings = Settings(
        home=tmp_path / "home",
        db_url=store_url,
        hash_key=HASH_KEY,
        jurisdiction=Jurisdiction(jurisdiction),
    )
    clock = Clock()
    key = (backend, jurisdiction)
    known = seeded_worlds.by_key.get(key)
    if known is not None:
        replay_rows(engine, known.rows)
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        w = World(client=client, engine=engine, clock=clock, jurisdiction=jurisdiction)
        if known is not None:
            w.tokens.update(known.tokens)
            w.codes.update(known.codes)
            w.subject1, w.subject2 = known.subjects
        else:
            before = table_rows(engine)
            seed(engine, w)
            for who in ("subject", "other_subject"):
                r = client.post("/v1/subject/session", json={"code": w.codes[who]})
                assert r.status_code == 201, r.text
                w.tokens[who] = r.json()["token"]
            seeded_worlds.by_key[key] = SeededWorld(
                seeded_rows(engine, before), dict(w.tokens), dict(w.codes), (w.subject1, w.subject2)
            )
        yield w


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module of the report and portal pages (skips without it)."""
    with launch_chromium() as chromium:
        yield chromium
