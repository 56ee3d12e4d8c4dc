"""Dispute notices to the furnisher and of the results (FCRA 611(a)(2)(A), (a)(6)(A)).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29

Allows the notice kinds ``furnisher`` (the furnisher told of a dispute within 5
business days of receipt) and ``results`` (the subject given the results in
writing within 5 business days after completion) beside ``extension`` and
``reinsertion``. Only the CHECK constraint of ``dispute_notices`` changes; on
SQLite that is a rebuild of the table (batch mode), which nothing refers to.
Plain SQLAlchemy, no project imports, like 0001-0008.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("extension", "reinsertion")
_AFTER = (*_BEFORE, "furnisher", "results")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _kinds(values: Sequence[str]) -> None:
    with op.batch_alter_table("dispute_notices") as batch:
        batch.drop_constraint(op.f("ck_dispute_notices_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_dispute_notices_kind"), _in("kind", values))


def upgrade() -> None:
    _kinds(_AFTER)


def downgrade() -> None:
    newer = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT COUNT(*) FROM dispute_notices WHERE kind NOT IN "
                f"({', '.join(repr(v) for v in _BEFORE)})"
            )
        )
        .scalar_one()
    )
    if newer:
        # Revision 0008 has no way to hold them: refuse rather than lose the record of a duty.
        raise RuntimeError(
            f"{newer} dispute notice(s) are to a furnisher or of results (FCRA 611(a)(2)(A), "
            "(a)(6)(A)), which revision 0008 cannot hold; downgrade refused"
        )
    _kinds(_BEFORE)
