"""The inquiry chain beside the audit chain: each verifies alone, and the audit
chain's anchors of the inquiry chain catch it being cut back or rewritten.

Why two chains: every inquiry attempt commits with its audit link, and on
SQLite the inquiry log lives in a file of its own (``store.inquiry_log``), so
its link must too. Either chain alone can lose its newest events and still
verify; the anchor is what makes a cut inquiry chain show.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, update

from xinyong.audit import chain
from xinyong.store.engine import transaction
from xinyong.store.schema import audit_events, inquiry_events

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _inquiries(engine: Engine, n: int, start: int = 0) -> list[chain.AuditEvent]:
    events = [
        chain.NewEvent(
            actor="inquirer:lender-a:k1",
            action="inquiry.served",
            subject_id=f"s{i}",
            reason="credit_application",
            payload={"request_id": f"r{i}"},
            at=T0 + timedelta(seconds=i),
        )
        for i in range(start, start + n)
    ]
    with transaction(engine) as conn:
        return chain.append_many(conn, events, log=chain.INQUIRIES)


def _anchor(engine: Engine) -> chain.AuditEvent | None:
    with transaction(engine) as conn:
        return chain.anchor_inquiries(conn, actor="operator:test")


def _verify(engine: Engine) -> chain.StoreVerification:
    with engine.connect() as conn:
        return chain.verify_store(conn)


def test_each_chain_has_its_own_sequence_and_verifies_alone(engine: Engine) -> None:
    with transaction(engine) as conn:
        chain.append(conn, "operator:x", "key.issued", None, None, {"n": 1}, T0)
    added = _inquiries(engine, 3)
    assert [e.seq for e in added] == [1, 2, 3]
    assert added[0].prev_hash == chain.GENESIS_HASH
    with engine.connect() as conn:
        assert chain.head(conn) is not None and chain.head(conn).seq == 1  # type: ignore[union-attr]
        assert chain.head(conn, log=chain.INQUIRIES) == chain.ChainHead(3, added[-1].hash)
        assert [e.seq for e in chain.iter_events(conn, log=chain.INQUIRIES)] == [1, 2, 3]
        assert chain.verify(conn, log=chain.INQUIRIES).ok
    both = _verify(engine)
    assert both.ok and both.audit.checked == 1 and both.inquiries.checked == 3
    assert both.inquiries_anchor is None


def test_an_empty_inquiry_chain_is_not_anchored(engine: Engine) -> None:
    assert _anchor(engine) is None
    assert _verify(engine).audit.checked == 0


def test_the_audit_chain_records_the_inquiry_chains_head(engine: Engine) -> None:
    added = _inquiries(engine, 4)
    event = _anchor(engine)
    assert event is not None and event.action == chain.ANCHOR_ACTION
    assert event.payload == {"log": "inquiries", "seq": 4, "hash": added[-1].hash}
    _inquiries(engine, 2, start=4)  # the chain goes on past its anchor
    both = _verify(engine)
    assert both.ok and both.inquiries.checked == 6
    assert both.inquiries_anchor == chain.ChainHead(4, added[-1].hash)


def test_a_cut_inquiry_chain_verifies_alone_but_not_against_its_anchor(engine: Engine) -> None:
    _inquiries(engine, 5)
    _anchor(engine)
    with transaction(engine) as conn:
        conn.execute(delete(inquiry_events).where(inquiry_events.c.seq >= 4))
        assert chain.verify(conn, log=chain.INQUIRIES).ok  # what the anchor is for
    both = _verify(engine)
    assert both.audit.ok and not both.ok
    assert both.inquiries.first_broken_seq == 4
    assert "truncated" in (both.inquiries.reason or "")


def test_a_rewritten_inquiry_event_is_found(engine: Engine) -> None:
    _inquiries(engine, 3)
    with transaction(engine) as conn:
        conn.execute(
            update(inquiry_events).where(inquiry_events.c.seq == 2).values(subject_id="other")
        )
    both = _verify(engine)
    assert not both.ok and both.inquiries.first_broken_seq == 2
    assert "edited" in (both.inquiries.reason or "")


def test_an_anchor_counts_only_from_the_verified_part_of_the_audit_chain(
    engine: Engine,
) -> None:
    first = _inquiries(engine, 2)
    _anchor(engine)  # audit event 1 names inquiry head 2
    _inquiries(engine, 2, start=2)
    _anchor(engine)  # audit event 2 names inquiry head 4
    with transaction(engine) as conn:
        chain.append(conn, "operator:x", "key.issued", None, None, {"n": 1}, T0)
        # Break the audit chain at its newest anchor.
        conn.execute(update(audit_events).where(audit_events.c.seq == 2).values(actor="operator:y"))
    both = _verify(engine)
    assert not both.audit.ok and both.audit.first_broken_seq == 2
    assert both.inquiries_anchor == chain.ChainHead(2, first[-1].hash)
    assert both.inquiries.ok
