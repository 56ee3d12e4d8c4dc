"""The notices a dispute's own steps owe, where the profile sets a deadline for them.

* **Filed**: the furnisher of the item must be told within the rule's period of
  receipt, with what the subject gave (FCRA 611(a)(2)(A): 5 business days). The
  notice is owed from the filing; forwarding the dispute to the furnisher's inbox
  (:func:`xinyong.disputes.workflow.forward`) *is* that notification, so it marks
  the notice sent when it happens, without a second action by anyone. A dispute no
  furnisher owns (identity, inquiry) is answered by the operator: no notice.
* **Completed** (answered, or closed by the deadline rule): the subject must be
  given the results in writing within the rule's period (FCRA 611(a)(6)(A): 5
  business days after completion); the operator records when it went out.

Periods count in the profile's working-day calendar (:attr:`DisputeRule.calendar`).
The subject sees each notice at once, sent or not; one unsent by its deadline is a
breach in ``xinyong disputes overdue``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection

from xinyong.disputes.deadlines import end_of_day
from xinyong.disputes.notices import create_notice, mark_kind_sent
from xinyong.domain.disputes import DisputeStatus
from xinyong.policy import DisputeRule
from xinyong.store import repositories

__all__ = [
    "FURNISHER_NOTICE",
    "RESULTS_NOTICE",
    "furnisher_told",
    "item_phrase",
    "owe_furnisher_notice",
    "owe_results_notice",
]

FURNISHER_NOTICE: Final = "furnisher"
RESULTS_NOTICE: Final = "results"

_ARTICLE: Final = {"account": "an account", "public_record": "a public record"}
_CHANGED: Final = (DisputeStatus.CORRECTED, DisputeStatus.DELETED)


def item_phrase(item_kind: str) -> str:
    """How a notice names the disputed item: "an account", "your identity"..."""
    return _ARTICLE.get(item_kind, f"your {item_kind}")


def _furnisher(conn: Connection, furnisher_id: str) -> str:
    org = repositories.get_organisation(conn, furnisher_id)
    return f"{org['name']} ({furnisher_id})" if org else furnisher_id


def owe_furnisher_notice(
    conn: Connection,
    dispute: Any,
    furnisher_id: str | None,
    rule: DisputeRule,
    now: datetime,
    actor: str,
) -> str | None:
    """Owe the notification of the just filed ``dispute`` (``dispute_id``, ``subject_id``,
    ``item_kind``, ``opened_at``) to ``furnisher_id`` by the rule's deadline; the notice id,
    or None where the rule sets no such deadline or no furnisher owns the item."""
    received = dispute.opened_at.astimezone(UTC).date()
    due = rule.furnisher_notice_due(received)
    if due is None or rule.furnisher_notice is None or furnisher_id is None:
        return None
    text = (
        f"Your dispute received on {received:%Y-%m-%d} about {item_phrase(dispute.item_kind)} "
        f"is passed on to its furnisher, {_furnisher(conn, furnisher_id)}, with what you gave, "
        f"by {due:%Y-%m-%d} at the latest; what you add later is passed on too "
        f"({rule.furnisher_notice.basis})."
    )
    return create_notice(
        conn, dispute, FURNISHER_NOTICE, text, due_at=end_of_day(due), now=now, actor=actor
    )


def furnisher_told(conn: Connection, dispute_id: str, now: datetime, actor: str) -> list[str]:
    """The furnisher was told of the dispute now: its pending notification is sent."""
    return mark_kind_sent(conn, dispute_id, FURNISHER_NOTICE, now, actor)


def owe_results_notice(
    conn: Connection,
    row: Any,
    status: DisputeStatus,
    resolution: str,
    rule: DisputeRule,
    now: datetime,
    actor: str,
) -> str | None:
    """Owe the subject the written results of the dispute ``row`` completed now as
    ``status`` by the rule's deadline; the notice id, or None where the rule sets none."""
    completed = now.astimezone(UTC).date()
    due = rule.results_notice_due(completed)
    if due is None or rule.results_notice is None:
        return None
    changed = (
        " Your file changed: your report now shows it as revised."
        if status in _CHANGED
        else " Your file is unchanged."
    )
    text = (
        f"The reinvestigation of your dispute received on {row.opened_at:%Y-%m-%d} about "
        f"{item_phrase(row.item_kind)} was completed on {completed:%Y-%m-%d}: {resolution}."
        f"{changed} You may ask how it was determined, including the name, "
        "address and telephone number of any furnisher contacted; you may add a statement "
        "to the item; and you may ask that those who received your report be told "
        f"({rule.results_notice.basis})."
    )
    return create_notice(
        conn, row, RESULTS_NOTICE, text, due_at=end_of_day(due), now=now, actor=actor
    )
