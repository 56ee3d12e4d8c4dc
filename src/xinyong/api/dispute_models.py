"""Request and response bodies of the dispute workflow (furnisher answers, operator views,
the subject's added information and notices)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xinyong.disputes import Outcome
from xinyong.policy.dispute_rules import TerminationReason

__all__ = [
    "DisputeAnswerIn",
    "DisputeInformation",
    "ExtensionIn",
    "FurnisherDispute",
    "InformationIn",
    "NoticeOut",
    "OperatorDispute",
    "OperatorNotice",
    "PastRecipientOut",
    "RecipientNoticeOut",
    "RecipientsIn",
    "ReinsertionIn",
    "TerminationIn",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DisputeAnswerIn(_Model):
    """The furnisher's finding. ``correct`` carries the corrected record, in the canonical
    JSON record format of an upload (``record_kind`` and all its fields): it is ingested
    as a new ledger batch that supersedes the disputed record, never an edit, and must
    name the disputed item itself (its account number or record reference).
    ``unverifiable``: the item cannot be verified; the jurisdiction decides what follows
    (deleted under the FCRA and the GDPR, kept with the objection under CN art. 25)."""

    outcome: Outcome
    note: str | None = Field(default=None, min_length=1, max_length=2000)
    record: dict[str, Any] | None = Field(
        default=None, description="the corrected record (only with outcome=correct)"
    )


class InformationIn(_Model):
    """What the subject adds to its open dispute; passed on to whoever answers it."""

    text: str = Field(min_length=1, max_length=4000)


class ExtensionIn(_Model):
    """Why the operator needs more time for a complex request (told to the subject)."""

    reason: str = Field(min_length=1, max_length=2000)


class TerminationIn(_Model):
    """Why the operator terminates a dispute as frivolous or irrelevant (FCRA 611(a)(3), GDPR
    art. 12(5)), where the profile allows that reason; ``note``: the operator's own words,
    told to the subject with the reason (no need to repeat the reason)."""

    reason: TerminationReason
    note: str | None = Field(default=None, min_length=1, max_length=2000)


class ReinsertionIn(_Model):
    """The furnisher's certification that the deleted item is complete and accurate."""

    certification: str = Field(min_length=1, max_length=2000)


class DisputeInformation(_Model):
    info_id: str
    received_at: datetime
    text: str


class FurnisherDispute(_Model):
    """A dispute about one of the furnisher's records, with where that record came from."""

    dispute_id: str
    item_kind: str
    item_id: str | None
    batch_id: str | None = Field(description="the ledger batch the disputed record came in")
    record_no: int | None
    reason: str
    status: str
    opened_at: datetime
    forwarded_at: datetime | None
    due_at: datetime
    first_due_at: datetime | None = Field(description="the deadline before an extension")
    extended_at: datetime | None
    information: list[DisputeInformation] = Field(
        description="what the subject added after filing, oldest first"
    )
    resolved_at: datetime | None
    resolution: str | None
    reinsertion_certified_at: datetime | None
    reinserted_at: datetime | None = Field(description="when a deleted item came back")
    overdue: bool


class OperatorDispute(_Model):
    """A dispute as the operator watches it: who must answer, by when, and its effect."""

    dispute_id: str
    item_kind: str
    item_id: str | None
    furnisher_id: str | None = Field(description="None: the operator answers it")
    status: str
    opened_at: datetime
    forwarded_at: datetime | None
    due_at: datetime
    first_due_at: datetime | None = Field(description="the deadline before an extension")
    extended_at: datetime | None
    extension_reason: str | None
    resolved_at: datetime | None
    resolution: str | None
    correction_batch_id: str | None
    reinsertion_certified_at: datetime | None
    reinserted_at: datetime | None = Field(description="when a deleted item came back")
    overdue: bool = Field(description="unanswered after the deadline")
    breach: bool = Field(description="unanswered after the deadline, or answered after it")
    notice_overdue: bool = Field(
        description="a notice owed to the subject is not sent by its deadline, or was sent late"
    )
    suppressed: bool = Field(description="the item is hidden from reports and scores")


class NoticeOut(_Model):
    """A written notice owed about the subject's dispute: of an extension, of a reinsertion,
    to the furnisher (``furnisher``, sent when the dispute is forwarded), of the results
    (``results``) or of its termination as frivolous or irrelevant (``termination``), each
    with its deadline and when it was sent."""

    notice_id: str
    dispute_id: str
    kind: str
    text: str
    created_at: datetime
    due_at: datetime = Field(description="the deadline to send it")
    sent_at: datetime | None = Field(description="when it went out in writing")


class OperatorNotice(NoticeOut):
    """A notice as the operator sends it: the item it is about, and whether it is late."""

    item_kind: str
    item_id: str | None
    furnisher_id: str | None
    overdue: bool = Field(description="not sent by its deadline, or sent after it")


class PastRecipientOut(_Model):
    """An inquirer that received a report on the subject in the period the profile sets
    (FCRA 611(d); GDPR art. 19: every recipient), with its latest report, and when it was
    told of this dispute's outcome (null: not yet)."""

    inquirer_org_id: str
    name: str | None
    inquiry_id: str
    purpose: str
    received_at: datetime
    told_at: datetime | None


class RecipientsIn(_Model):
    """Whom to tell of the dispute's outcome: the inquirers the subject designates, or,
    with null, every recipient in the period."""

    inquirer_org_ids: list[str] | None = Field(
        default=None, min_length=1, max_length=100, description="null: every recipient"
    )


class RecipientNoticeOut(_Model):
    """A notice to an inquirer that an item in a report it received (``inquiry_id``, its
    own inquiry) was deleted or corrected after a dispute, or is disputed with the
    subject's statement."""

    notice_id: str
    dispute_id: str
    inquirer_org_id: str
    inquiry_id: str
    text: str
    created_at: datetime
