"""Audit events and the hash that chains them.

Every inquiry, correction, merge and model change is one :class:`AuditEvent`
whose ``hash`` covers its content and the previous event's hash, starting from
:data:`GENESIS_HASH`. Changing, dropping or reordering any stored event breaks
every later link, and a regulator can check the chain offline with nothing but
this module. The encoding is fixed here once, because the store writes the
chain and independent tools must be able to recompute it byte for byte.

Canonical encoding (:func:`canonical_json`):

* JSON with object keys sorted, separators ``,`` and ``:`` (no whitespace),
  non-ASCII characters written as UTF-8 (``ensure_ascii=False``), no NaN or
  infinities; the hash is over the UTF-8 bytes;
* instants (``datetime``, which must be timezone-aware) are converted to UTC and
  written ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always six fraction digits);
  ``date`` values are written ``YYYY-MM-DD``;
* tuples are written as arrays; object keys must be strings; any other type
  (Decimal, bytes, sets, objects) is refused rather than guessed at.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final, TypeAlias

from xinyong.domain._checks import non_blank, optional_non_blank, require, utc_instant
from xinyong.domain.errors import DomainError

__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "JSONValue",
    "canonical_json",
    "event_hash",
    "first_broken_link",
    "format_instant",
    "plain_event_hash",
]

GENESIS_HASH: Final = "0" * 64
"""``prev_hash`` of the first event of a chain."""

JSONValue: TypeAlias = (
    "str | int | float | bool | date | Sequence[JSONValue] | Mapping[str, JSONValue] | None"
)
"""What a payload may hold; ``date`` includes ``datetime``."""

_HEX64: Final = re.compile(r"[0-9a-f]{64}")


def format_instant(at: datetime) -> str:
    """An aware instant as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``; naive datetimes raise."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise DomainError("at", "instant_aware", f"must be a timezone-aware datetime: {at!r}")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value: object, where: str) -> Any:
    """``value`` reduced to JSON-native types, following the canonical rules."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise DomainError(where, "json_key", f"object keys must be strings, got {key!r}")
            out[key] = _plain(item, f"{where}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise DomainError(where, "json_type", f"cannot encode {type(value).__name__} canonically")


_ENCODER: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def _encode(plain: Any) -> str:
    """The canonical text of a JSON-native ``plain`` value (see the module)."""
    try:
        return _ENCODER.encode(plain)
    except ValueError as exc:  # NaN or infinity
        raise DomainError("payload", "json_number", str(exc)) from None


def canonical_json(value: JSONValue) -> str:
    """The one JSON text of ``value`` that every writer and verifier agrees on.

    The store should keep payloads as this text, so that reading them back
    gives the same bytes and so the same hash.
    """
    return _encode(_plain(value, "payload"))


def event_hash(
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    subject_id: str | None,
    reason: str | None,
    payload: Mapping[str, JSONValue],
) -> str:
    """SHA-256 hex digest of one audit event, chained to ``prev_hash``.

    The digest is over the UTF-8 bytes of :func:`canonical_json` of the object
    ``{"action", "actor", "at", "payload", "prev_hash", "reason", "subject_id"}``
    (``at`` as a UTC instant, ``subject_id`` and ``reason`` ``null`` when absent).
    ``seq`` is not hashed: order is carried by ``prev_hash``. Deterministic: the
    same arguments give the same hash on any machine and Python version.
    """
    require(
        isinstance(prev_hash, str) and _HEX64.fullmatch(prev_hash) is not None,
        "prev_hash",
        "hash_format",
        "must be 64 lower-case hex digits",
    )
    non_blank(actor, "actor")
    non_blank(action, "action")
    return plain_event_hash(
        prev_hash,
        format_instant(at),
        actor,
        action,
        _plain(subject_id, "subject_id"),
        _plain(reason, "reason"),
        _plain(payload, "payload"),
    )


def plain_event_hash(
    prev_hash: str,
    at_text: str,
    actor: str,
    action: str,
    subject_id: str | None,
    reason: str | None,
    payload: Mapping[str, Any],
) -> str:
    """:func:`event_hash` of parts already checked and JSON-native: ``at_text`` as
    :func:`format_instant` writes it, ``payload`` as :func:`canonical_json` reads back.

    The one place the hashed document is laid out. A writer that has prepared an
    event this far (the audit chain, for every inquiry) hashes it here without
    walking it through the canonical rules again; anything else goes through
    :func:`event_hash`, which checks and reduces first.
    """
    document = {
        "prev_hash": prev_hash,
        "at": at_text,
        "actor": actor,
        "action": action,
        "subject_id": subject_id,
        "reason": reason,
        "payload": payload,
    }
    return hashlib.sha256(_encode(document).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """One link of the audit chain.

    Constructing an event checks its shape but not its hash, so that a verifier
    can load a tampered row and report it; use :meth:`create` to make a new
    event and :meth:`is_intact` or :func:`first_broken_link` to check.
    ``payload`` is stored in canonical form (instants become strings), exactly as
    it reads back from the store; treat it as read-only.
    """

    seq: int
    at: datetime
    actor: str
    action: str
    subject_id: str | None
    reason: str | None
    payload: dict[str, Any] = field(hash=False)
    prev_hash: str
    hash: str

    def __post_init__(self) -> None:
        require(
            isinstance(self.seq, int) and not isinstance(self.seq, bool) and self.seq >= 1,
            "seq",
            "seq",
            f"must be a positive integer, got {self.seq!r}",
        )
        utc_instant(self.at, "at")
        non_blank(self.actor, "actor")
        non_blank(self.action, "action")
        optional_non_blank(self.subject_id, "subject_id")
        optional_non_blank(self.reason, "reason")
        require(isinstance(self.payload, Mapping), "payload", "json_type", "must be an object")
        object.__setattr__(self, "payload", json.loads(canonical_json(self.payload)))
        for name in ("prev_hash", "hash"):
            value = getattr(self, name)
            require(
                isinstance(value, str) and _HEX64.fullmatch(value) is not None,
                name,
                "hash_format",
                "must be 64 lower-case hex digits",
            )

    @classmethod
    def create(
        cls,
        *,
        seq: int,
        at: datetime,
        actor: str,
        action: str,
        subject_id: str | None,
        reason: str | None,
        payload: Mapping[str, JSONValue],
        prev_hash: str,
    ) -> AuditEvent:
        """A new event with its hash computed by :func:`event_hash`."""
        digest = event_hash(prev_hash, at, actor, action, subject_id, reason, payload)
        return cls(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject_id=subject_id,
            reason=reason,
            payload=dict(payload),
            prev_hash=prev_hash,
            hash=digest,
        )

    def expected_hash(self) -> str:
        """The hash this event's content should have."""
        return event_hash(
            self.prev_hash,
            self.at,
            self.actor,
            self.action,
            self.subject_id,
            self.reason,
            self.payload,
        )

    def is_intact(self) -> bool:
        """Whether ``hash`` matches the content (says nothing about the chain)."""
        return self.hash == self.expected_hash()


def first_broken_link(events: Iterable[AuditEvent]) -> int | None:
    """``seq`` of the first event that breaks the chain, or ``None`` if all hold.

    A chain holds when sequence numbers run 1, 2, 3, ..., the first event's
    ``prev_hash`` is :data:`GENESIS_HASH`, every later one's is the previous
    event's ``hash``, and every hash matches its event's content.
    """
    prev = GENESIS_HASH
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq or event.prev_hash != prev or not event.is_intact():
            return event.seq
        prev = event.hash
        expected_seq += 1
    return None
