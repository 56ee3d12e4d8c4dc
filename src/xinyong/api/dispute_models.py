"""Request and response bodies of the dispute workflow (furnisher answers, operator views)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from xinyong.disputes import Outcome

__all__ = ["DisputeAnswerIn", "FurnisherDispute", "OperatorDispute"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DisputeAnswerIn(_Model):
    """The furnisher's finding. ``correct`` carries the corrected record, in the canonical
    JSON record format of an upload (``record_kind`` and all its fields): it is ingested
    as a new ledger batch that supersedes the disputed record, never an edit."""

    outcome: Outcome
    note: str | None = Field(default=None, min_length=1, max_length=2000)
    record: dict[str, Any] | None = Field(
        default=None, description="the corrected record (only with outcome=correct)"
    )


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
    resolved_at: datetime | None
    resolution: str | None
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
    resolved_at: datetime | None
    resolution: str | None
    correction_batch_id: str | None
    overdue: bool = Field(description="unanswered after the deadline")
    breach: bool = Field(description="unanswered after the deadline, or answered after it")
    suppressed: bool = Field(description="the item is hidden from reports and scores")
