"""Notices of a dispute terminated as frivolous or irrelevant (FCRA 611(a)(3)) and of the
procedure used ((a)(7)).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29

Allows the notice kinds ``termination`` and ``procedure`` beside the four of 0009:
the subject told why its dispute was terminated without a reinvestigation and what
would be needed (FCRA 611(a)(3): within 5 business days of the determination; GDPR
art. 12(4): within one month of receipt), and, on its request, how a reinvestigation
was made ((a)(7): within 15 days of the request). Only the CHECK constraint of
``dispute_notices`` changes; on SQLite that is a rebuild of the table (batch mode),
which nothing refers to. Plain SQLAlchemy, no project imports, like 0001-0009.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("extension", "reinsertion", "furnisher", "results")
_AFTER = (*_BEFORE, "termination", "procedure")


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
                "SELECT COUNT(*) FROM dispute_notices WHERE kind IN ('termination', 'procedure')"
            )
        )
        .scalar_one()
    )
    if newer:
        # Revision 0009 has no way to hold them: refuse rather than lose the record of a duty.
        raise RuntimeError(
            f"{newer} dispute notice(s) of a terminated dispute or of the procedure used "
            "(FCRA 611(a)(3), (a)(7)), which revision 0009 cannot hold; downgrade refused"
        )
    _kinds(_BEFORE)
