"""Initial serving store: parties, ledger batches, credit files, access, scores, audit.

Revision ID: 0001
Revises:
Create Date: 2026-05-09

Written out table by table on purpose: this file, not ``metadata.create_all``,
is what creates a store, and ``tests/store/test_migrations.py`` checks that the
result equals ``xinyong.store.schema.metadata`` on SQLite and PostgreSQL.
Types are plain SQLAlchemy types (no project imports), so that this revision
keeps meaning the same thing when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), nullable=nullable)


def _big_id() -> sa.types.TypeEngine[int]:
    # INTEGER PRIMARY KEY is SQLite's 64-bit autoincrementing rowid alias.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _provenance(table: str, *, nullable: bool) -> list[SchemaItem]:
    return [
        _id("furnisher_id", nullable=nullable),
        _id("batch_id", nullable=nullable),
        sa.Column("record_no", sa.Integer(), nullable=nullable),
        sa.ForeignKeyConstraint(
            ["furnisher_id"],
            ["organisations.org_id"],
            name=op.f(f"fk_{table}_furnisher_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ledger_batches.batch_id"],
            name=op.f(f"fk_{table}_batch_id_ledger_batches"),
        ),
    ]


def _subject_fk(
    table: str, column: str = "subject_id", *, ondelete: str | None = None
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["subjects.subject_id"],
        name=op.f(f"fk_{table}_{column}_subjects"),
        ondelete=ondelete,
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    # ------------------------------------------------------------------ parties
    op.create_table(
        "organisations",
        _id("org_id", nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_organisations")),
    )

    op.create_table(
        "subjects",
        _id("subject_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("status", sa.String(16), server_default="active", nullable=False),
        _id("merged_into", nullable=True),
        sa.CheckConstraint(_in("kind", ("person", "enterprise")), name=op.f("ck_subjects_kind")),
        sa.CheckConstraint(
            _in("status", ("active", "merged", "split")), name=op.f("ck_subjects_status")
        ),
        _subject_fk("subjects", "merged_into"),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subjects")),
    )
    _index("subjects", "merged_into")

    op.create_table(
        "person_names",
        sa.Column("name_id", _big_id(), autoincrement=True, nullable=False),
        _id("subject_id", nullable=False),
        sa.Column("family_name", sa.String(256), nullable=True),
        sa.Column("given_names", sa.String(256), nullable=True),
        sa.Column("full_name", sa.String(512), nullable=False),
        sa.Column("script", sa.String(8), nullable=False),
        sa.CheckConstraint(_in("script", ("latin", "han")), name=op.f("ck_person_names_script")),
        _subject_fk("person_names", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("name_id", name=op.f("pk_person_names")),
    )
    _index("person_names", "subject_id")

    op.create_table(
        "enterprises",
        _id("subject_id", nullable=False),
        sa.Column("legal_name", sa.String(512), nullable=False),
        sa.Column("registration_date", sa.Date(), nullable=True),
        sa.Column("registration_authority", sa.String(256), nullable=True),
        sa.Column("industry_code", sa.String(16), nullable=True),
        _id("legal_representative_subject_id", nullable=True),
        _subject_fk("enterprises", ondelete="CASCADE"),
        _subject_fk("enterprises", "legal_representative_subject_id"),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_enterprises")),
    )
    _index("enterprises", "legal_representative_subject_id")

    op.create_table(
        "subject_identifiers",
        _id("subject_id", nullable=False),
        sa.Column("scheme", sa.String(32), nullable=False),
        sa.Column("value_hash", sa.String(64), nullable=False),
        sa.Column("value_masked", sa.String(64), nullable=False),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("created_at", _instant(), nullable=False),
        _subject_fk("subject_identifiers", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(
            "subject_id", "scheme", "value_hash", name=op.f("pk_subject_identifiers")
        ),
    )
    _index("subject_identifiers", "scheme", "value_hash")

    # ------------------------------------------------------------------ ledger
    op.create_table(
        "ledger_batches",
        _id("batch_id", nullable=False),
        _id("furnisher_id", nullable=False),
        sa.Column("received_at", _instant(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("records_received", sa.BigInteger(), nullable=False),
        sa.Column("records_accepted", sa.BigInteger(), nullable=False),
        sa.Column("records_rejected", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _id("duplicate_of", nullable=True),
        sa.CheckConstraint(
            _in("status", ("stored", "duplicate", "rejected")),
            name=op.f("ck_ledger_batches_status"),
        ),
        sa.CheckConstraint(
            "records_received >= 0 AND records_accepted >= 0 AND records_rejected >= 0",
            name=op.f("ck_ledger_batches_counts_non_negative"),
        ),
        sa.CheckConstraint(
            "status <> 'stored' OR records_received = records_accepted + records_rejected",
            name=op.f("ck_ledger_batches_counts_reconcile"),
        ),
        sa.CheckConstraint(
            "(status = 'duplicate' AND duplicate_of IS NOT NULL)"
            " OR (status <> 'duplicate' AND duplicate_of IS NULL)",
            name=op.f("ck_ledger_batches_duplicate_of"),
        ),
        sa.ForeignKeyConstraint(
            ["furnisher_id"],
            ["organisations.org_id"],
            name=op.f("fk_ledger_batches_furnisher_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"],
            ["ledger_batches.batch_id"],
            name=op.f("fk_ledger_batches_duplicate_of_ledger_batches"),
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_ledger_batches")),
    )
    _index("ledger_batches", "furnisher_id", "content_hash")

    op.create_table(
        "rejects",
        sa.Column("reject_id", _big_id(), autoincrement=True, nullable=False),
        _id("batch_id", nullable=False),
        sa.Column("record_no", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(64), nullable=True),
        sa.Column("segment", sa.String(32), nullable=True),
        sa.Column("field", sa.String(64), nullable=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["ledger_batches.batch_id"],
            name=op.f("fk_rejects_batch_id_ledger_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reject_id", name=op.f("pk_rejects")),
    )
    _index("rejects", "batch_id", "record_no")

    op.create_table(
        "addresses",
        sa.Column("address_id", _big_id(), autoincrement=True, nullable=False),
        _id("subject_id", nullable=False),
        sa.Column("line1", sa.String(256), nullable=False),
        sa.Column("line2", sa.String(256), nullable=True),
        sa.Column("city", sa.String(128), nullable=True),
        sa.Column("region", sa.String(128), nullable=True),
        sa.Column("postal_code", sa.String(16), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        *_provenance("addresses", nullable=True),
        _subject_fk("addresses", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("address_id", name=op.f("pk_addresses")),
    )
    _index("addresses", "subject_id")

    # ------------------------------------------------------------------ credit files
    op.create_table(
        "accounts",
        _id("account_id", nullable=False),
        *_provenance("accounts", nullable=False),
        _id("subject_id", nullable=True),
        sa.Column("account_number_hash", sa.String(64), nullable=False),
        sa.Column("account_number_masked", sa.String(64), nullable=True),
        sa.Column("portfolio_type", sa.String(1), nullable=False),
        sa.Column("account_type", sa.String(2), nullable=False),
        sa.Column("ecoa_code", sa.String(1), nullable=False),
        sa.Column("date_opened", sa.Date(), nullable=False),
        sa.Column("date_closed", sa.Date(), nullable=True),
        sa.Column("date_reported", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("credit_limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("highest_credit_minor", sa.BigInteger(), nullable=True),
        sa.Column("current_balance_minor", sa.BigInteger(), nullable=True),
        sa.Column("amount_past_due_minor", sa.BigInteger(), nullable=True),
        sa.Column("scheduled_payment_minor", sa.BigInteger(), nullable=True),
        sa.Column("actual_payment_minor", sa.BigInteger(), nullable=True),
        sa.Column("charge_off_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("account_status", sa.String(2), nullable=False),
        sa.Column("payment_rating", sa.String(1), nullable=True),
        sa.Column("payment_history_profile", sa.String(24), nullable=True),
        sa.Column("first_delinquency_date", sa.Date(), nullable=True),
        sa.Column("last_payment_date", sa.Date(), nullable=True),
        sa.Column("special_comment", sa.String(2), nullable=True),
        sa.Column("compliance_condition", sa.String(2), nullable=True),
        _subject_fk("accounts"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_accounts")),
    )
    _index("accounts", "subject_id")
    _index("accounts", "furnisher_id", "account_number_hash")
    _index("accounts", "batch_id")

    op.create_table(
        "account_history",
        _id("account_id", nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(1), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name=op.f("fk_account_history_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "month", name=op.f("pk_account_history")),
    )

    op.create_table(
        "public_records",
        _id("record_id", nullable=False),
        *_provenance("public_records", nullable=False),
        _id("subject_id", nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("authority", sa.String(256), nullable=False),
        sa.Column("document_number", sa.String(128), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("filed_date", sa.Date(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("removed_date", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.CheckConstraint(
            _in("status", ("active", "satisfied", "removed", "withdrawn")),
            name=op.f("ck_public_records_status"),
        ),
        sa.CheckConstraint(
            "(amount_minor IS NULL) OR (currency IS NOT NULL)",
            name=op.f("ck_public_records_amount_has_currency"),
        ),
        _subject_fk("public_records"),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_public_records")),
    )
    _index("public_records", "subject_id")
    _index("public_records", "kind", "status")
    _index("public_records", "batch_id")

    # ------------------------------------------------------------------ access
    op.create_table(
        "consents",
        _id("consent_id", nullable=False),
        _id("subject_id", nullable=False),
        _id("inquirer_org_id", nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("granted_at", _instant(), nullable=False),
        sa.Column("expires_at", _instant(), nullable=True),
        sa.Column("revoked_at", _instant(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        _subject_fk("consents"),
        sa.ForeignKeyConstraint(
            ["inquirer_org_id"],
            ["organisations.org_id"],
            name=op.f("fk_consents_inquirer_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("consent_id", name=op.f("pk_consents")),
    )
    _index("consents", "subject_id", "inquirer_org_id")

    op.create_table(
        "inquiries",
        _id("inquiry_id", nullable=False),
        _id("subject_id", nullable=False),
        _id("inquirer_org_id", nullable=False),
        _id("user_id", nullable=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        _id("consent_id", nullable=True),
        sa.Column("at", _instant(), nullable=False),
        _subject_fk("inquiries"),
        sa.ForeignKeyConstraint(
            ["inquirer_org_id"],
            ["organisations.org_id"],
            name=op.f("fk_inquiries_inquirer_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["consents.consent_id"],
            name=op.f("fk_inquiries_consent_id_consents"),
        ),
        sa.PrimaryKeyConstraint("inquiry_id", name=op.f("pk_inquiries")),
    )
    _index("inquiries", "subject_id", "at")
    _index("inquiries", "inquirer_org_id", "at")

    op.create_table(
        "disputes",
        _id("dispute_id", nullable=False),
        _id("subject_id", nullable=False),
        sa.Column("item_kind", sa.String(16), nullable=False),
        _id("item_id", nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), server_default="open", nullable=False),
        sa.Column("opened_at", _instant(), nullable=False),
        sa.Column("due_at", _instant(), nullable=False),
        sa.Column("resolved_at", _instant(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.CheckConstraint(
            _in("item_kind", ("account", "public_record", "identity", "inquiry")),
            name=op.f("ck_disputes_item_kind"),
        ),
        sa.CheckConstraint(
            _in(
                "status",
                (
                    "open",
                    "forwarded",
                    "verified",
                    "corrected",
                    "deleted",
                    "frivolous",
                    "withdrawn",
                ),
            ),
            name=op.f("ck_disputes_status"),
        ),
        _subject_fk("disputes"),
        sa.PrimaryKeyConstraint("dispute_id", name=op.f("pk_disputes")),
    )
    _index("disputes", "subject_id")
    _index("disputes", "status", "due_at")

    op.create_table(
        "consumer_statements",
        _id("statement_id", nullable=False),
        _id("subject_id", nullable=False),
        sa.Column("item_kind", sa.String(16), nullable=True),
        _id("item_id", nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        sa.Column("withdrawn_at", _instant(), nullable=True),
        _subject_fk("consumer_statements"),
        sa.PrimaryKeyConstraint("statement_id", name=op.f("pk_consumer_statements")),
    )
    _index("consumer_statements", "subject_id")

    # ------------------------------------------------------------------ scores
    op.create_table(
        "scores",
        _id("score_id", nullable=False),
        _id("subject_id", nullable=False),
        _id("model_id", nullable=False),
        sa.Column("model_version", sa.String(32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("ledger_snapshot", sa.String(128), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("score_min", sa.Integer(), nullable=False),
        sa.Column("score_max", sa.Integer(), nullable=False),
        sa.Column("probability_bad", sa.Float(), nullable=True),
        sa.Column("computed_at", _instant(), nullable=False),
        sa.CheckConstraint(
            "score >= score_min AND score <= score_max", name=op.f("ck_scores_score_in_range")
        ),
        _subject_fk("scores"),
        sa.PrimaryKeyConstraint("score_id", name=op.f("pk_scores")),
    )
    _index("scores", "subject_id", "computed_at")

    op.create_table(
        "score_reasons",
        _id("score_id", nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("points_lost", sa.Float(), nullable=True),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_score_reasons_rank_positive")),
        sa.ForeignKeyConstraint(
            ["score_id"],
            ["scores.score_id"],
            name=op.f("fk_score_reasons_score_id_scores"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("score_id", "rank", name=op.f("pk_score_reasons")),
    )

    # ------------------------------------------------------------------ audit, meta
    op.create_table(
        "audit_events",
        sa.Column("seq", _big_id(), autoincrement=False, nullable=False),
        sa.Column("at", _instant(), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        _id("subject_id", nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_audit_events_seq_positive")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
    )
    _index("audit_events", "subject_id", "seq")

    store_meta = op.create_table(
        "store_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )
    op.bulk_insert(
        store_meta,
        [{"key": "created_at", "value": datetime.now(UTC).isoformat(timespec="seconds")}],
    )


def downgrade() -> None:
    for table in (
        "store_meta",
        "audit_events",
        "score_reasons",
        "scores",
        "consumer_statements",
        "disputes",
        "inquiries",
        "consents",
        "public_records",
        "account_history",
        "accounts",
        "addresses",
        "rejects",
        "ledger_batches",
        "subject_identifiers",
        "enterprises",
        "person_names",
        "subjects",
        "organisations",
    ):
        op.drop_table(table)
