"""Disputes: furnisher responses, outcomes, suppression.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Adds to ``disputes`` the furnisher that must answer, when it was told, and the
ledger batch holding a correction; creates ``rescore_requests``, the queue of
subjects whose file a dispute changed, and ``rate_counters``, the per-key
request counts behind the service's rate limits. Plain SQLAlchemy types, no project
imports, like 0001-0003. ``furnisher_id`` has no foreign key so that SQLite can
add it with a plain ``ALTER TABLE ... ADD COLUMN`` (no table rebuild).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("disputes", sa.Column("furnisher_id", sa.String(64), nullable=True))
    op.add_column("disputes", sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("disputes", sa.Column("correction_batch_id", sa.String(64), nullable=True))
    op.create_index(op.f("ix_disputes_furnisher_id_status"), "disputes", ["furnisher_id", "status"])
    op.create_table(
        "rescore_requests",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("dispute_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.subject_id"],
            name=op.f("fk_rescore_requests_subject_id_subjects"),
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.dispute_id"],
            name=op.f("fk_rescore_requests_dispute_id_disputes"),
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_rescore_requests")),
    )
    op.create_index(
        op.f("ix_rescore_requests_done_at_requested_at"),
        "rescore_requests",
        ["done_at", "requested_at"],
    )
    op.create_table(
        "rate_counters",
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(16), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "bucket", "window_start", name=op.f("pk_rate_counters")),
    )


def downgrade() -> None:
    op.drop_table("rate_counters")
    op.drop_index(op.f("ix_rescore_requests_done_at_requested_at"), table_name="rescore_requests")
    op.drop_table("rescore_requests")
    op.drop_index(op.f("ix_disputes_furnisher_id_status"), table_name="disputes")
    # Plain DROP COLUMN (SQLite 3.35+): no table rebuild, the CHECKs stay as they are.
    for column in ("correction_batch_id", "forwarded_at", "furnisher_id"):
        op.drop_column("disputes", column)
