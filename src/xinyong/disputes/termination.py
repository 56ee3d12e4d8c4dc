"""Terminating a dispute as frivolous or irrelevant, where the profile allows it.

FCRA 611(a)(3): the bureau may end a reinvestigation it reasonably determines to
be frivolous or irrelevant -- the consumer gave too little to investigate, or
repeats an earlier dispute with nothing new -- and must tell the consumer within
5 business days of the determination why, and what information would be needed.
GDPR art. 12(5) lets a manifestly unfounded or excessive request be refused, the
subject told the reasons and of the right to complain within one month of receipt
(art. 12(4)). 征信业管理条例 art. 25 has every objection answered: no termination.

The operator decides, on a reason from :class:`~xinyong.policy.dispute_rules.TerminationReason`;
a repeated dispute is not detected automatically. The dispute becomes ``frivolous``
(final): its item is no longer flagged as disputed, nothing is corrected, suppressed
or rescored, the furnisher's inbox no longer lists it as open, and no results notice
of (a)(6) is owed (there are no results); the termination notice is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, update

from xinyong.disputes.deadlines import end_of_day
from xinyong.disputes.errors import DeadlinePassed, DisputeRefused
from xinyong.disputes.notices import create_notice
from xinyong.disputes.owed import item_phrase
from xinyong.disputes.workflow import as_dispute, audit_step
from xinyong.domain.disputes import DisputeStatus, transition
from xinyong.policy import DisputeRule
from xinyong.policy.dispute_rules import TerminationReason
from xinyong.store.schema import disputes

__all__ = ["TERMINATION_NOTICE", "terminate", "termination_resolution"]

TERMINATION_NOTICE: Final = "termination"

# Why, and what the subject would have to send for the dispute to be investigated
# (FCRA 611(a)(3)(C)(i) and (ii)).
_WHY: Final = {
    TerminationReason.INSUFFICIENT_INFORMATION: (
        "it did not give enough information to investigate the item",
        "say what in the item is wrong and why, with any documents that show it (for "
        "example a statement, a receipt or a letter from the furnisher)",
    ),
    TerminationReason.SUBSTANTIALLY_REPEATED: (
        "it substantially repeats an earlier dispute of the same item and brings no new "
        "information",
        "send information the earlier dispute did not have",
    ),
    TerminationReason.IRRELEVANT: (
        "it does not concern the accuracy or completeness of the item",
        "say what in the item is inaccurate or incomplete",
    ),
}


def termination_resolution(reason: TerminationReason, note: str | None) -> str:
    """The resolution the subject, the operator and the furnisher see: the reason in words
    and its code, and the operator's own words if any."""
    why, _ = _WHY[reason]
    text = f"terminated as frivolous or irrelevant ({reason.value}): {why}"
    return f"{text}; {note}" if note else text


def terminate(
    conn: Connection,
    row: Any,
    reason: TerminationReason,
    note: str | None,
    now: datetime,
    actor: str,
    rule: DisputeRule,
) -> str:
    """Terminate the open or forwarded dispute ``row`` (locked by the caller) for ``reason``
    and owe the subject the notice of it by the rule's deadline; the notice's id.

    Refused (:class:`DisputeRefused`) where the rule allows no termination
    (``termination_not_allowed``) or not for this reason (``termination_reason``), and
    for a closed dispute (``dispute_closed``); :class:`DeadlinePassed` after the
    deadline, when the deadline rule closes the dispute instead.
    """
    termination = rule.termination
    if termination is None:
        raise DisputeRefused(
            "termination_not_allowed",
            f"status: rule termination: every dispute is answered here ({rule.basis})",
        )
    if not termination.allows(reason):
        allowed = ", ".join(sorted(r.value for r in termination.reasons))
        raise DisputeRefused(
            "termination_reason",
            f"reason: rule termination_reason: {reason.value} is no ground to terminate a "
            f"dispute here; allowed: {allowed} ({termination.basis})",
        )
    if DisputeStatus(row.status).is_final:
        raise DisputeRefused(
            "dispute_closed", f"status: rule open: the dispute is already {row.status}"
        )
    if now > row.due_at:
        raise DeadlinePassed(row.dispute_id)
    resolution = termination_resolution(reason, note)
    moved = transition(as_dispute(row), DisputeStatus.FRIVOLOUS, now, resolution=resolution)
    conn.execute(
        update(disputes)
        .where(disputes.c.dispute_id == row.dispute_id)
        .values(status=moved.status.value, resolved_at=moved.resolved_at, resolution=resolution)
    )
    audit_step(
        conn,
        row,
        "dispute.frivolous",
        actor,
        now,
        {
            "item_kind": row.item_kind,
            "item_id": row.item_id,
            "status": moved.status.value,
            "termination_reason": reason.value,
            "basis": termination.basis,
        },
    )
    received = row.opened_at.astimezone(UTC).date()
    due = rule.termination_notice_due(received, now.astimezone(UTC).date())
    why, needed = _WHY[reason]
    remedy = f" {termination.complaint}" if termination.complaint else ""
    told = f" {note.rstrip('. ')}." if note else ""
    text = (
        f"Your dispute received on {received:%Y-%m-%d} about {item_phrase(row.item_kind)} "
        f"was terminated on {now:%Y-%m-%d} without a reinvestigation, as frivolous or "
        f"irrelevant: {why}.{told} To have it investigated, {needed}, in a new dispute. "
        f"The item is no longer marked as disputed; you may add a statement to it.{remedy} "
        f"({termination.basis}; {termination.notice.basis})."
    )
    return create_notice(
        conn, row, TERMINATION_NOTICE, text, due_at=end_of_day(due), now=now, actor=actor
    )
