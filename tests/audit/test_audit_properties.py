"""Property tests: any single change to any event of any chain is found, at that event.

Chains are built in memory with the same hash the store uses, and checked both
directly and through the JSON Lines export format, so these run without a
database and cover many more shapes of chain than the store tests can.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

from xinyong.audit.chain import GENESIS_HASH, AuditEvent, event_hash, verify_events
from xinyong.audit.chain import canonical_json as chain_canonical_json
from xinyong.audit.export import verify_export
from xinyong.domain import audit as domain_audit

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
payloads = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
names = st.text(min_size=1, max_size=16).filter(str.strip)
optional_text = st.none() | names

event_content = st.fixed_dictionaries(
    {
        "at": instants,
        "actor": names,
        "action": names,
        "subject_id": optional_text,
        "reason": optional_text,
        "payload": payloads,
    }
)
content_fields: dict[str, st.SearchStrategy[Any]] = {
    "at": instants,
    "actor": names,
    "action": names,
    "subject_id": optional_text,
    "reason": optional_text,
    "payload": payloads,
}


def build_chain(contents: list[dict[str, Any]]) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    prev = GENESIS_HASH
    for seq, content in enumerate(contents, start=1):
        digest = event_hash(
            prev,
            content["at"],
            content["actor"],
            content["action"],
            content["subject_id"],
            content["reason"],
            content["payload"],
        )
        events.append(AuditEvent(seq=seq, prev_hash=prev, hash=digest, **content))
        prev = digest
    return events


def _export(events: list[AuditEvent]) -> io.StringIO:
    return io.StringIO("".join(e.to_json() + "\n" for e in events))


@given(st.lists(event_content, max_size=8))
def test_untouched_chains_verify(contents: list[dict[str, Any]]) -> None:
    events = build_chain(contents)
    for result in (verify_events(events), verify_export(_export(events))):
        assert result.ok and result.checked == len(events)
        if events:
            assert (result.head_seq, result.head_hash) == (events[-1].seq, events[-1].hash)


@given(st.lists(event_content, min_size=1, max_size=8), st.data())
def test_any_edit_of_any_event_is_named(
    contents: list[dict[str, Any]], data: st.DataObject
) -> None:
    events = build_chain(contents)
    index = data.draw(st.integers(min_value=0, max_value=len(events) - 1))
    field = data.draw(st.sampled_from(sorted(content_fields)))
    value = data.draw(content_fields[field])
    assume(value != getattr(events[index], field))
    events[index] = dataclasses.replace(events[index], **{field: value})
    for result in (verify_events(events), verify_export(_export(events))):
        assert not result.ok
        assert result.first_broken_seq == index + 1
        assert result.checked == index


@given(st.lists(event_content, min_size=2, max_size=8), st.data())
def test_any_deletion_but_the_last_is_named(
    contents: list[dict[str, Any]], data: st.DataObject
) -> None:
    events = build_chain(contents)
    index = data.draw(st.integers(min_value=0, max_value=len(events) - 2))
    del events[index]
    result = verify_events(events)
    assert (result.ok, result.first_broken_seq) == (False, index + 1)


@given(st.lists(event_content, min_size=2, max_size=8), st.data())
def test_any_swap_of_positions_is_named(
    contents: list[dict[str, Any]], data: st.DataObject
) -> None:
    events = build_chain(contents)
    i = data.draw(st.integers(min_value=0, max_value=len(events) - 2))
    j = data.draw(st.integers(min_value=i + 1, max_value=len(events) - 1))
    a, b = events[i], events[j]
    # Renumber so that the seq column looks intact: only the links can tell.
    events[i] = dataclasses.replace(b, seq=a.seq)
    events[j] = dataclasses.replace(a, seq=b.seq)
    result = verify_events(events)
    assert (result.ok, result.first_broken_seq) == (False, i + 1)


@given(event_content, st.text("0123456789abcdef", min_size=64, max_size=64))
def test_hash_agrees_with_the_domain_definition(content: dict[str, Any], prev: str) -> None:
    """``xinyong.domain.audit`` owns the encoding; this chain must hash identically."""
    args = (
        prev,
        content["at"],
        content["actor"],
        content["action"],
        content["subject_id"],
        content["reason"],
        content["payload"],
    )
    assert event_hash(*args) == domain_audit.event_hash(*args)


@given(st.dictionaries(st.text(max_size=4), json_values | instants | st.dates(), max_size=4))
def test_canonical_json_agrees_with_the_domain_definition(payload: dict[str, Any]) -> None:
    assert chain_canonical_json(payload) == domain_audit.canonical_json(payload)
