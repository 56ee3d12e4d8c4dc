from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.domain import (
    GENESIS_HASH,
    AuditEvent,
    DomainError,
    canonical_json,
    event_hash,
    first_broken_link,
)

AT = datetime(2024, 3, 1, 9, 30, 15, 250000, tzinfo=UTC)
BASE: dict[str, Any] = {
    "prev_hash": GENESIS_HASH,
    "at": AT,
    "actor": "user:alice",
    "action": "inquiry.create",
    "subject_id": "subj-1",
    "reason": "credit_application",
    "payload": {"inquiry_id": "i-1", "purpose": "credit_application", "n": 2},
}


def _hash(**overrides: Any) -> str:
    args = {**BASE, **overrides}
    return event_hash(
        args["prev_hash"],
        args["at"],
        args["actor"],
        args["action"],
        args["subject_id"],
        args["reason"],
        args["payload"],
    )


def test_genesis() -> None:
    assert GENESIS_HASH == "0" * 64


def test_hash_is_sha256_of_the_documented_encoding() -> None:
    expected_text = (
        '{"action":"inquiry.create","actor":"user:alice","at":"2024-03-01T09:30:15.250000Z",'
        '"payload":{"inquiry_id":"i-1","n":2,"purpose":"credit_application"},'
        '"prev_hash":"' + "0" * 64 + '","reason":"credit_application","subject_id":"subj-1"}'
    )
    assert _hash() == hashlib.sha256(expected_text.encode("utf-8")).hexdigest()


def test_pinned_value() -> None:
    # Pinned so that a change to the encoding, which would break every stored
    # chain, cannot pass unnoticed.
    assert (
        _hash()
        == hashlib.sha256(
            b'{"action":"inquiry.create","actor":"user:alice","at":"2024-03-01T09:30:15.250000Z",'
            b'"payload":{"inquiry_id":"i-1","n":2,"purpose":"credit_application"},'
            b'"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",'
            b'"reason":"credit_application","subject_id":"subj-1"}'
        ).hexdigest()
    )


def test_deterministic_and_independent_of_key_order_and_zone() -> None:
    assert _hash() == _hash()
    reordered = {"n": 2, "purpose": "credit_application", "inquiry_id": "i-1"}
    assert _hash(payload=reordered) == _hash()
    beijing = AT.astimezone(timezone(timedelta(hours=8)))
    assert _hash(at=beijing) == _hash()
    assert _hash(payload={**BASE["payload"], "t": (1, 2)}) == _hash(
        payload={**BASE["payload"], "t": [1, 2]}
    )


@pytest.mark.parametrize(
    "change",
    [
        {"prev_hash": "f" * 64},
        {"at": AT + timedelta(microseconds=1)},
        {"actor": "user:bob"},
        {"action": "inquiry.delete"},
        {"subject_id": "subj-2"},
        {"subject_id": None},
        {"reason": "account_review"},
        {"reason": None},
        {"payload": {**BASE["payload"], "n": 3}},
        {"payload": {**BASE["payload"], "n": "2"}},
        {"payload": {**BASE["payload"], "n": 2.0}},
        {"payload": {**BASE["payload"], "extra": None}},
        {"payload": {}},
    ],
)
def test_every_field_changes_the_hash(change: dict[str, Any]) -> None:
    assert _hash(**change) != _hash()


def test_null_and_empty_are_distinct() -> None:
    assert _hash(reason=None) != _hash(reason="")
    assert _hash(subject_id=None, reason="x") != _hash(subject_id="x", reason=None)


def test_refuses_ambiguous_input() -> None:
    with pytest.raises(DomainError) as err:
        _hash(at=datetime(2024, 3, 1, 9, 30))
    assert err.value.rule == "instant_aware"
    with pytest.raises(DomainError) as err:
        _hash(prev_hash="ABC")
    assert err.value.rule == "hash_format"
    with pytest.raises(DomainError) as err:
        _hash(payload={"x": {1, 2}})
    assert err.value.rule == "json_type"
    with pytest.raises(DomainError) as err:
        _hash(payload={"x": {1: "a"}})
    assert err.value.rule == "json_key"
    with pytest.raises(DomainError) as err:
        _hash(payload={"x": float("nan")})
    assert err.value.rule == "json_number"


def test_canonical_json_of_dates_and_unicode() -> None:
    text = canonical_json({"b": date(2024, 2, 29), "a": AT, "名": "王小明"})
    assert text == '{"a":"2024-03-01T09:30:15.250000Z","b":"2024-02-29","名":"王小明"}'


def _chain(n: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    prev = GENESIS_HASH
    for i in range(1, n + 1):
        event = AuditEvent.create(
            seq=i,
            at=AT + timedelta(seconds=i),
            actor="system",
            action="score.serve",
            subject_id=f"s{i}",
            reason=None,
            payload={"i": i, "when": AT},
            prev_hash=prev,
        )
        events.append(event)
        prev = event.hash
    return events


def test_chain_verifies_and_payload_is_stored_canonically() -> None:
    events = _chain(5)
    assert first_broken_link(events) is None
    assert events[0].payload == {"i": 1, "when": "2024-03-01T09:30:15.250000Z"}
    assert all(e.is_intact() for e in events)


@pytest.mark.parametrize("victim", range(5))
def test_tampering_is_located(victim: int) -> None:
    events = _chain(5)
    events[victim] = replace(events[victim], actor="intruder")
    assert first_broken_link(events) == victim + 1


def test_dropped_or_reordered_events_break_the_chain() -> None:
    events = _chain(4)
    assert first_broken_link(events[:2] + events[3:]) == 4
    assert first_broken_link([events[1], events[0], *events[2:]]) == 2
    rehashed = AuditEvent.create(
        seq=2,
        at=events[1].at,
        actor="intruder",
        action="x",
        subject_id=None,
        reason=None,
        payload={},
        prev_hash=events[0].hash,
    )
    # A forger who recomputes one hash still breaks the next link.
    assert first_broken_link([events[0], rehashed, *events[2:]]) == 3


def test_event_shape() -> None:
    e = _chain(1)[0]
    with pytest.raises(DomainError) as err:
        replace(e, seq=0)
    assert err.value.rule == "seq"
    with pytest.raises(DomainError) as err:
        replace(e, hash="xyz")
    assert (err.value.field, err.value.rule) == ("hash", "hash_format")
    with pytest.raises(DomainError) as err:
        replace(e, at=datetime(2024, 1, 1))
    assert err.value.rule == "instant_utc"


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(), _json, max_size=5))
def test_any_json_payload_hashes_and_survives_a_round_trip(payload: dict[str, Any]) -> None:
    import json

    h = _hash(payload=payload)
    assert len(h) == 64
    assert _hash(payload=json.loads(canonical_json(payload))) == h
