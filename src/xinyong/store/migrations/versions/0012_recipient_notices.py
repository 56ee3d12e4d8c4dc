"""Notices to past recipients of a disputed item (FCRA 611(d), GDPR art. 19).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29

One new table, ``recipient_notices``: at the subject's request, each inquirer that
received a report with an item the dispute deleted or corrected, or that is
disputed with the subject's statement, is told so once (a row per dispute and
recipient, naming the latest report it received). Nothing existing changes.
Plain SQLAlchemy, no project imports, like 0001-0011.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "recipient_notices"


def _fk(column: str, table: str, key: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{table}.{key}"], name=op.f(f"fk_{_TABLE}_{column}_{table}")
    )


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("notice_id", sa.String(64), nullable=False),
        sa.Column("dispute_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("inquirer_org_id", sa.String(64), nullable=False),
        sa.Column("inquiry_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("dispute_id", "disputes", "dispute_id"),
        _fk("subject_id", "subjects", "subject_id"),
        _fk("inquirer_org_id", "organisations", "org_id"),
        _fk("inquiry_id", "inquiries", "inquiry_id"),
        sa.PrimaryKeyConstraint("notice_id", name=op.f(f"pk_{_TABLE}")),
        sa.UniqueConstraint(
            "dispute_id", "inquirer_org_id", name=op.f(f"uq_{_TABLE}_dispute_id_inquirer_org_id")
        ),
    )
    op.create_index(
        op.f(f"ix_{_TABLE}_inquirer_org_id_created_at"), _TABLE, ["inquirer_org_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{_TABLE}_inquirer_org_id_created_at"), table_name=_TABLE)
    op.drop_table(_TABLE)
