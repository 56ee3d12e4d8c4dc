"""Disputes and consumer statements.

A dispute moves through a small state machine whose allowed moves are data
(:data:`ALLOWED_TRANSITIONS`), so that the API, the operator screens and the
deadline watcher all agree on what may happen next, and :func:`transition` is
the only way to move one. Deadlines (30 days under FCRA 611, 20 under CN art.
25) and the statement length limit are jurisdiction policy, passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from xinyong.domain._checks import (
    enum_field,
    non_blank,
    optional_non_blank,
    require,
    utc_instant,
)
from xinyong.domain.errors import DomainError

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ConsumerStatement",
    "Dispute",
    "DisputeStatus",
    "ItemKind",
    "count_words",
    "transition",
]


class ItemKind(StrEnum):
    """What a dispute or a statement is about."""

    ACCOUNT = "account"
    PUBLIC_RECORD = "public_record"
    IDENTITY = "identity"
    INQUIRY = "inquiry"


class DisputeStatus(StrEnum):
    """Where a dispute stands; all but the first two are final.

    ``frivolous``: terminated without an answer as frivolous or irrelevant, where the
    jurisdiction allows it (FCRA 611(a)(3); GDPR art. 12(5)), the subject told why.
    ``unconfirmed``: nobody could confirm the item, and the jurisdiction keeps
    it with the verification and the subject's objection recorded (CN art. 25)
    where another would delete it.
    """

    OPEN = "open"
    FORWARDED = "forwarded"
    VERIFIED = "verified"
    CORRECTED = "corrected"
    DELETED = "deleted"
    FRIVOLOUS = "frivolous"
    WITHDRAWN = "withdrawn"
    UNCONFIRMED = "unconfirmed"

    @property
    def is_final(self) -> bool:
        """No move leads out of a final status; the dispute is resolved."""
        return not ALLOWED_TRANSITIONS[self]


ALLOWED_TRANSITIONS: Final[dict[DisputeStatus, frozenset[DisputeStatus]]] = {
    DisputeStatus.OPEN: frozenset(
        {DisputeStatus.FORWARDED, DisputeStatus.FRIVOLOUS, DisputeStatus.WITHDRAWN}
    ),
    DisputeStatus.FORWARDED: frozenset(
        {
            DisputeStatus.VERIFIED,
            DisputeStatus.CORRECTED,
            DisputeStatus.DELETED,
            DisputeStatus.UNCONFIRMED,
            DisputeStatus.FRIVOLOUS,
            DisputeStatus.WITHDRAWN,
        }
    ),
    DisputeStatus.VERIFIED: frozenset(),
    DisputeStatus.CORRECTED: frozenset(),
    DisputeStatus.DELETED: frozenset(),
    DisputeStatus.FRIVOLOUS: frozenset(),
    DisputeStatus.WITHDRAWN: frozenset(),
    DisputeStatus.UNCONFIRMED: frozenset(),
}
"""Status -> statuses it may move to: open -> forwarded -> verified | corrected |
deleted | unconfirmed; open | forwarded -> frivolous (the bureau may terminate a
frivolous or irrelevant dispute, FCRA 611(a)(3), also once the furnisher was told);
open | forwarded -> withdrawn."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Dispute:
    """A subject's challenge to one item of its file (or, for identity, to the file's
    identity as a whole, when ``item_id`` may be empty).

    ``due_at`` is set by policy when the dispute is opened. ``resolved_at`` is
    set exactly when the status is final, so "open disputes" and "overdue
    disputes" are questions about fields, not about history.
    """

    dispute_id: str
    subject_id: str
    item_kind: ItemKind
    item_id: str | None
    reason: str
    opened_at: datetime
    due_at: datetime
    status: DisputeStatus = DisputeStatus.OPEN
    resolved_at: datetime | None = None
    resolution: str | None = None

    def __post_init__(self) -> None:
        for name in ("dispute_id", "subject_id", "reason"):
            non_blank(getattr(self, name), name)
        enum_field(self, "item_kind", ItemKind)
        optional_non_blank(self.item_id, "item_id")
        require(
            self.item_id is not None or self.item_kind is ItemKind.IDENTITY,
            "item_id",
            "required",
            f"a dispute of an {self.item_kind} must name the item",
        )
        enum_field(self, "status", DisputeStatus)
        optional_non_blank(self.resolution, "resolution")
        for name in ("opened_at", "due_at", "resolved_at"):
            utc_instant(getattr(self, name), name)
        require(self.due_at > self.opened_at, "due_at", "date_order", "must be after opened_at")
        if self.status.is_final:
            require(
                self.resolved_at is not None,
                "resolved_at",
                "required",
                f"a {self.status} dispute is resolved and needs resolved_at",
            )
        else:
            require(
                self.resolved_at is None,
                "resolved_at",
                "not_applicable",
                f"a {self.status} dispute is not resolved yet",
            )
        if self.resolved_at is not None:
            require(
                self.resolved_at >= self.opened_at,
                "resolved_at",
                "date_order",
                "a dispute cannot be resolved before it was opened",
            )

    def is_overdue(self, at: datetime) -> bool:
        """Whether the dispute is still unresolved after its deadline."""
        return not self.status.is_final and at > self.due_at

    def can_move_to(self, status: DisputeStatus) -> bool:
        """Whether :func:`transition` to ``status`` would be legal now."""
        return status in ALLOWED_TRANSITIONS[self.status]


def transition(
    dispute: Dispute, new_status: DisputeStatus, at: datetime, resolution: str | None = None
) -> Dispute:
    """Move ``dispute`` to ``new_status`` at instant ``at``; pure, returns a new dispute.

    Raises ``DomainError`` with rule ``illegal_transition`` for a move that
    :data:`ALLOWED_TRANSITIONS` does not list (including any move out of a final
    status), and ``date_order`` if ``at`` precedes the opening. A final status
    stamps ``resolved_at = at`` and keeps ``resolution``.
    """
    new_status = DisputeStatus(new_status)
    if not dispute.can_move_to(new_status):
        raise DomainError(
            "status",
            "illegal_transition",
            f"a dispute cannot go from {dispute.status} to {new_status}",
        )
    utc_instant(at, "at")
    require(at >= dispute.opened_at, "at", "date_order", "a dispute cannot move before it opened")
    if new_status.is_final:
        return replace(dispute, status=new_status, resolved_at=at, resolution=resolution)
    return replace(dispute, status=new_status, resolution=resolution or dispute.resolution)


# A whitespace-separated run holding at least one letter or digit is one word
# (a lone dash is not); each Han, kana or Hangul character counts as one word, as
# word processors count them.
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD: Final = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")


def count_words(text: str) -> int:
    """Number of words in ``text``; each CJK character counts as one word."""
    return sum(1 for token in _WORD.findall(text) if any(c.isalnum() for c in token))


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsumerStatement:
    """The subject's own words shown next to an item, or the whole file (``item_id`` None).

    The FCRA lets a bureau limit a statement to 100 words (611(b)); China has no
    such limit (art. 16). The limit is therefore a policy value passed to
    :meth:`check_length`, not a constant here.
    """

    statement_id: str
    subject_id: str
    text: str
    created_at: datetime
    item_kind: ItemKind | None = None
    item_id: str | None = None
    withdrawn_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("statement_id", "subject_id", "text"):
            non_blank(getattr(self, name), name)
        enum_field(self, "item_kind", ItemKind, optional=True)
        optional_non_blank(self.item_id, "item_id")
        require(
            (self.item_kind is None) == (self.item_id is None),
            "item_id" if self.item_id is None else "item_kind",
            "item_pair",
            "item_kind and item_id come together (both empty for a file-wide statement)",
        )
        utc_instant(self.created_at, "created_at")
        utc_instant(self.withdrawn_at, "withdrawn_at")
        if self.withdrawn_at is not None:
            require(
                self.withdrawn_at >= self.created_at,
                "withdrawn_at",
                "date_order",
                "a statement cannot be withdrawn before it was made",
            )

    @property
    def word_count(self) -> int:
        """Words in the statement (see :func:`count_words`)."""
        return count_words(self.text)

    def check_length(self, max_words: int) -> None:
        """Raise ``DomainError`` (rule ``word_limit``) if the text exceeds ``max_words``."""
        count = self.word_count
        require(
            count <= max_words,
            "text",
            "word_limit",
            f"{count} words; the limit is {max_words}",
        )

    def is_shown_at(self, at: datetime) -> bool:
        """Whether the statement is part of the file at ``at`` (made, not withdrawn)."""
        return self.created_at <= at and (self.withdrawn_at is None or at < self.withdrawn_at)
