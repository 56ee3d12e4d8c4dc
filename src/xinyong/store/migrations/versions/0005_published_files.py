"""Published credit files: the serving store's copy of a pipeline run.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

Placeholder in the revision chain; the owning change fills in the upgrade and
the downgrade (plain SQLAlchemy types, no project imports, like 0001-0003).
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
