"""Request and response bodies: the published contract (``/openapi.json``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.domain.disputes import ItemKind
from xinyong.domain.inquiries import Purpose

__all__ = [
    "AccountItem",
    "AuditVerification",
    "BatchStatus",
    "ConsentIn",
    "ConsentOut",
    "DisputeIn",
    "DisputeOut",
    "ErrorBody",
    "ErrorResponse",
    "Health",
    "IdentifierIn",
    "InquiryIn",
    "InquiryItem",
    "InquiryResult",
    "InquiryVolume",
    "PublicRecordItem",
    "RejectRow",
    "Report",
    "ScoreOut",
    "ScoreReason",
    "SessionOut",
    "SignInIn",
    "StatementIn",
    "StatementOut",
    "SubjectFile",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(_Model):
    code: str = Field(description="Stable snake_case reason code.")
    message: str


class ErrorResponse(_Model):
    error: ErrorBody


class Health(_Model):
    status: Literal["ok"]
    version: str
    jurisdiction: str


# --------------------------------------------------------------------------- furnisher


class BatchStatus(_Model):
    batch_id: str
    status: str = Field(description="stored, duplicate or rejected")
    format: str
    received_at: datetime
    records_received: int
    records_accepted: int
    records_rejected: int
    duplicate_of: str | None = None


class RejectRow(_Model):
    record_no: int
    location: str | None
    segment: str | None
    field: str | None
    rule: str
    message: str


# --------------------------------------------------------------------------- reports


class AccountItem(_Model):
    account_id: str
    furnisher_id: str
    account_number_masked: str | None
    portfolio_type: str
    account_type: str
    date_opened: date
    date_closed: date | None
    date_reported: date
    currency: str
    credit_limit_minor: int | None
    current_balance_minor: int | None
    amount_past_due_minor: int | None
    account_status: str
    payment_history_profile: str | None
    disputed: bool
    statements: list[str]
    history_first_month: date | None = Field(
        default=None, description="month of the first character of ``history`` (published files)"
    )
    history: str | None = Field(
        default=None, description="one status per month, oldest first, '-' where none reported"
    )


class PublicRecordItem(_Model):
    record_id: str
    furnisher_id: str
    kind: str
    authority: str
    event_date: date | None
    filed_date: date | None
    amount_minor: int | None
    currency: str | None
    status: str
    expires_on: date | None
    disputed: bool
    statements: list[str]


class InquiryItem(_Model):
    inquiry_id: str
    inquirer_org_id: str
    inquirer_name: str | None
    purpose: str
    kind: Literal["hard", "soft"]
    at: datetime


class StatementOut(_Model):
    statement_id: str
    item_kind: str | None
    item_id: str | None
    text: str
    created_at: datetime


class DisputeOut(_Model):
    dispute_id: str
    item_kind: str
    item_id: str | None
    reason: str
    status: str
    opened_at: datetime
    due_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    overdue: bool


class ScoreReason(_Model):
    rank: int
    code: str
    text: str


class ScoreOut(_Model):
    """A served score always carries its reasons, model version and input snapshot."""

    score_id: str
    score: int
    score_min: int
    score_max: int
    model_id: str
    model_version: str
    as_of: date
    ledger_snapshot: str
    computed_at: datetime
    reasons: list[ScoreReason]


class Report(_Model):
    """One subject's file; the inquirer's copy and the subject's come from this one model."""

    subject_id: str
    subject_kind: str
    names: list[str]
    identifiers: list[dict[str, str]] = Field(description="scheme and masked value only")
    jurisdiction: str
    generated_at: datetime
    source: Literal["store", "published"] = Field(
        description="where the items come from: the published run's files, or the store's rows"
    )
    run_id: str | None = Field(default=None, description="the published run (published only)")
    as_of: date | None = Field(default=None, description="the files' as-of date (published only)")
    score: ScoreOut | None = Field(default=None, description="the latest stored score")
    accounts: list[AccountItem]
    public_records: list[PublicRecordItem]
    inquiries: list[InquiryItem]
    file_statements: list[StatementOut]


# --------------------------------------------------------------------------- inquirer


class IdentifierIn(_Model):
    scheme: str = Field(max_length=32)
    value: str = Field(max_length=128)
    country: str | None = Field(default=None, max_length=2)


class InquiryIn(_Model):
    identifier: IdentifierIn
    # Free text so that a missing or unknown purpose is a recorded refusal, not a 422.
    purpose: str | None = Field(default=None, max_length=32, examples=[p.value for p in Purpose])
    consent_id: str | None = Field(default=None, max_length=64)


class InquiryResult(_Model):
    inquiry_id: str
    purpose: str
    kind: Literal["hard", "soft"]
    report: Report


# --------------------------------------------------------------------------- subject


class SignInIn(_Model):
    code: str = Field(max_length=256)


class SessionOut(_Model):
    token: str
    expires_at: datetime


class ConsentIn(_Model):
    inquirer_org_id: str = Field(max_length=64)
    purpose: Purpose
    expires_at: datetime | None = None


class ConsentOut(_Model):
    consent_id: str
    inquirer_org_id: str
    purpose: str
    granted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class DisputeIn(_Model):
    item_kind: ItemKind
    item_id: str | None = Field(default=None, max_length=64)
    reason: str = Field(min_length=1, max_length=4000)


class StatementIn(_Model):
    text: str = Field(min_length=1, max_length=8000)
    item_kind: ItemKind | None = None
    item_id: str | None = Field(default=None, max_length=64)


class SubjectFile(_Model):
    report: Report
    disputes: list[DisputeOut]
    consents: list[ConsentOut]
    free_reports_per_year: int | None
    own_requests_last_year: int


# --------------------------------------------------------------------------- operator


class InquiryVolume(_Model):
    inquirer_org_id: str | None
    purpose: str | None
    outcome: str
    count: int


class ChainVerification(_Model):
    ok: bool
    checked: int
    first_broken_seq: int | None
    reason: str | None
    head_seq: int | None
    head_hash: str | None


class AuditVerification(ChainVerification):
    """The audit chain's result at the top level, the inquiry chain's beside it
    (checked against the newest head the audit chain anchored of it)."""

    inquiries: ChainVerification
    inquiries_anchor_seq: int | None


JSON = dict[str, Any]
