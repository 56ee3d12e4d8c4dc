"""An organisation's business address and telephone number.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29

The description of a reinvestigation that a consumer may ask for names the business
name, address and telephone number of any furnisher contacted, where reasonably
available (FCRA 611(a)(7)); the store held only the name. Two nullable columns on
``organisations``, added in place on both backends (SQLite adds a nullable column
without a rebuild); organisations registered before have none. Plain SQLAlchemy, no
project imports, like 0001-0012.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("address", sa.Text(), nullable=True))
    op.add_column("organisations", sa.Column("telephone", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("telephone")
        batch.drop_column("address")
