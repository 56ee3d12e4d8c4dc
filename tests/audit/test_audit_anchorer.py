"""Each service worker anchors the inquiry chain in the audit chain on its own.

What must hold: an anchor names the inquiry chain's head as it is; nothing is
written while the chain is empty or has not moved since this worker's last
anchor; the thread anchors at its interval and once more when it stops (after
the recorder's last commit); and the app starts and stops it with its lifespan.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xinyong.api.app import create_app
from xinyong.audit import chain
from xinyong.audit.anchorer import ACTOR, Anchorer
from xinyong.settings import Settings
from xinyong.store.engine import transaction
from xinyong.system import initialise

HASH_KEY = "a" * 64


def _inquiries(engine: Engine, n: int, start: int = 0) -> chain.ChainHead:
    events = [
        chain.NewEvent("inquirer:lender-a:k1", "inquiry.served", f"s{i}", "credit_application")
        for i in range(start, start + n)
    ]
    with transaction(engine) as conn:
        added = chain.append_many(conn, events, log=chain.INQUIRIES)
    return chain.ChainHead(added[-1].seq, added[-1].hash)


def _anchors(engine: Engine) -> list[chain.AuditEvent]:
    with engine.connect() as conn:
        return [e for e in chain.iter_events(conn) if e.action == chain.ANCHOR_ACTION]


def test_an_anchor_is_written_only_when_the_chain_moved(engine: Engine) -> None:
    anchorer = Anchorer(engine)
    assert anchorer.anchor_once() is None  # empty
    first = _inquiries(engine, 3)
    event = anchorer.anchor_once()
    assert event is not None and event.actor == ACTOR
    assert event.payload == {"log": "inquiries", "seq": first.seq, "hash": first.hash}
    assert anchorer.anchor_once() is None  # not moved
    second = _inquiries(engine, 2, start=3)
    assert anchorer.anchor_once() is not None
    assert [a.payload["seq"] for a in _anchors(engine)] == [first.seq, second.seq]
    with engine.connect() as conn:
        assert chain.verify_store(conn).inquiries_anchor == second


def test_the_thread_anchors_at_its_interval_and_when_it_stops(engine: Engine) -> None:
    _inquiries(engine, 1)
    anchorer = Anchorer(engine, interval=0.02)
    anchorer.start()
    try:
        waited = threading.Event()
        for _ in range(500):  # up to 10 s on a busy machine; usually the first turn
            if anchorer.anchors:
                break
            waited.wait(0.02)
        assert anchorer.anchors == 1
        last = _inquiries(engine, 1, start=1)
    finally:
        anchorer.close()
    assert anchorer.anchors == 2  # the last one, on the way out
    assert _anchors(engine)[-1].payload["seq"] == last.seq


def test_stopping_anchors_what_was_recorded_since_the_last_interval(engine: Engine) -> None:
    anchorer = Anchorer(engine, interval=3600)
    anchorer.start()
    head = _inquiries(engine, 4)
    anchorer.close()
    assert [a.payload["seq"] for a in _anchors(engine)] == [head.seq]
    anchorer.close()  # twice is harmless
    assert len(_anchors(engine)) == 1


def test_the_app_runs_an_anchorer_for_its_lifespan(
    engine: Engine, store_url: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", db_url=store_url, hash_key=HASH_KEY)
    initialise(settings)  # the store is migrated already: this only makes the home
    app = create_app(settings)
    with TestClient(app):
        anchorer = app.state.anchorer
        assert isinstance(anchorer, Anchorer) and anchorer.running
        head = _inquiries(engine, 2)
    assert not anchorer.running
    assert _anchors(engine)[-1].payload["seq"] == head.seq
