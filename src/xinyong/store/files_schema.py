"""Published credit files: the serving store's copy of one pipeline run.

A batch run writes credit files as Parquet (``$XINYONG_HOME/runs/<run_id>/``);
``xinyong.publish.publish_run`` copies the current run here so that a report is
a handful of indexed lookups by ``subject_id`` instead of a ledger scan. The
item tables hold exactly one publication (the current run): a new run replaces
them in one transaction, so a reader sees the old file or the new one, never a
mix. ``file_runs`` keeps every publication, with one ``current`` row.

Nothing is dropped: aged-off and deleted items are published with ``shown``
false, so an auditor can see what a report hid and why. Payment history is one
row per account item (a status character per month), not one row per month:
a million subjects' 24-month histories stay a few million rows.

``file_report_parts`` (migration 0007) holds, per subject of the publication,
the JSON of its shown accounts and public records exactly as the report
serialises them when no dispute or statement touches them
(``xinyong.api.report_parts``): a report request reads one row instead of
building and serialising a model per item. The row also holds the subject's
names, identifiers and latest score as the report serialises them (migration
0015; on PostgreSQL since 0018; ``xinyong.api.report_facts``), cleared by
triggers whenever what they copy changes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from xinyong.store.schema import ID, metadata
from xinyong.store.types import UTCDateTime

__all__ = [
    "file_account_items",
    "file_payment_history",
    "file_public_record_items",
    "file_report_parts",
    "file_runs",
]

file_runs = Table(
    "file_runs",
    metadata,
    Column("run_id", String(ID), primary_key=True),
    Column("as_of", Date, nullable=False),
    Column("jurisdiction", String(2), nullable=False),
    # The ledger snapshot the files were built from, so they can be rebuilt.
    Column("snapshot_id", String(128), nullable=True),
    Column("model_id", String(ID), nullable=True),
    Column("published_at", UTCDateTime, nullable=False),
    Column("current", Boolean, nullable=False),
    Column("subjects", BigInteger, nullable=False),
    Column("account_items", BigInteger, nullable=False),
    Column("public_record_items", BigInteger, nullable=False),
    Index(None, "current"),
)

file_account_items = Table(
    "file_account_items",
    metadata,
    Column("item_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), nullable=False),
    Column("furnisher_id", String(ID), nullable=False),
    Column("account_key", String(128), nullable=False),
    Column("consumer_no", Integer, nullable=False),
    Column("batch_id", String(ID), nullable=True),
    Column("record_no", BigInteger, nullable=True),
    Column("account_number_masked", String(64), nullable=True),
    Column("portfolio_type", String(1), nullable=False),
    Column("account_type", String(2), nullable=False),
    Column("ecoa_code", String(1), nullable=True),
    Column("account_category", String(16), nullable=True),
    Column("date_opened", Date, nullable=False),
    Column("date_closed", Date, nullable=True),
    Column("date_reported", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit_limit_minor", BigInteger, nullable=True),
    Column("highest_credit_minor", BigInteger, nullable=True),
    Column("current_balance_minor", BigInteger, nullable=True),
    Column("amount_past_due_minor", BigInteger, nullable=True),
    Column("scheduled_payment_minor", BigInteger, nullable=True),
    Column("account_status", String(2), nullable=False),
    Column("payment_rating", String(1), nullable=True),
    Column("first_delinquency_date", Date, nullable=True),
    Column("last_payment_date", Date, nullable=True),
    Column("special_comment", String(2), nullable=True),
    Column("compliance_condition", String(2), nullable=True),
    # The furnisher's own dispute flag (Metro 2 compliance condition XB, XC, ...).
    Column("furnisher_disputed", Boolean, nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("negative_kind", String(40), nullable=True),
    Column("ages_off_on", Date, nullable=True),
    Column("aged_off", Boolean, nullable=False),
    Column("shown", Boolean, nullable=False),
    # Why a published item is not shown: deleted, dispute_overdue or aged_off.
    Column("hidden_reason", String(16), nullable=True),
    Index(None, "subject_id"),
)

file_payment_history = Table(
    "file_payment_history",
    metadata,
    Column("item_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), nullable=False),
    # Month of the first character; one status character per month after it,
    # '-' where nothing was reported; ``shown_mask`` is '1'/'0' per month.
    Column("first_month", Date, nullable=False),
    Column("statuses", Text, nullable=False),
    Column("shown_mask", Text, nullable=False),
    Index(None, "subject_id"),
)

file_public_record_items = Table(
    "file_public_record_items",
    metadata,
    Column("item_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), nullable=False),
    Column("furnisher_id", String(ID), nullable=False),
    Column("record_ref", String(128), nullable=False),
    Column("batch_id", String(ID), nullable=True),
    Column("record_no", BigInteger, nullable=True),
    Column("kind", String(40), nullable=False),
    Column("authority", String(256), nullable=False),
    Column("event_date", Date, nullable=True),
    Column("filed_date", Date, nullable=True),
    Column("amount_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("status", String(16), nullable=False),
    Column("removed_date", Date, nullable=True),
    Column("expires_on", Date, nullable=True),
    Column("in_force", Boolean, nullable=False),
    Column("ages_off_on", Date, nullable=True),
    Column("aged_off", Boolean, nullable=False),
    Column("shown", Boolean, nullable=False),
    # Why a published item is not shown: deleted, dispute_overdue or aged_off.
    Column("hidden_reason", String(16), nullable=True),
    Index(None, "subject_id"),
)

file_report_parts = Table(
    "file_report_parts",
    metadata,
    Column("subject_id", String(ID), nullable=False),
    Column("run_id", String(ID), nullable=False),
    # UTF-8 JSON arrays: ``Report.accounts`` and ``Report.public_records``.
    Column("accounts", LargeBinary, nullable=False),
    Column("public_records", LargeBinary, nullable=False),
    # The report's names and identifiers, and its latest score with reasons, as
    # JSON, and the score's computed_at (migrations 0015 and 0018,
    # ``xinyong.api.report_facts``). Kept right by triggers; NULL: read them live.
    Column("parties", LargeBinary, nullable=True),
    Column("score", LargeBinary, nullable=True),
    Column("score_at", UTCDateTime, nullable=True),
    PrimaryKeyConstraint("subject_id", "run_id"),
)
