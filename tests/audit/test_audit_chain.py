"""The audit chain on both backends: appends link up, and every kind of tampering shows."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, select, update

from xinyong.audit import chain
from xinyong.audit.chain import (
    GENESIS_HASH,
    AuditEvent,
    ChainHead,
    append,
    event_hash,
    iter_events,
    verify,
)
from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import upgrade
from xinyong.store.schema import audit_events

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _append_n(engine: Engine, n: int, start: int = 0) -> list[AuditEvent]:
    events = []
    with transaction(engine) as conn:
        for i in range(start, start + n):
            events.append(
                append(
                    conn,
                    actor=f"user:{i % 2}",
                    action="inquiry" if i % 2 else "dispute.open",
                    subject_id=f"s{i}",
                    reason="credit_application",
                    payload={"i": i, "note": "信用 ✓", "nested": {"b": [1, 2.5, None]}},
                    at=T0 + timedelta(minutes=i),
                )
            )
    return events


@pytest.fixture
def five(engine: Engine) -> list[AuditEvent]:
    return _append_n(engine, 5)


def _verify(engine: Engine, anchor: ChainHead | None = None) -> chain.VerifyResult:
    with engine.connect() as conn:
        return verify(conn, anchor=anchor)


def _tamper(engine: Engine, *statements: object) -> None:
    with transaction(engine) as conn:
        for stmt in statements:
            conn.execute(stmt)  # type: ignore[call-overload]


# --------------------------------------------------------------------------- hashing


def test_event_hash_is_sha256_of_canonical_json() -> None:
    at = datetime(2024, 5, 1, 17, 0, tzinfo=timezone(timedelta(hours=8)))
    payload = {"z": [1, {"y": None}], "a": "信用"}
    document = {
        "prev_hash": GENESIS_HASH,
        "at": "2024-05-01T09:00:00.000000Z",
        "actor": "operator:alice",
        "action": "inquiry",
        "subject_id": "s1",
        "reason": None,
        "payload": payload,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert event_hash(GENESIS_HASH, at, "operator:alice", "inquiry", "s1", None, payload) == (
        expected
    )
    # Pinned, so that a change of the canonical form (which would orphan every
    # exported chain) cannot pass unnoticed.
    assert expected == "81f37c4a03fe9584b4564af53c9bd74058d922e902b5c29bded6917571d01a7f"


def test_event_hash_refuses_naive_instants() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        event_hash(GENESIS_HASH, datetime(2024, 1, 1), "a", "b", None, None, {})


# --------------------------------------------------------------------------- append


def test_appends_link_into_a_chain_that_verifies(engine: Engine, five: list[AuditEvent]) -> None:
    assert [e.seq for e in five] == [1, 2, 3, 4, 5]
    assert five[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(five):
        assert after.prev_hash == before.hash
    result = _verify(engine)
    assert result.ok and result.checked == 5
    assert result.first_broken_seq is None and result.reason is None
    assert result.head == ChainHead(5, five[-1].hash)


def test_stored_events_equal_the_returned_ones(engine: Engine, five: list[AuditEvent]) -> None:
    with engine.connect() as conn:
        assert list(iter_events(conn)) == five
        assert chain.head(conn) == ChainHead(5, five[-1].hash)


def test_empty_chain_verifies_with_no_head(engine: Engine) -> None:
    result = _verify(engine)
    assert result.ok and result.checked == 0 and result.head is None


def test_payload_is_stored_as_json_reads_it_back(engine: Engine) -> None:
    with transaction(engine) as conn:
        event = append(conn, "op", "act", None, None, {"t": (1, 2)}, at=T0)
    assert event.payload == {"t": [1, 2]}
    assert _verify(engine).ok


def test_default_instant_is_now_utc(engine: Engine) -> None:
    with transaction(engine) as conn:
        event = append(conn, "op", "act", None, None)
    assert event.at.tzinfo is not None and event.at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - event.at) < timedelta(minutes=1)
    assert event.payload == {}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"at": datetime(2024, 1, 1)}, "timezone-aware"),
        ({"actor": ""}, "actor"),
        ({"action": " "}, "action"),
        ({"reason": ""}, "reason"),
        ({"payload": {"x": float("nan")}}, "JSON compliant"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_written(
    engine: Engine, kwargs: dict[str, object], error: str
) -> None:
    args: dict[str, object] = {"actor": "op", "action": "act", "subject_id": None, "reason": None}
    args.update(kwargs)
    with pytest.raises(ValueError, match=error), transaction(engine) as conn:
        append(conn, **args)  # type: ignore[arg-type]
    assert _verify(engine).checked == 0


def test_append_rolls_back_with_its_transaction(engine: Engine, five: list[AuditEvent]) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as conn:
        append(conn, "op", "act", None, None, {}, at=T0)
        raise RuntimeError("the change being audited failed")
    result = _verify(engine)
    assert result.ok and result.checked == 5
    # The next append reuses seq 6: no hole was left.
    assert _append_n(engine, 1, start=5)[0].seq == 6


def test_append_refuses_autocommit(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(RuntimeError, match="AUTOCOMMIT"):
            append(conn, "op", "act", None, None)


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "mallory"},
        {"action": "nothing.to.see"},
        {"payload": {"i": 2, "note": "信用 ✓", "nested": {"b": [1, 2.5]}}},
        {"at": T0 + timedelta(minutes=2, microseconds=1)},
        {"reason": "account_review"},
        {"subject_id": "someone-else"},
        {"prev_hash": "f" * 64},
        {"hash": "e" * 64},
    ],
    ids=lambda change: next(iter(change)),
)
def test_an_edited_event_is_named(
    engine: Engine, five: list[AuditEvent], change: dict[str, object]
) -> None:
    _tamper(engine, update(audit_events).where(audit_events.c.seq == 3).values(**change))
    result = _verify(engine)
    assert not result.ok
    assert result.first_broken_seq == 3
    assert result.checked == 2
    assert result.head == ChainHead(2, five[1].hash)
    assert result.reason is not None and "seq 3" in result.reason


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    engine: Engine, five: list[AuditEvent]
) -> None:
    e = five[2]
    forged = event_hash(e.prev_hash, e.at, "mallory", e.action, e.subject_id, e.reason, e.payload)
    _tamper(
        engine,
        update(audit_events).where(audit_events.c.seq == 3).values(actor="mallory", hash=forged),
    )
    result = _verify(engine)
    assert (result.ok, result.first_broken_seq) == (False, 4)
    assert result.reason is not None and "prev_hash" in result.reason


@pytest.mark.parametrize("seq", [1, 3])
def test_a_deleted_event_is_named(engine: Engine, five: list[AuditEvent], seq: int) -> None:
    _tamper(engine, delete(audit_events).where(audit_events.c.seq == seq))
    result = _verify(engine)
    assert (result.ok, result.first_broken_seq, result.checked) == (False, seq, seq - 1)
    assert result.reason is not None and "deleted" in result.reason


def test_deleted_and_renumbered_events_are_still_found(
    engine: Engine, five: list[AuditEvent]
) -> None:
    _tamper(
        engine,
        delete(audit_events).where(audit_events.c.seq == 3),
        update(audit_events).where(audit_events.c.seq == 4).values(seq=3),
        update(audit_events).where(audit_events.c.seq == 5).values(seq=4),
    )
    result = _verify(engine)
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_deleting_the_last_event_needs_an_anchor_to_show(
    engine: Engine, five: list[AuditEvent]
) -> None:
    anchor = _verify(engine).head
    assert anchor == ChainHead(5, five[-1].hash)
    _tamper(engine, delete(audit_events).where(audit_events.c.seq == 5))

    alone = _verify(engine)
    assert alone.ok and alone.head == ChainHead(4, five[3].hash)  # the chain alone can't tell

    anchored = _verify(engine, anchor)
    assert (anchored.ok, anchored.first_broken_seq) == (False, 5)
    assert anchored.reason is not None and "truncated" in anchored.reason


def test_truncating_and_appending_anew_is_caught_by_the_anchor(
    engine: Engine, five: list[AuditEvent]
) -> None:
    anchor = ChainHead(5, five[-1].hash)
    _tamper(engine, delete(audit_events).where(audit_events.c.seq >= 4))
    _append_n(engine, 3, start=100)  # a valid chain again, now 6 events long
    assert _verify(engine).ok
    anchored = _verify(engine, anchor)
    assert (anchored.ok, anchored.first_broken_seq) == (False, 5)
    assert anchored.reason is not None and "anchored" in anchored.reason


def test_an_older_anchor_still_verifies_a_grown_chain(
    engine: Engine, five: list[AuditEvent]
) -> None:
    _append_n(engine, 2, start=5)
    result = _verify(engine, ChainHead(3, five[2].hash))
    assert result.ok and result.checked == 7


def test_reordered_events_are_named(engine: Engine, five: list[AuditEvent]) -> None:
    # Swap seq 2 and 3 through a temporary value (seq is the primary key).
    _tamper(
        engine,
        update(audit_events).where(audit_events.c.seq == 2).values(seq=1000),
        update(audit_events).where(audit_events.c.seq == 3).values(seq=2),
        update(audit_events).where(audit_events.c.seq == 1000).values(seq=3),
    )
    result = _verify(engine)
    assert (result.ok, result.first_broken_seq, result.checked) == (False, 2, 1)
    assert result.reason is not None and "reordered" in result.reason


# --------------------------------------------------------------------------- concurrency


def _race(
    engine: Engine,
    begin: Callable[[Engine], object],
    monkeypatch: pytest.MonkeyPatch,
    threads: int = 4,
    per_thread: int = 4,
) -> list[BaseException]:
    """Append from several threads at once, with a slow head read to widen the race."""
    real_head = chain.head

    def slow_head(conn: Connection, *, log: chain.Log = chain.AUDIT) -> ChainHead | None:
        current = real_head(conn, log=log)
        threading.Event().wait(0.02)
        return current

    monkeypatch.setattr(chain, "head", slow_head)
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            try:
                with begin(engine) as conn:  # type: ignore[attr-defined]
                    append(conn, f"thread:{t}", "act", None, None, {"t": t, "i": i})
            except Exception as exc:
                errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    return errors


@pytest.mark.parametrize("begin", [transaction, Engine.begin], ids=["transaction", "engine.begin"])
def test_concurrent_appends_serialise_into_one_chain(
    engine: Engine, begin: Callable[[Engine], object], monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = _race(engine, begin, monkeypatch)
    assert errors == []
    result = _verify(engine)
    assert result.ok and result.checked == 16
    with engine.connect() as conn:
        payloads = conn.execute(select(audit_events.c.payload)).scalars().all()
    assert sorted((p["t"], p["i"]) for p in payloads) == [
        (t, i) for t in range(4) for i in range(4)
    ]


def test_without_the_lock_the_race_test_fails(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above has teeth: with the lock removed, racing appends collide."""
    monkeypatch.setattr(chain, "_lock_chain", lambda conn: None)
    errors = _race(engine, Engine.begin, monkeypatch)
    assert errors, "appends without the lock should have collided"
    assert _verify(engine).ok  # the primary key on seq refused the fork


def test_golden_hash_agrees_with_the_domain_definition() -> None:
    from xinyong.domain import audit as domain_audit

    assert GENESIS_HASH == domain_audit.GENESIS_HASH
    at = datetime(2024, 5, 1, 17, 0, tzinfo=timezone(timedelta(hours=8)))
    payload = {"z": [1, {"y": None}], "a": "信用", "on": datetime(2024, 1, 2, tzinfo=UTC)}
    args = (GENESIS_HASH, at, "operator:alice", "inquiry", "s1", None, payload)
    assert event_hash(*args) == domain_audit.event_hash(*args)  # type: ignore[arg-type]


def test_unreadable_rows_are_broken_links(tmp_path: Path) -> None:
    """On SQLite a row's text can be made unparseable; verify reports it, not crashes."""
    engine = make_engine(f"sqlite:///{tmp_path / 'raw.sqlite3'}")
    try:
        upgrade(engine)
        _append_n(engine, 3)
        for column, raw in (("at", "yesterday"), ("payload", "{not json")):
            with transaction(engine) as conn:
                saved = conn.exec_driver_sql(
                    f"SELECT {column} FROM audit_events WHERE seq = 2"
                ).scalar_one()
                conn.exec_driver_sql(f"UPDATE audit_events SET {column} = ? WHERE seq = 2", (raw,))
            result = _verify(engine)
            assert (result.ok, result.first_broken_seq, result.checked) == (False, 2, 1)
            assert result.reason is not None and "cannot be read" in result.reason
            with transaction(engine) as conn:
                conn.exec_driver_sql(
                    f"UPDATE audit_events SET {column} = ? WHERE seq = 2", (saved,)
                )
            assert _verify(engine).ok
    finally:
        engine.dispose()
