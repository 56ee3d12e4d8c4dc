"""Score runs: which run, input snapshot and inputs each stored score came from.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Adds ``score_runs`` and, on ``scores``, ``run_id`` and ``inputs_hash``
(nullable: scores stored before this revision have neither). Plain SQLAlchemy
types, no project imports, like 0001-0003.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_runs",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("ledger_snapshot", sa.String(128), nullable=False),
        sa.Column("jurisdiction", sa.String(2), nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("links_hash", sa.String(64), nullable=False),
        sa.Column("suppressed_hash", sa.String(64), nullable=False),
        sa.Column("run_dir", sa.Text(), nullable=False),
        sa.Column("scores", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_score_runs")),
    )
    op.add_column("scores", sa.Column("run_id", sa.String(64), nullable=True))
    op.add_column("scores", sa.Column("inputs_hash", sa.String(64), nullable=True))
    op.create_index(op.f("ix_scores_run_id"), "scores", ["run_id"])
    # An account's associated consumers (Metro 2 J1/J2) share its row position:
    # the consumer number joins the key, so each is linked to its own subject.
    with op.batch_alter_table("resolution_records") as batch:
        batch.add_column(sa.Column("consumer_no", sa.Integer(), nullable=False, server_default="0"))
        batch.drop_constraint("pk_resolution_records", type_="primary")
        batch.create_primary_key(
            "pk_resolution_records", ["table_name", "batch_id", "record_no", "consumer_no"]
        )


def downgrade() -> None:
    # Associated consumers' links cannot live in the old key: they are dropped
    # (re-created by the next resolution run after an upgrade).
    op.execute("DELETE FROM resolution_records WHERE consumer_no <> 0")
    with op.batch_alter_table("resolution_records") as batch:
        batch.drop_constraint("pk_resolution_records", type_="primary")
        batch.create_primary_key("pk_resolution_records", ["table_name", "batch_id", "record_no"])
        batch.drop_column("consumer_no")
    op.drop_index(op.f("ix_scores_run_id"), table_name="scores")
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("inputs_hash")
        batch.drop_column("run_id")
    op.drop_table("score_runs")
