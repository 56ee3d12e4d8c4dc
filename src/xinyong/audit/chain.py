"""The tamper-evident audit log: a hash chain over the ``audit_events`` table.

Each event's ``hash`` is SHA-256 over the canonical JSON of the previous event's
hash and the event's own content, so editing, deleting or reordering any stored
event breaks a link that :func:`verify` finds. What a chain cannot show by
itself is that its *newest* events were cut off: the remaining chain is still
valid. So :func:`verify` returns the head (``head_seq``, ``head_hash``) for the
operator to publish or hand to the regulator, and accepts such an anchor later to
prove that nothing up to it was truncated or rewritten.

Appends must be serialised, or two writers would both read head ``n`` and write
two events ``n + 1``. On PostgreSQL :func:`append` takes a transaction-level
advisory lock before reading the head; on SQLite it takes the database write
lock first (SQLite has one writer at a time, and once a transaction holds the
write lock its reads see the latest commit). The primary key on ``seq`` is the
backstop: a racing writer that slipped past would fail, not fork the chain.

A store keeps two chains (:class:`Log`): :data:`AUDIT`, every change and
operator action, and :data:`INQUIRIES`, every inquiry attempt (migration
0017). Each commits with the rows it records, and on SQLite the inquiry log
lives in a file of its own (``xinyong.store.inquiry_log``), whose commits must
not touch the main file. Each chain has its own lock. :func:`anchor_inquiries`
records the inquiry chain's head in the audit chain, and :func:`verify_store`
checks the inquiry chain against the newest such anchor, so neither chain can
be cut back without the other showing it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from sqlalchemy import Connection, Insert, Select, Table, insert, select, text
from sqlalchemy.engine import Dialect

from xinyong.domain.audit import (
    GENESIS_HASH,
    canonical_json,
    event_hash,
    format_instant,
    plain_event_hash,
)
from xinyong.errors import XinyongError
from xinyong.store import dbapi
from xinyong.store.schema import audit_events, inquiry_events

__all__ = [
    "ANCHOR_ACTION",
    "AUDIT",
    "GENESIS_HASH",
    "INQUIRIES",
    "AuditEvent",
    "ChainHead",
    "Log",
    "NewEvent",
    "StoreVerification",
    "VerifyResult",
    "anchor_inquiries",
    "append",
    "append_many",
    "append_many_dbapi",
    "canonical_json",
    "event_hash",
    "format_instant",
    "head",
    "iter_events",
    "verify",
    "verify_events",
    "verify_store",
]

#: Key of the PostgreSQL advisory lock that serialises appends (b"xinyong" as an int).
ADVISORY_LOCK_KEY: Final = int.from_bytes(b"xinyong", "big")
#: The inquiry chain's own lock key (b"xyinqlog"), so its appends never wait for the audit chain's.
INQUIRY_LOCK_KEY: Final = int.from_bytes(b"xyinqlog", "big")
#: The audit chain event that records the inquiry chain's head.
ANCHOR_ACTION: Final = "audit.inquiries_anchored"


@dataclass(frozen=True, slots=True)
class Log:
    """One hash chain of the store: its table, and the lock its appends take."""

    name: str
    table: Table
    advisory_lock_key: int

    def lock_sql(self, backend: str) -> str:
        """The statement that holds the chain's write lock until the transaction ends.

        On SQLite a write that changes nothing still takes the write lock of the
        file the table is in (waiting up to busy_timeout), and only that file's,
        so the head read that follows cannot be stale. No placeholders: the
        SQLAlchemy and the driver-level paths run the same text.
        """
        if backend == "postgresql":
            return f"SELECT pg_advisory_xact_lock({self.advisory_lock_key})"
        if backend == "sqlite":
            return f"UPDATE {self.table.name} SET seq = seq WHERE 0"
        raise XinyongError(f"the audit chain runs on SQLite or PostgreSQL stores, not on {backend}")


#: Every change to the store and every operator action.
AUDIT: Final = Log("audit", audit_events, ADVISORY_LOCK_KEY)
#: Every inquiry attempt, served or refused (``xinyong.api.recorder``).
INQUIRIES: Final = Log("inquiries", inquiry_events, INQUIRY_LOCK_KEY)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One link of the chain, as stored."""

    seq: int
    at: datetime
    actor: str
    action: str
    subject_id: str | None
    reason: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        """The hash this event should carry given its content and ``prev_hash``."""
        return event_hash(
            self.prev_hash,
            self.at,
            self.actor,
            self.action,
            self.subject_id,
            self.reason,
            self.payload,
        )

    def to_json(self) -> str:
        """The event as one canonical JSON line of an export."""
        return canonical_json(
            {
                "seq": self.seq,
                "at": format_instant(self.at),
                "actor": self.actor,
                "action": self.action,
                "subject_id": self.subject_id,
                "reason": self.reason,
                "payload": self.payload,
                "prev_hash": self.prev_hash,
                "hash": self.hash,
            }
        )


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The newest event's position and hash: what an operator publishes as an anchor."""

    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of walking a chain.

    ``checked`` counts the events that verified before the walk stopped;
    ``first_broken_seq`` is the first position that is not as it should be (an
    edited or misplaced event, or the first missing one); ``head_seq`` and
    ``head_hash`` describe the last event that verified, ``None`` for an empty
    chain or one broken at its first event.
    """

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    head_seq: int | None = None
    head_hash: str | None = None

    @property
    def head(self) -> ChainHead | None:
        """The verified head as an anchor, or ``None``."""
        if self.head_seq is None or self.head_hash is None:
            return None
        return ChainHead(self.head_seq, self.head_hash)


# --------------------------------------------------------------------------- append


def _lock_chain(conn: Connection, log: Log) -> None:
    """Hold the chain's write lock until the caller's transaction ends."""
    if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        raise RuntimeError("audit append needs a transaction; the connection is in AUTOCOMMIT")
    conn.execute(text(log.lock_sql(conn.dialect.name)))


# Built once per chain: every served inquiry appends an event, and building and
# caching a statement per call was a measurable share of a report request's CPU.
@lru_cache(maxsize=4)
def _head_select(log: Log) -> Select[Any]:
    table = log.table
    return select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)


@lru_cache(maxsize=4)
def _insert(log: Log) -> Insert:
    return insert(log.table)


def head(conn: Connection, *, log: Log = AUDIT) -> ChainHead | None:
    """The newest event's seq and hash as stored (unverified), or ``None`` if empty."""
    row = conn.execute(_head_select(log)).first()
    return ChainHead(row.seq, row.hash) if row is not None else None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """What :func:`append_many` adds: an event's content, before it has a place in the chain."""

    actor: str
    action: str
    subject_id: str | None
    reason: str | None
    payload: Mapping[str, Any] | None = None
    at: datetime | None = None


def append(
    conn: Connection,
    actor: str,
    action: str,
    subject_id: str | None,
    reason: str | None,
    payload: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    *,
    log: Log = AUDIT,
) -> AuditEvent:
    """Add an event at the head of the chain ``log``, inside the caller's transaction.

    Call it in the same transaction as the change it records, so that the change
    and its audit event commit together or not at all. ``payload`` is stored in
    canonical form (tuples become lists, instants and dates text), so the
    returned event equals what :func:`verify` will later read.
    """
    new = NewEvent(actor, action, subject_id, reason, payload, at)
    return append_many(conn, [new], log=log)[0]


_FLAT: Final = (str, int, bool, type(None))
_TEXT: Final = (str, type(None))
_HEX64: Final = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An event checked and canonicalised, not yet linked.

    ``at_text`` is set when every hashed field is already JSON-native (text
    fields ``str`` or ``None``, a flat payload): :func:`_link` then hashes it
    without walking it through the canonical rules again.
    """

    new: NewEvent
    at: datetime
    payload: dict[str, Any]
    at_text: str | None


def _stored(payload: Mapping[str, Any] | None) -> tuple[dict[str, Any], bool]:
    """``payload`` as it reads back from the store (canonical JSON, parsed), and
    whether it was flat.

    A flat payload of text, integers, booleans and nulls with text keys already
    is that, and cannot fail the canonical rules (an inquiry's always is one):
    the round trip through JSON is skipped for it.
    """
    items = dict(payload or {})
    if all(type(k) is str and type(v) in _FLAT for k, v in items.items()):
        return dict(sorted(items.items())), True  # the key order json.loads gives back
    stored: dict[str, Any] = json.loads(canonical_json(items))
    return stored, False


def _prepare(events: Sequence[NewEvent]) -> list[_Prepared]:
    """Check each event and canonicalise its instant and payload (before any lock)."""
    prepared = []
    for new in events:
        for name, value in (("actor", new.actor), ("action", new.action)):
            if not value.strip():
                raise ValueError(f"{name} is required")
        for name, optional in (("subject_id", new.subject_id), ("reason", new.reason)):
            if optional is not None and not optional.strip():
                raise ValueError(f"{name} must be None or non-blank text")
        at = datetime.now(UTC) if new.at is None else new.at
        at_text = format_instant(at)  # refuses naive instants before taking the lock
        payload, flat = _stored(new.payload)
        plain = (
            flat
            and type(new.actor) is str
            and type(new.action) is str
            and type(new.subject_id) in _TEXT
            and type(new.reason) in _TEXT
        )
        prepared.append(_Prepared(new, at.astimezone(UTC), payload, at_text if plain else None))
    return prepared


def _hash(prev_hash: str, event: _Prepared) -> str:
    """:func:`event_hash` of a prepared event: the same digest, over the same
    canonical text. Every served inquiry hashes one event, and walking a plain
    event through the canonical rules twice was most of that cost; the general
    path stays for anything else and for a ``prev_hash`` it must refuse."""
    new = event.new
    if event.at_text is None or _HEX64.fullmatch(prev_hash) is None:
        return event_hash(
            prev_hash, event.at, new.actor, new.action, new.subject_id, new.reason, event.payload
        )
    return plain_event_hash(
        prev_hash, event.at_text, new.actor, new.action, new.subject_id, new.reason, event.payload
    )


def _link(current: ChainHead | None, prepared: list[_Prepared]) -> list[AuditEvent]:
    """The prepared events as links after ``current`` (pure: seq and hashes)."""
    seq = 0 if current is None else current.seq
    prev_hash = GENESIS_HASH if current is None else current.hash
    added = []
    for event in prepared:
        seq += 1
        digest = _hash(prev_hash, event)
        new = event.new
        added.append(
            AuditEvent(
                seq=seq,
                at=event.at,
                actor=new.actor,
                action=new.action,
                subject_id=new.subject_id,
                reason=new.reason,
                payload=event.payload,
                prev_hash=prev_hash,
                hash=digest,
            )
        )
        prev_hash = digest
    return added


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "actor": event.actor,
        "action": event.action,
        "subject_id": event.subject_id,
        "reason": event.reason,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def append_many(
    conn: Connection, events: Sequence[NewEvent], *, log: Log = AUDIT
) -> list[AuditEvent]:
    """Add ``events`` in order at the head of the chain ``log``, inside the caller's
    transaction.

    The same links :func:`append` would add one by one, with one lock, one head
    read and one multi-row insert.
    """
    prepared = _prepare(events)
    if not prepared:
        return []
    _lock_chain(conn, log)
    added = _link(head(conn, log=log), prepared)
    conn.execute(_insert(log), [_row(event) for event in added])
    return added


@lru_cache(maxsize=8)
def _raw_insert(log: Log, dialect: Dialect) -> dbapi.RawInsert:
    return dbapi.RawInsert(log.table, dialect)


def append_many_dbapi(
    conn: Any, dialect: Dialect, events: Sequence[NewEvent], *, log: Log = AUDIT
) -> list[AuditEvent]:
    """:func:`append_many` on a driver connection (``store.dbapi``) inside its open
    transaction: the inquiry writer's path (``xinyong.api.recorder``), where
    SQLAlchemy's per-statement cost was most of a small group's commit.

    The same lock, head read and rows, so the chain reads and verifies the same.
    """
    prepared = _prepare(events)
    if not prepared:
        return []
    conn.execute(log.lock_sql(dialect.name))
    row = conn.execute(f"SELECT seq, hash FROM {log.table.name} ORDER BY seq DESC LIMIT 1")
    last = row.fetchone()
    added = _link(ChainHead(int(last[0]), str(last[1])) if last is not None else None, prepared)
    _raw_insert(log, dialect).execute(conn, [_row(event) for event in added])
    return added


# --------------------------------------------------------------------------- verify


def iter_events(
    conn: Connection, *, batch_size: int = 1000, log: Log = AUDIT
) -> Iterator[AuditEvent]:
    """All stored events of ``log`` in seq order, streamed in batches (the log can be large)."""
    table = log.table
    stmt = select(table).order_by(table.c.seq).execution_options(yield_per=batch_size)
    for row in conn.execute(stmt):
        yield AuditEvent(
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject_id=row.subject_id,
            reason=row.reason,
            payload=row.payload,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


def verify(conn: Connection, anchor: ChainHead | None = None, *, log: Log = AUDIT) -> VerifyResult:
    """Walk the stored chain ``log`` in seq order and report the first broken link.

    With ``anchor`` (a head published earlier), also prove that the chain still
    reaches that event with that hash, which detects truncation.
    """
    return verify_events(iter_events(conn, log=log), anchor=anchor)


def anchor_inquiries(conn: Connection, actor: str = "system") -> AuditEvent | None:
    """Record the inquiry chain's head in the audit chain, inside the caller's
    transaction; ``None`` (nothing written) while the inquiry chain is empty.

    Why: either chain alone can be cut back at its tail and still verify. Once
    the audit chain holds the inquiry chain's head, :func:`verify_store` finds
    an inquiry chain that no longer reaches it; the audit chain's own tail is
    what the operator publishes (:class:`ChainHead`).
    """
    current = head(conn, log=INQUIRIES)
    if current is None:
        return None
    payload = {"log": INQUIRIES.name, "seq": current.seq, "hash": current.hash}
    return append(conn, actor, ANCHOR_ACTION, None, "inquiry chain head", payload)


@dataclass(frozen=True, slots=True)
class StoreVerification:
    """Both chains walked: the audit chain (against the operator's anchor, if
    given) and the inquiry chain (against the newest head the audit chain
    recorded of it, ``inquiries_anchor``)."""

    audit: VerifyResult
    inquiries: VerifyResult
    inquiries_anchor: ChainHead | None

    @property
    def ok(self) -> bool:
        return self.audit.ok and self.inquiries.ok


def verify_store(conn: Connection, anchor: ChainHead | None = None) -> StoreVerification:
    """Walk both chains of the store (see :class:`StoreVerification`)."""
    anchored: list[tuple[int, ChainHead]] = []  # (the audit event's seq, the head it names)

    def watched() -> Iterator[AuditEvent]:
        for event in iter_events(conn):
            if event.action == ANCHOR_ACTION and event.payload.get("log") == INQUIRIES.name:
                named = ChainHead(int(event.payload["seq"]), str(event.payload["hash"]))
                anchored.append((event.seq, named))
            yield event

    audit = verify_events(watched(), anchor=anchor)
    # An anchor counts only from the part of the audit chain that verified.
    verified_to = audit.head_seq or 0
    trusted = next((head for seq, head in reversed(anchored) if seq <= verified_to), None)
    inquiries = verify(conn, trusted, log=INQUIRIES)
    return StoreVerification(audit, inquiries, trusted)


def verify_events(events: Iterable[AuditEvent], anchor: ChainHead | None = None) -> VerifyResult:
    """Verify a sequence of events given in seq order; the core of every check.

    Checks, per event: its seq is the next one (a gap means deleted events), its
    ``prev_hash`` is the previous event's hash (else deleted, inserted or
    reordered), and its hash matches its content (else edited).
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    last: AuditEvent | None = None

    def broken(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(
            ok=False,
            checked=expected_seq - 1,
            first_broken_seq=seq,
            reason=reason,
            head_seq=last.seq if last else None,
            head_hash=last.hash if last else None,
        )

    iterator = iter(events)
    while True:
        try:
            event = next(iterator)
        except StopIteration:
            break
        except (TypeError, ValueError, KeyError) as exc:
            # A row whose stored text no longer parses (e.g. an edited timestamp).
            return broken(expected_seq, f"seq {expected_seq}: event cannot be read: {exc}")
        if event.seq != expected_seq:
            if event.seq > expected_seq:
                return broken(
                    expected_seq,
                    f"seq {expected_seq} is missing (next event is seq {event.seq}):"
                    " events were deleted",
                )
            return broken(
                expected_seq,
                f"seq {event.seq} appears where seq {expected_seq} was expected:"
                " events are duplicated or out of order",
            )
        if event.prev_hash != prev_hash:
            return broken(
                event.seq,
                f"seq {event.seq}: prev_hash does not match the hash of the event before it:"
                " events were deleted, inserted or reordered",
            )
        try:
            recomputed = event.expected_hash()
        except (TypeError, ValueError) as exc:
            return broken(event.seq, f"seq {event.seq}: content cannot be hashed: {exc}")
        if recomputed != event.hash:
            return broken(
                event.seq,
                f"seq {event.seq}: hash does not match the content: the event was edited",
            )
        if anchor is not None and event.seq == anchor.seq and event.hash != anchor.hash:
            return broken(
                event.seq,
                f"seq {event.seq}: hash differs from the anchored head:"
                " the chain up to the anchor was rewritten",
            )
        last = event
        prev_hash = event.hash
        expected_seq += 1

    if anchor is not None and (last is None or last.seq < anchor.seq):
        return broken(
            expected_seq,
            f"chain ends at seq {expected_seq - 1} but the anchored head is seq {anchor.seq}:"
            " events were truncated",
        )
    return VerifyResult(
        ok=True,
        checked=expected_seq - 1,
        head_seq=last.seq if last else None,
        head_hash=last.hash if last else None,
    )
