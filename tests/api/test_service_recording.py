"""Every inquiry recorded and audited under group commit, on SQLite and PostgreSQL.

The inquiry writer (``api.recorder``) commits the attempts waiting at one
moment together. What must hold whatever the grouping: every attempt gets its
request row, served ones their inquiry row, each exactly one audit link, the
chain verifies, a failing attempt fails alone, the rate limit counts in order,
and the answer goes out only once the attempt is committed.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from api_testkit import RIC_1, RIC_NOBODY, START, World
from sqlalchemy import Engine, func, select

from xinyong.api.context import Principal
from xinyong.api.limits import Limits
from xinyong.api.recorder import RATE_LIMITED, Attempt, Recorded, Recorder
from xinyong.audit import chain
from xinyong.store import dbapi
from xinyong.store.engine import transaction
from xinyong.store.schema import audit_events, inquiries
from xinyong.store.service_schema import inquiry_requests, rate_counters

LENDER = Principal(role="inquirer", credential_id="k_test", org_id="lender-a")


@pytest.fixture
def jurisdiction() -> str:
    return "US"  # no consent needed for a credit application


def attempt(subject_id: str, n: int, **fields: Any) -> Attempt:
    values: dict[str, Any] = {
        "principal": LENDER,
        "at": START + timedelta(microseconds=n),
        "subject_id": subject_id,
        "purpose": "credit_application",
        "kind": "hard",
        "consent_id": None,
        "inquiry_id": f"inq-{n:03d}",
        "refusal": None,
    }
    values.update(fields)
    return Attempt(**values)


def record_together(
    engine: Engine, attempts: list[Attempt], *, commits: int = 1
) -> list[Recorded | BaseException]:
    """Record ``attempts`` from one event loop iteration; returns each one's outcome."""
    recorder = Recorder(engine)

    async def main() -> list[Recorded | BaseException]:
        return await asyncio.gather(*(recorder.record(a) for a in attempts), return_exceptions=True)

    try:
        outcomes = asyncio.run(main())
        # All were waiting in the same iteration: one queue item, one transaction
        # (unless it failed: then each alone).
        recorded = sum(isinstance(o, Recorded) for o in outcomes)
        assert (recorder.batches, recorder.attempts) == (commits, recorded)
        return outcomes
    finally:
        recorder.close()


def audited(engine: Engine) -> Counter[str]:
    """Request ids named by inquiry audit events (a verified chain), with their count."""
    with engine.connect() as conn:
        assert chain.verify(conn, log=chain.INQUIRIES).ok
        return Counter(
            e.payload["request_id"]
            for e in chain.iter_events(conn, log=chain.INQUIRIES)
            if e.action.startswith("inquiry.")
        )


def test_a_group_is_recorded_and_audited_in_one_commit(world: World) -> None:
    w = world
    outcomes = record_together(w.engine, [attempt(w.subject1, n) for n in range(20)])
    assert all(isinstance(o, Recorded) and o.served for o in outcomes)
    ids = {o.request_id for o in outcomes if isinstance(o, Recorded)}
    assert audited(w.engine) == Counter({i: 1 for i in ids})
    with w.engine.connect() as conn:
        rows = conn.execute(select(inquiry_requests).order_by(inquiry_requests.c.at)).all()
        assert [r.request_id for r in rows] == [o.request_id for o in outcomes]  # type: ignore[union-attr]
        assert {r.inquiry_id for r in rows} == {f"inq-{n:03d}" for n in range(20)}
        assert conn.execute(select(func.count()).select_from(inquiries)).scalar() == 20


def test_a_failing_attempt_fails_alone(world: World) -> None:
    w = world
    group = [attempt(w.subject1, n) for n in range(5)]
    # A check the store refuses (on SQLite the inquiry log has no foreign keys to break).
    group[2] = attempt(w.subject1, 2, kind="bogus")
    outcomes = record_together(w.engine, group, commits=4)
    assert [isinstance(o, Recorded) for o in outcomes] == [True, True, False, True, True]
    with w.engine.connect() as conn:
        served = set(conn.execute(select(inquiries.c.inquiry_id)).scalars())
    assert served == {"inq-000", "inq-001", "inq-003", "inq-004"}
    assert sum(audited(w.engine).values()) == 4


def test_the_rate_limit_is_counted_in_order_and_refusals_recorded(world: World) -> None:
    w = world
    group = [attempt(w.subject1, n, allowance=3, window_seconds=60) for n in range(5)]
    refused = attempt(w.subject1, 9, purpose=None, inquiry_id=None, refusal="purpose_missing")
    group.insert(2, replace(refused, allowance=3))
    outcomes = record_together(w.engine, group)
    recorded = [o for o in outcomes if isinstance(o, Recorded)]
    assert [(o.served, o.retry_after) for o in recorded] == [
        (True, None),
        (True, None),
        (False, None),  # refused for its own reason, and it counts
        (False, 60),
        (False, 60),
        (False, 60),
    ]
    with w.engine.connect() as conn:
        reasons = Counter(conn.execute(select(inquiry_requests.c.reason_code)).scalars())
        assert reasons == Counter({None: 2, "purpose_missing": 1, RATE_LIMITED: 3})
        assert conn.execute(select(rate_counters.c.hits)).scalar() == 6
        refused = [
            e.payload["refusal"]
            for e in chain.iter_events(conn, log=chain.INQUIRIES)
            if e.action == "inquiry.refused"
        ]
    assert refused == ["purpose_missing", RATE_LIMITED, RATE_LIMITED, RATE_LIMITED]


def test_concurrent_requests_are_each_recorded_and_audited_once(world: World) -> None:
    w = world
    bodies = [
        {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"},
        {"identifier": {"scheme": "cn_ric", "value": RIC_NOBODY}, "purpose": "credit_application"},
        {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "employment"},
    ]

    def inquire(n: int) -> int:
        r = w.client.post("/v1/inquirer/inquiries", json=bodies[n % 3], headers=w.auth("inquirer"))
        return int(r.status_code)

    with ThreadPoolExecutor(8) as pool:
        statuses = Counter(pool.map(inquire, range(30)))
    assert statuses == Counter({200: 10, 404: 10, 403: 10})
    with w.engine.connect() as conn:
        requests = conn.execute(select(inquiry_requests)).all()
        n_inquiries = conn.execute(select(func.count()).select_from(inquiries)).scalar()
    assert Counter(r.outcome for r in requests) == Counter({"served": 10, "refused": 20})
    assert n_inquiries == 10
    assert audited(w.engine) == Counter({r.request_id: 1 for r in requests})
    recorder = w.client.app.state.inquiries.recorder  # type: ignore[attr-defined]
    assert recorder.attempts == 30 and 1 <= recorder.batches <= 30


def test_a_429_is_recorded_and_audited(world: World) -> None:
    w = world
    w.client.app.state.limits = Limits(inquiries_per_window=1)  # type: ignore[attr-defined]
    body = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"}
    first = w.client.post("/v1/inquirer/inquiries", json=body, headers=w.auth("inquirer"))
    second = w.client.post("/v1/inquirer/inquiries", json=body, headers=w.auth("inquirer"))
    assert (first.status_code, second.status_code) == (200, 429)
    assert second.json()["error"]["code"] == RATE_LIMITED and second.headers["Retry-After"]
    with w.engine.connect() as conn:
        rows = conn.execute(select(inquiry_requests).order_by(inquiry_requests.c.outcome)).all()
        assert [(r.outcome, r.reason_code, r.subject_id) for r in rows] == [
            ("refused", RATE_LIMITED, w.subject1),
            ("served", None, w.subject1),
        ]
        inquiry_chain = chain.iter_events(conn, log=chain.INQUIRIES)
        actions = [e.action for e in inquiry_chain if e.action.startswith("inquiry.")]
    assert actions == ["inquiry.served", "inquiry.refused"]


def test_driver_and_sqlalchemy_appends_make_one_chain(world: World) -> None:
    w = world
    events = [
        chain.NewEvent("tester", "test.event", None, "why", {"n": n, "nested": {"a": [n]}}, START)
        for n in range(3)
    ]
    with transaction(w.engine) as conn:
        first = chain.append_many(conn, events[:1])
    raw = dbapi.detached_connection(w.engine, autocommit=False)
    try:
        with dbapi.transaction(raw, w.engine.dialect) as c:
            added = chain.append_many_dbapi(c, w.engine.dialect, events[1:])
    finally:
        raw.close()
    with transaction(w.engine) as conn:
        last = chain.append(conn, "tester", "test.event", None, "why", {"n": 3}, START)
    with w.engine.connect() as conn:
        stored = [e for e in chain.iter_events(conn) if e.action == "test.event"]
        assert chain.verify(conn).ok
        head_seq = conn.execute(select(func.max(audit_events.c.seq))).scalar()
    assert stored == [*first, *added, last]
    assert last.seq == head_seq and added[0].prev_hash == first[0].hash


def test_sqlite_checkpoints_run_beside_the_writer(world: World, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("WAL checkpoints are SQLite's")
    w = world
    recorder = Recorder(w.engine)
    try:
        for n in range(3):
            assert recorder.submit(attempt(w.subject1, n)).result(timeout=30).served
        writer = recorder._conn  # the writer's own connection: no checkpoint in its commits
        assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    finally:
        recorder.close()
    assert recorder.wal_checkpoints >= 1  # run by the checkpoint thread (at least on close)
    with w.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(inquiries)).scalar() == 3
