"""The service: API keys, inquirer purposes, subject sign-in, inquiry attempts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-05-11

Creates the tables of ``xinyong.store.service_schema``, written out table by
table (plain SQLAlchemy types, no project imports) like 0001 and 0002.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), nullable=nullable)


def _instant(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred_table = target.split(".", 1)[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred_table}")
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    op.create_table(
        "api_keys",
        _id("key_id", nullable=False),
        _id("org_id", nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        _instant("created_at", nullable=False),
        _instant("expires_at", nullable=True),
        _instant("revoked_at", nullable=True),
        sa.CheckConstraint(
            "role IN ('furnisher', 'inquirer', 'operator')", name=op.f("ck_api_keys_role")
        ),
        _fk("api_keys", "org_id", "organisations.org_id"),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    _index("api_keys", "org_id")

    op.create_table(
        "inquirer_purposes",
        _id("org_id", nullable=False),
        sa.Column("purpose", sa.String(32), nullable=False),
        _instant("granted_at", nullable=False),
        _fk("inquirer_purposes", "org_id", "organisations.org_id"),
        sa.PrimaryKeyConstraint("org_id", "purpose", name=op.f("pk_inquirer_purposes")),
    )

    op.create_table(
        "subject_codes",
        _id("code_id", nullable=False),
        _id("subject_id", nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        _instant("created_at", nullable=False),
        _instant("expires_at", nullable=False),
        _instant("used_at", nullable=True),
        _fk("subject_codes", "subject_id", "subjects.subject_id"),
        sa.PrimaryKeyConstraint("code_id", name=op.f("pk_subject_codes")),
    )
    _index("subject_codes", "subject_id")

    op.create_table(
        "subject_sessions",
        _id("session_id", nullable=False),
        _id("subject_id", nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        _instant("created_at", nullable=False),
        _instant("expires_at", nullable=False),
        _instant("revoked_at", nullable=True),
        _fk("subject_sessions", "subject_id", "subjects.subject_id"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_subject_sessions")),
    )
    _index("subject_sessions", "subject_id")

    op.create_table(
        "inquiry_requests",
        _id("request_id", nullable=False),
        _id("inquirer_org_id", nullable=True),
        _id("subject_id", nullable=True),
        sa.Column("purpose", sa.String(32), nullable=True),
        _id("consent_id", nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=True),
        _id("inquiry_id", nullable=True),
        _instant("at", nullable=False),
        sa.CheckConstraint(
            "outcome IN ('served', 'refused')", name=op.f("ck_inquiry_requests_outcome")
        ),
        sa.CheckConstraint("kind IN ('hard', 'soft')", name=op.f("ck_inquiry_requests_kind")),
        sa.CheckConstraint(
            "(outcome = 'served' AND reason_code IS NULL)"
            " OR (outcome = 'refused' AND reason_code IS NOT NULL)",
            name=op.f("ck_inquiry_requests_reason"),
        ),
        _fk("inquiry_requests", "inquirer_org_id", "organisations.org_id"),
        _fk("inquiry_requests", "subject_id", "subjects.subject_id"),
        _fk("inquiry_requests", "inquiry_id", "inquiries.inquiry_id"),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_inquiry_requests")),
    )
    _index("inquiry_requests", "inquirer_org_id", "at")
    _index("inquiry_requests", "subject_id", "at")


def downgrade() -> None:
    for table in (
        "inquiry_requests",
        "subject_sessions",
        "subject_codes",
        "inquirer_purposes",
        "api_keys",
    ):
        op.drop_table(table)
