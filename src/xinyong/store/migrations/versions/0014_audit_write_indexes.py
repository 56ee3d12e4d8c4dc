"""Drop the audit chain's index by subject: no reader uses it, every append writes it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29

Why. Every inquiry, served or refused, appends an audit event, and each index
on ``audit_events`` is one more B-tree insert per event. ``(subject_id, seq)``
is keyed by a random subject, so each insert lands on its own leaf page: a page
read when the leaf is not cached and a dirty page in the group commit's WAL
(and again in the checkpoint). Nothing reads the chain by subject: ``verify``,
the export and the head read all go by ``seq``, the primary key. Measured with
the inquiry writer alone on the 1M-subject benchmark store: bytes written per
inquiry 33.8 -> 27.9 KB with this index gone, writer CPU per inquiry 0.15 -> 0.13 ms.

The chain itself does not change: every event, its hash and its link stay.
Plain SQLAlchemy, no project imports, like 0001-0013.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_audit_events_subject_id_seq"), table_name="audit_events")


def downgrade() -> None:
    op.create_index(
        op.f("ix_audit_events_subject_id_seq"), "audit_events", ["subject_id", "seq"], unique=False
    )
