"""Published credit files: the serving store's copy of a pipeline run.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Creates the tables of ``xinyong.store.files_schema``, written out table by
table (plain SQLAlchemy types, no project imports) like 0001-0003.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.String(64), nullable=nullable)


def _date(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.Date(), nullable=nullable)


def _big(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def _flag(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _str(name: str, length: int, *, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def _pk(table: str, column: str = "item_id") -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def _index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "file_runs",
        _id("run_id"),
        _date("as_of", nullable=False),
        _str("jurisdiction", 2, nullable=False),
        _str("snapshot_id", 128),
        _id("model_id", nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        _flag("current"),
        _big("subjects", nullable=False),
        _big("account_items", nullable=False),
        _big("public_record_items", nullable=False),
        _pk("file_runs", "run_id"),
    )
    _index("file_runs", "current")

    op.create_table(
        "file_account_items",
        _id("item_id"),
        _id("subject_id"),
        _id("furnisher_id"),
        _str("account_key", 128, nullable=False),
        sa.Column("consumer_no", sa.Integer(), nullable=False),
        _id("batch_id", nullable=True),
        _big("record_no"),
        _str("account_number_masked", 64),
        _str("portfolio_type", 1, nullable=False),
        _str("account_type", 2, nullable=False),
        _str("ecoa_code", 1),
        _str("account_category", 16),
        _date("date_opened", nullable=False),
        _date("date_closed"),
        _date("date_reported", nullable=False),
        _str("currency", 3, nullable=False),
        _big("credit_limit_minor"),
        _big("highest_credit_minor"),
        _big("current_balance_minor"),
        _big("amount_past_due_minor"),
        _big("scheduled_payment_minor"),
        _str("account_status", 2, nullable=False),
        _str("payment_rating", 1),
        _date("first_delinquency_date"),
        _date("last_payment_date"),
        _str("special_comment", 2),
        _str("compliance_condition", 2),
        _flag("furnisher_disputed"),
        _flag("is_open"),
        _str("negative_kind", 40),
        _date("ages_off_on"),
        _flag("aged_off"),
        _flag("shown"),
        _str("hidden_reason", 16),
        _pk("file_account_items"),
    )
    _index("file_account_items", "subject_id")

    op.create_table(
        "file_payment_history",
        _id("item_id"),
        _id("subject_id"),
        _date("first_month", nullable=False),
        sa.Column("statuses", sa.Text(), nullable=False),
        sa.Column("shown_mask", sa.Text(), nullable=False),
        _pk("file_payment_history"),
    )
    _index("file_payment_history", "subject_id")

    op.create_table(
        "file_public_record_items",
        _id("item_id"),
        _id("subject_id"),
        _id("furnisher_id"),
        _str("record_ref", 128, nullable=False),
        _id("batch_id", nullable=True),
        _big("record_no"),
        _str("kind", 40, nullable=False),
        _str("authority", 256, nullable=False),
        _date("event_date"),
        _date("filed_date"),
        _big("amount_minor"),
        _str("currency", 3),
        _str("status", 16, nullable=False),
        _date("removed_date"),
        _date("expires_on"),
        _flag("in_force"),
        _date("ages_off_on"),
        _flag("aged_off"),
        _flag("shown"),
        _str("hidden_reason", 16),
        _pk("file_public_record_items"),
    )
    _index("file_public_record_items", "subject_id")


def downgrade() -> None:
    for table in (
        "file_public_record_items",
        "file_payment_history",
        "file_account_items",
        "file_runs",
    ):
        op.drop_table(table)
