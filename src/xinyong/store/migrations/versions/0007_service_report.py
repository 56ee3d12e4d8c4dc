"""Pre-serialised report parts: each subject's published items as report JSON.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

Creates ``file_report_parts`` (``xinyong.store.files_schema``): per subject and
publication, the JSON of its shown accounts and public records as the report
serialises them. Empty until the next publication; a subject without a row
gets its report built from the item tables, as before. Plain SQLAlchemy types,
no project imports, like 0001-0006.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "file_report_parts",
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("accounts", sa.LargeBinary(), nullable=False),
        sa.Column("public_records", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "run_id", name=op.f("pk_file_report_parts")),
    )


def downgrade() -> None:
    op.drop_table("file_report_parts")
