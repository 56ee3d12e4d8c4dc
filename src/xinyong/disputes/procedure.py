"""The description of a reinvestigation, owed on the subject's request (FCRA 611(a)(7)).

The results notice of (a)(6) tells the consumer it may ask how the accuracy and
completeness of the item were determined ((a)(6)(B)(iii)); when it asks, the
bureau owes a description of the procedure used, with the business name, address
and telephone number of any furnisher contacted if reasonably available, within
15 days of the request. The request is recorded as a notice row with that deadline,
its text the description; the operator records when it went out in writing, and
one not sent in time is a breach like any other notice.

Only a completed reinvestigation has a procedure to describe: an open dispute is
refused (not completed yet), and one terminated as frivolous or withdrawn too (none
was made). The furnisher's business address and telephone number are named where
registered (``xinyong furnisher add --address --telephone``), and said not to be on
record where not.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, func, select

from xinyong.disputes.deadlines import end_of_day
from xinyong.disputes.errors import DisputeRefused
from xinyong.disputes.notices import create_notice
from xinyong.disputes.owed import item_phrase
from xinyong.disputes.workflow import audit_step
from xinyong.domain.disputes import DisputeStatus
from xinyong.policy import DisputeRule
from xinyong.store import repositories
from xinyong.store.dispute_schema import dispute_information, dispute_notices

__all__ = ["PROCEDURE_NOTICE", "REINVESTIGATED", "request_procedure"]

PROCEDURE_NOTICE: Final = "procedure"

#: The final statuses a reinvestigation led to (not ``frivolous``, ``withdrawn``).
REINVESTIGATED: Final = frozenset(
    {
        DisputeStatus.VERIFIED,
        DisputeStatus.CORRECTED,
        DisputeStatus.DELETED,
        DisputeStatus.UNCONFIRMED,
    }
)


def _count(conn: Connection, table: Any, dispute_id: str, *where: Any) -> int:
    query = select(func.count()).select_from(table).where(table.c.dispute_id == dispute_id, *where)
    return int(conn.execute(query).scalar_one())


def _who(conn: Connection, furnisher_id: str | None) -> tuple[str, str]:
    """To whom the dispute went, and what the bureau holds of its contact details."""
    if furnisher_id is None:
        return "the bureau itself (no furnisher reports the item)", ""
    org = repositories.get_organisation(conn, furnisher_id)
    name = f"{org['name']} ({furnisher_id})" if org else furnisher_id
    known = {
        "business address": org.get("address") if org else None,
        "telephone number": org.get("telephone") if org else None,
    }
    given = "; ".join(f"{what}: {value}" for what, value in known.items() if value)
    missing = [what for what, value in known.items() if not value]
    contact = f" The furnisher contacted was {name}" + (f"; {given}" if given else "")
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        contact += f"; its {' and '.join(missing)} {verb} not on record with the bureau"
    return f"its furnisher, {name}", contact + "."


def _description(conn: Connection, row: Any, requested: datetime) -> str:
    added = _count(conn, dispute_information, row.dispute_id)
    pieces = "1 piece" if added == 1 else f"{added} pieces"
    sent = "what you gave when filing" + (
        f" and the {pieces} of information you added later, each passed on when it arrived"
        if added
        else ""
    )
    forwarded = row.forwarded_at or row.opened_at
    extended = (
        f" The deadline was extended on {row.extended_at:%Y-%m-%d} to {row.due_at:%Y-%m-%d}."
        if row.extended_at
        else ""
    )
    to, contact = _who(conn, row.furnisher_id)
    return (
        f"How your dispute received on {row.opened_at:%Y-%m-%d} about "
        f"{item_phrase(row.item_kind)} was reinvestigated, as you asked on "
        f"{requested:%Y-%m-%d}: on {forwarded:%Y-%m-%d} it was sent to {to} with {sent}, "
        f"to be answered by {row.due_at:%Y-%m-%d}.{extended} On {row.resolved_at:%Y-%m-%d} "
        f"it was completed as {row.status}: {row.resolution}.{contact}"
    )


def request_procedure(
    conn: Connection, row: Any, now: datetime, actor: str, rule: DisputeRule
) -> str:
    """The subject asks how its completed dispute ``row`` (locked by the caller) was
    reinvestigated: owe it the description by the rule's deadline; the notice's id.

    Refused (:class:`DisputeRefused`) where the rule gives no such right
    (``procedure_not_provided``), for a dispute not reinvestigated (``not_reinvestigated``:
    still open, terminated or withdrawn), and a second time (``procedure_already_requested``).
    """
    procedure = rule.procedure_notice
    if procedure is None:
        raise DisputeRefused(
            "procedure_not_provided",
            f"dispute_id: rule procedure: no separate description of the procedure is owed "
            f"here; the answer is the dispute's own ({rule.basis})",
        )
    status = DisputeStatus(row.status)
    if status not in REINVESTIGATED:
        why = "is not completed yet" if not status.is_final else f"is {status}: none was made"
        raise DisputeRefused(
            "not_reinvestigated",
            f"status: rule reinvestigated: only a completed reinvestigation is described; "
            f"this dispute {why}",
        )
    if _count(conn, dispute_notices, row.dispute_id, dispute_notices.c.kind == PROCEDURE_NOTICE):
        raise DisputeRefused(
            "procedure_already_requested",
            "dispute_id: rule once: the description of this reinvestigation was already asked for",
        )
    due = procedure.due(now.astimezone(UTC).date(), rule.calendar)
    audit_step(conn, row, "dispute.procedure_requested", actor, now, {"due_at": end_of_day(due)})
    text = f"{_description(conn, row, now)} ({procedure.basis})."
    return create_notice(
        conn, row, PROCEDURE_NOTICE, text, due_at=end_of_day(due), now=now, actor=actor
    )
