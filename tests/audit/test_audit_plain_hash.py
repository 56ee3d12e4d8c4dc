"""The chain's own hashing of plain events gives the domain's digest, byte for byte.

``chain._link`` hashes an event whose fields are already JSON-native (an
inquiry's always are) without walking it through the canonical rules: these
tests check that shortcut against ``xinyong.domain.audit.event_hash`` over any
flat payload (non-ASCII text, escapes, integers at the edges) and any instant,
and that it is the path an inquiry's event takes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.audit import chain
from xinyong.domain import audit as domain_audit
from xinyong.domain.errors import DomainError

flat_values = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=12)
)
flat_payloads = st.none() | st.dictionaries(st.text(max_size=8), flat_values, max_size=6)
instants = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(-timedelta(hours=5))]),
)
names = st.text(min_size=1, max_size=16).filter(str.strip)
optional_text = st.none() | names
new_events = st.builds(
    chain.NewEvent,
    actor=names,
    action=names,
    subject_id=optional_text,
    reason=optional_text,
    payload=flat_payloads,
    at=instants,
)


def domain_links(prev: str, events: list[chain.NewEvent]) -> list[str]:
    """The hashes ``domain.audit.event_hash`` gives the same events, chained."""
    out = []
    for new in events:
        assert new.at is not None
        prev = domain_audit.event_hash(
            prev, new.at, new.actor, new.action, new.subject_id, new.reason, new.payload or {}
        )
        out.append(prev)
    return out


@settings(deadline=None)  # CPU time, not a limit: the suite runs on a shared machine
@given(st.lists(new_events, min_size=1, max_size=6), st.booleans())
def test_plain_events_hash_as_the_domain_defines(
    events: list[chain.NewEvent], from_genesis: bool
) -> None:
    head = None if from_genesis else chain.ChainHead(41, "ab" * 32)
    added = chain._link(head, chain._prepare(events))
    prev = chain.GENESIS_HASH if head is None else head.hash
    assert [e.hash for e in added] == domain_links(prev, events)
    assert all(e.hash == e.expected_hash() for e in added)


def inquiry_event(**fields: Any) -> chain.NewEvent:
    values: dict[str, Any] = {
        "actor": "inquirer:lender-a:k_1",
        "action": "inquiry.served",
        "subject_id": "s-1",
        "reason": "credit_application",
        "payload": {"request_id": "r", "inquiry_id": "i", "kind": "hard", "consent_id": None},
        "at": datetime(2026, 5, 1, 12, tzinfo=UTC),
    }
    values.update(fields)
    return chain.NewEvent(**values)


def test_an_inquiry_event_takes_the_plain_path(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = domain_links(chain.GENESIS_HASH, [inquiry_event()])

    def general(*args: Any) -> str:
        raise AssertionError("a plain event went through the general canonical encoder")

    monkeypatch.setattr(chain, "event_hash", general)
    assert [e.hash for e in chain._link(None, chain._prepare([inquiry_event()]))] == expected


def test_nested_payloads_and_bad_heads_take_the_general_path() -> None:
    nested = inquiry_event(payload={"when": datetime(2026, 5, 1, tzinfo=UTC), "ids": ("a", 1)})
    (added,) = chain._link(None, chain._prepare([nested]))
    assert added.payload == {"when": "2026-05-01T00:00:00.000000Z", "ids": ["a", 1]}
    assert added.hash == domain_links(chain.GENESIS_HASH, [nested])[0]
    with pytest.raises(DomainError):  # a stored head that is not a hash is refused, as before
        chain._link(chain.ChainHead(1, "not-a-hash"), chain._prepare([inquiry_event()]))
