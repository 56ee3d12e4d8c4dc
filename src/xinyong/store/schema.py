"""The serving store's tables, as SQLAlchemy Core metadata.

Names follow ``docs/data-model.md`` (the contract shared with ``xinyong.domain``).
This module is the *target* that migrations must reach: the Alembic revisions in
``store/migrations/versions`` create the schema, and a test compares the migrated
database with :data:`metadata` so the two cannot drift apart.

Conventions, so that every table reads the same:

* ids are ``String(64)`` (``repositories.new_id``: time-ordered hex, or a stable
  natural key); child rows without a natural key get an integer surrogate;
* money is a ``BigInteger`` ``*_minor`` column beside one ``currency`` ``String(3)``;
* dates are ``Date``; instants are :class:`~xinyong.store.types.UTCDateTime`;
* every furnished row carries ``furnisher_id``, ``batch_id`` and ``record_no``;
* identifiers are stored only as a keyed hash plus a masked form, never in clear;
* JSON payloads use the portable ``JSON`` type;
* constraint and index names come from :data:`NAMING_CONVENTION`, so migrations
  can name (and later drop) them deterministically on both backends.

Small closed vocabularies that the law fixes (subject kind, dispute status, ...)
are guarded by CHECK constraints; open code lists (Metro 2 codes, organisation
kinds, purposes) are validated in ``domain`` instead, so that adding a code does
not need a migration.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from xinyong.store.types import BigId, UTCDateTime

__all__ = [
    "NAMING_CONVENTION",
    "account_history",
    "accounts",
    "addresses",
    "audit_events",
    "consents",
    "consumer_statements",
    "disputes",
    "enterprises",
    "inquiries",
    "inquiry_events",
    "ledger_batches",
    "metadata",
    "organisations",
    "person_names",
    "public_records",
    "rejects",
    "score_reasons",
    "scores",
    "store_meta",
    "subject_identifiers",
    "subjects",
]

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

ID = 64  # length of every id column
HASH = 64  # hex SHA-256 / HMAC-SHA256


def _in(column: str, values: tuple[str, ...]) -> str:
    """SQL text for ``column IN (...)``, used by CHECK constraints."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def _provenance(*, nullable: bool = False) -> list[Column[Any]]:
    """``furnisher_id``, ``batch_id``, ``record_no``: where a furnished row came from."""
    return [
        Column("furnisher_id", String(ID), ForeignKey("organisations.org_id"), nullable=nullable),
        Column("batch_id", String(ID), ForeignKey("ledger_batches.batch_id"), nullable=nullable),
        Column("record_no", Integer, nullable=nullable),
    ]


SUBJECT_KINDS = ("person", "enterprise")
SUBJECT_STATUSES = ("active", "merged", "split")
SCRIPTS = ("latin", "han")
PUBLIC_RECORD_STATUSES = ("active", "satisfied", "removed", "withdrawn")
DISPUTE_ITEM_KINDS = ("account", "public_record", "identity", "inquiry")
DISPUTE_STATUSES = (
    "open",
    "forwarded",
    "verified",
    "corrected",
    "deleted",
    "frivolous",
    "withdrawn",
    "unconfirmed",
)
BATCH_STATUSES = ("stored", "duplicate", "rejected")

# --------------------------------------------------------------------------- parties

organisations = Table(
    "organisations",
    metadata,
    Column("org_id", String(ID), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("kind", String(32), nullable=False),
    # A sorted JSON list of "furnisher" / "inquirer" / "operator".
    Column("roles", JSON, nullable=False),
    Column("country", String(2), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # Migration 0013: the business address and telephone number, which the description
    # of a reinvestigation names for the furnisher contacted (FCRA 611(a)(7)).
    Column("address", Text, nullable=True),
    Column("telephone", String(32), nullable=True),
)

subjects = Table(
    "subjects",
    metadata,
    Column("subject_id", String(ID), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("merged_into", String(ID), ForeignKey("subjects.subject_id"), nullable=True),
    CheckConstraint(_in("kind", SUBJECT_KINDS), name="kind"),
    CheckConstraint(_in("status", SUBJECT_STATUSES), name="status"),
    Index(None, "merged_into"),
)

person_names = Table(
    "person_names",
    metadata,
    Column("name_id", BigId, primary_key=True, autoincrement=True),
    Column(
        "subject_id",
        String(ID),
        ForeignKey("subjects.subject_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("family_name", String(256), nullable=True),
    Column("given_names", String(256), nullable=True),
    Column("full_name", String(512), nullable=False),
    Column("script", String(8), nullable=False),
    CheckConstraint(_in("script", SCRIPTS), name="script"),
    # The report's names without visiting the rows (migration 0011).
    Index(None, "subject_id", "full_name"),
)

enterprises = Table(
    "enterprises",
    metadata,
    Column(
        "subject_id",
        String(ID),
        ForeignKey("subjects.subject_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("legal_name", String(512), nullable=False),
    Column("registration_date", Date, nullable=True),
    Column("registration_authority", String(256), nullable=True),
    Column("industry_code", String(16), nullable=True),
    # A business role (the registered legal representative), never a relative.
    Column(
        "legal_representative_subject_id",
        String(ID),
        ForeignKey("subjects.subject_id"),
        nullable=True,
    ),
    Index(None, "legal_representative_subject_id"),
)

subject_identifiers = Table(
    "subject_identifiers",
    metadata,
    Column(
        "subject_id",
        String(ID),
        ForeignKey("subjects.subject_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("scheme", String(32), nullable=False),
    # HMAC-SHA256 hex of the compact value under the deployment key; the clear
    # value is never stored.
    Column("value_hash", String(HASH), nullable=False),
    Column("value_masked", String(64), nullable=False),
    Column("country", String(2), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("subject_id", "scheme", "value_hash"),
    # Deterministic resolution looks subjects up by identifier; the holder comes
    # from the index itself (migration 0011).
    Index(None, "scheme", "value_hash", "subject_id"),
    # A report's identifiers (scheme, masked value) without visiting the rows.
    Index(None, "subject_id", "scheme", "value_masked"),
)

addresses = Table(
    "addresses",
    metadata,
    Column("address_id", BigId, primary_key=True, autoincrement=True),
    Column(
        "subject_id",
        String(ID),
        ForeignKey("subjects.subject_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("line1", String(256), nullable=False),
    Column("line2", String(256), nullable=True),
    Column("city", String(128), nullable=True),
    Column("region", String(128), nullable=True),
    Column("postal_code", String(16), nullable=True),
    Column("country", String(2), nullable=True),
    # A mailing address as furnished (never a location trail): where it came from.
    *_provenance(nullable=True),
    Index(None, "subject_id"),
)

# --------------------------------------------------------------------------- ledger

ledger_batches = Table(
    "ledger_batches",
    metadata,
    Column("batch_id", String(ID), primary_key=True),
    Column("furnisher_id", String(ID), ForeignKey("organisations.org_id"), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("content_hash", String(HASH), nullable=False),
    Column("format", String(16), nullable=False),
    Column("records_received", BigInteger, nullable=False),
    Column("records_accepted", BigInteger, nullable=False),
    Column("records_rejected", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("duplicate_of", String(ID), ForeignKey("ledger_batches.batch_id"), nullable=True),
    CheckConstraint(_in("status", BATCH_STATUSES), name="status"),
    CheckConstraint(
        "records_received >= 0 AND records_accepted >= 0 AND records_rejected >= 0",
        name="counts_non_negative",
    ),
    # Every received record ends in exactly one place: the ledger or the rejects.
    CheckConstraint(
        "status <> 'stored' OR records_received = records_accepted + records_rejected",
        name="counts_reconcile",
    ),
    CheckConstraint(
        "(status = 'duplicate' AND duplicate_of IS NOT NULL)"
        " OR (status <> 'duplicate' AND duplicate_of IS NULL)",
        name="duplicate_of",
    ),
    # "A batch submitted twice is stored once": duplicates are found by content.
    Index(None, "furnisher_id", "content_hash"),
)

rejects = Table(
    "rejects",
    metadata,
    Column("reject_id", BigId, primary_key=True, autoincrement=True),
    Column(
        "batch_id",
        String(ID),
        ForeignKey("ledger_batches.batch_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("record_no", Integer, nullable=False),
    Column("location", String(64), nullable=True),
    Column("segment", String(32), nullable=True),
    Column("field", String(64), nullable=True),
    Column("rule", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("raw", Text, nullable=True),
    Index(None, "batch_id", "record_no"),
)

# --------------------------------------------------------------------------- credit files

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(ID), primary_key=True),
    *_provenance(),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=True),
    Column("account_number_hash", String(HASH), nullable=False),
    Column("account_number_masked", String(64), nullable=True),
    Column("portfolio_type", String(1), nullable=False),
    Column("account_type", String(2), nullable=False),
    Column("ecoa_code", String(1), nullable=False),
    Column("date_opened", Date, nullable=False),
    Column("date_closed", Date, nullable=True),
    Column("date_reported", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("credit_limit_minor", BigInteger, nullable=True),
    Column("highest_credit_minor", BigInteger, nullable=True),
    Column("current_balance_minor", BigInteger, nullable=True),
    Column("amount_past_due_minor", BigInteger, nullable=True),
    Column("scheduled_payment_minor", BigInteger, nullable=True),
    Column("actual_payment_minor", BigInteger, nullable=True),
    Column("charge_off_amount_minor", BigInteger, nullable=True),
    Column("account_status", String(2), nullable=False),
    Column("payment_rating", String(1), nullable=True),
    Column("payment_history_profile", String(24), nullable=True),
    Column("first_delinquency_date", Date, nullable=True),
    Column("last_payment_date", Date, nullable=True),
    Column("special_comment", String(2), nullable=True),
    Column("compliance_condition", String(2), nullable=True),
    Index(None, "subject_id"),
    Index(None, "furnisher_id", "account_number_hash"),
    Index(None, "batch_id"),
)

account_history = Table(
    "account_history",
    metadata,
    Column(
        "account_id",
        String(ID),
        ForeignKey("accounts.account_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("month", Date, nullable=False),  # first day of the month
    Column("status", String(1), nullable=False),
    PrimaryKeyConstraint("account_id", "month"),
)

public_records = Table(
    "public_records",
    metadata,
    Column("record_id", String(ID), primary_key=True),
    *_provenance(),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=True),
    Column("kind", String(40), nullable=False),
    Column("authority", String(256), nullable=False),
    Column("document_number", String(128), nullable=True),
    Column("event_date", Date, nullable=True),
    Column("filed_date", Date, nullable=True),
    Column("amount_minor", BigInteger, nullable=True),
    Column("currency", String(3), nullable=True),
    Column("status", String(16), nullable=False),
    Column("removed_date", Date, nullable=True),
    Column("expires_on", Date, nullable=True),
    Column("description", Text, nullable=True),
    CheckConstraint(_in("status", PUBLIC_RECORD_STATUSES), name="status"),
    CheckConstraint("(amount_minor IS NULL) OR (currency IS NOT NULL)", name="amount_has_currency"),
    Index(None, "subject_id"),
    Index(None, "kind", "status"),
    Index(None, "batch_id"),
)

# --------------------------------------------------------------------------- access

consents = Table(
    "consents",
    metadata,
    Column("consent_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("inquirer_org_id", String(ID), ForeignKey("organisations.org_id"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("evidence", Text, nullable=True),
    Index(None, "subject_id", "inquirer_org_id"),
)

inquiries = Table(
    "inquiries",
    metadata,
    Column("inquiry_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("inquirer_org_id", String(ID), ForeignKey("organisations.org_id"), nullable=False),
    Column("user_id", String(ID), nullable=True),
    Column("purpose", String(32), nullable=False),
    Column("consent_id", String(ID), ForeignKey("consents.consent_id"), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    # "Who looked at my file", newest first.
    Index(None, "subject_id", "at"),
    Index(None, "inquirer_org_id", "at"),
)

disputes = Table(
    "disputes",
    metadata,
    Column("dispute_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("item_kind", String(16), nullable=False),
    Column("item_id", String(ID), nullable=True),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=True),
    Column("resolution", Text, nullable=True),
    # Migration 0004: who must answer (the furnisher of the item; NULL for identity
    # and inquiry disputes, which the operator answers), when it was told, and the
    # ledger batch holding a correction. No FK on furnisher_id so that SQLite can
    # add the column in place; it is copied from the item's own furnisher_id.
    Column("furnisher_id", String(ID), nullable=True),
    Column("forwarded_at", UTCDateTime, nullable=True),
    Column("correction_batch_id", String(ID), nullable=True),
    # Migration 0008 (``xinyong.disputes``, ``docs/disputes.md``): the deadline before
    # an extension, when and why it was extended; the furnisher's certification of
    # a deleted item and when the item came back (NULL: still suppressed).
    Column("first_due_at", UTCDateTime, nullable=True),
    Column("extended_at", UTCDateTime, nullable=True),
    Column("extension_reason", Text, nullable=True),
    Column("reinsertion_certified_at", UTCDateTime, nullable=True),
    Column("reinsertion_certification", Text, nullable=True),
    Column("reinserted_at", UTCDateTime, nullable=True),
    CheckConstraint(_in("item_kind", DISPUTE_ITEM_KINDS), name="item_kind"),
    CheckConstraint(_in("status", DISPUTE_STATUSES), name="status"),
    Index(None, "subject_id"),
    # The deadline watch: open disputes by due date.
    Index(None, "status", "due_at"),
    # A furnisher's inbox: its disputes by status.
    Index(None, "furnisher_id", "status"),
)

consumer_statements = Table(
    "consumer_statements",
    metadata,
    Column("statement_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("item_kind", String(16), nullable=True),
    Column("item_id", String(ID), nullable=True),  # NULL: the statement is file-wide
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("withdrawn_at", UTCDateTime, nullable=True),
    Index(None, "subject_id"),
)

# --------------------------------------------------------------------------- scores

scores = Table(
    "scores",
    metadata,
    Column("score_id", String(ID), primary_key=True),
    Column("subject_id", String(ID), ForeignKey("subjects.subject_id"), nullable=False),
    Column("model_id", String(ID), nullable=False),
    Column("model_version", String(32), nullable=False),
    Column("as_of", Date, nullable=False),
    # Names the ledger state the score was computed from, so it can be recomputed.
    Column("ledger_snapshot", String(128), nullable=False),
    Column("score", Integer, nullable=False),
    Column("score_min", Integer, nullable=False),
    Column("score_max", Integer, nullable=False),
    Column("probability_bad", Float, nullable=True),
    Column("computed_at", UTCDateTime, nullable=False),
    CheckConstraint("score >= score_min AND score <= score_max", name="score_in_range"),
    # The latest score, ties included, found in the index alone (migration 0011).
    Index(None, "subject_id", "computed_at", "score_id"),
)

score_reasons = Table(
    "score_reasons",
    metadata,
    Column(
        "score_id",
        String(ID),
        ForeignKey("scores.score_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("rank", Integer, nullable=False),
    Column("code", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("points_lost", Float, nullable=True),
    PrimaryKeyConstraint("score_id", "rank"),
    CheckConstraint("rank >= 1", name="rank_positive"),
)

# --------------------------------------------------------------------------- audit, meta


def _chain_links() -> list[Any]:
    """The columns of a hash chain's table (``xinyong.audit.chain``), one set per table."""
    return [
        # The chain position; appends assign previous seq + 1 under a lock.
        Column("seq", BigId, primary_key=True, autoincrement=False),
        Column("at", UTCDateTime, nullable=False),
        Column("actor", String(128), nullable=False),
        Column("action", String(64), nullable=False),
        # No foreign key: the audit trail outlives the subjects it mentions.
        Column("subject_id", String(ID), nullable=True),
        Column("reason", Text, nullable=True),
        Column("payload", JSON, nullable=False),
        Column("prev_hash", String(HASH), nullable=False),
        Column("hash", String(HASH), nullable=False),
        CheckConstraint("seq >= 1", name="seq_positive"),
    ]


# No index by subject (dropped by migration 0014) and none by hash (0016): nothing
# reads a chain by either (verify, export and the head go by seq; a subject's
# inquiries, consents and disputes are read from their own tables), and every
# inquiry's append wrote each on a random leaf page. Each hash covers the previous
# one and seq keeps one event per position, so hashes cannot repeat.

#: The audit chain: every change to the store and every operator action.
audit_events = Table("audit_events", metadata, *_chain_links())

#: The inquiry log's chain (migration 0017): every inquiry attempt, served or
#: refused, kept apart so that it commits with the inquiry rows in the inquiry
#: log's own file on SQLite (``store.inquiry_log``). The audit chain records
#: this one's head (``audit.chain.anchor_inquiries``).
inquiry_events = Table("inquiry_events", metadata, *_chain_links())

store_meta = Table(
    "store_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
from xinyong.store import dispute_schema as dispute_schema  # noqa: E402
from xinyong.store import files_schema as files_schema  # noqa: E402
from xinyong.store import resolution_schema as resolution_schema  # noqa: E402
from xinyong.store import score_schema as score_schema  # noqa: E402
from xinyong.store import service_schema as service_schema  # noqa: E402
