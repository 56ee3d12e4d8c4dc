"""What disputes hide from reports and scores, and what they flag.

One rule, read two ways: :func:`suppressed_items` by the batch pipeline (every
subject, one indexed query over ``disputes``) and :func:`item_flags` by the
report (one subject's rows it already fetched). Hidden: an item deleted after
a dispute and not reinserted since (FCRA 611(a)(5)(B): only on the
furnisher's certification), and an item under an unanswered, overdue dispute
where the rule deletes what nobody confirmed. Items are named by the stable
ids of the credit files (``'A'``/``'P'`` + MD5 of the furnisher's slot), so a
newer ledger record of the same account or public record stays hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, and_, or_, select

from xinyong.disputes.workflow import OPEN_STATUSES
from xinyong.domain.disputes import DisputeStatus
from xinyong.policy import DisputeRule
from xinyong.store.schema import disputes

__all__ = ["Flags", "item_flags", "suppressed_items"]

_DELETED: Final = DisputeStatus.DELETED.value
_UNCONFIRMED: Final = DisputeStatus.UNCONFIRMED.value


def _hides_overdue(rule: DisputeRule | None) -> bool:
    """Whether an item under an unanswered, overdue dispute is hidden. Without the
    deployment's rule, it is: a contested item nobody confirmed stays out of sight."""
    return rule is None or not rule.keeps_unverifiable


def suppressed_items(conn: Connection, now: datetime, rule: DisputeRule | None = None) -> set[str]:
    """Item ids (accounts, public records, inquiries) not to show or score at ``now``.

    Deleted after a dispute and not reinserted since, or (where ``rule`` deletes
    what nobody confirmed) disputed and still unanswered after the deadline.
    Read by the batch pipeline; cheap (one indexed query over disputes, not
    over items). Pass the deployment's rule (``profile.dispute``).
    """
    removed = and_(disputes.c.status == _DELETED, disputes.c.reinserted_at.is_(None))
    overdue = and_(disputes.c.status.in_(OPEN_STATUSES), disputes.c.due_at < now)
    hidden = or_(removed, overdue) if _hides_overdue(rule) else removed
    rows = conn.execute(select(disputes.c.item_id).where(disputes.c.item_id.is_not(None), hidden))
    return {str(r.item_id) for r in rows}


Flags = set[tuple[str, str | None]]


def item_flags(rows: Iterable[Any], now: datetime, rule: DisputeRule) -> tuple[Flags, Flags]:
    """(flagged, hidden) ``(item_kind, item_id)`` pairs from one subject's dispute rows.

    The report's reading of :func:`suppressed_items`, over rows it already
    fetched (``item_kind``, ``item_id``, ``status``, ``due_at``,
    ``reinserted_at``). Flagged as disputed: an open dispute, and an item kept
    with the subject's objection (CN art. 25). Hidden: what
    :func:`suppressed_items` suppresses.
    """
    flagged: Flags = set()
    hidden: Flags = set()
    hides_overdue = _hides_overdue(rule)
    for r in rows:
        key = (r.item_kind, r.item_id)
        if r.status in OPEN_STATUSES:
            flagged.add(key)
            if hides_overdue and now > r.due_at:
                hidden.add(key)
        elif r.status == _UNCONFIRMED:
            flagged.add(key)
        elif r.status == _DELETED and r.reinserted_at is None:
            hidden.add(key)
    return flagged, hidden
