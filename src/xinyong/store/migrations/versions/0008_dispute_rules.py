"""Dispute rules: extensions, the unconfirmed outcome, reinsertion, notices.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

Adds to ``disputes`` the deadline before an extension (``first_due_at``), when
and why it was extended, the furnisher's certification of a deleted item and
when it came back (``reinserted_at``); allows the status ``unconfirmed`` (CN
art. 25: kept with the objection); creates ``dispute_information`` (what the
subject adds to an open dispute) and ``dispute_notices`` (written notices owed
to the subject, with their deadlines).

Changing a CHECK constraint means rebuilding ``disputes`` on SQLite (batch
mode). ``rescore_requests.dispute_id`` refers to it, and with foreign keys on a
``DROP TABLE`` of a referenced row fails inside the transaction, so those
references are set aside and put back around the rebuild. Plain SQLAlchemy
types, no project imports, like 0001-0007.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = ("open", "forwarded", "verified", "corrected", "deleted", "frivolous", "withdrawn")
_AFTER = (*_BEFORE, "unconfirmed")
_INSTANTS = ("first_due_at", "extended_at", "reinsertion_certified_at", "reinserted_at")
_TEXTS = ("extension_reason", "reinsertion_certification")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


@contextmanager
def _rescore_references_set_aside() -> Iterator[None]:
    """On SQLite, lift the references into ``disputes`` for the time of a rebuild."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    kept = bind.execute(
        sa.text("SELECT request_id, dispute_id FROM rescore_requests WHERE dispute_id IS NOT NULL")
    ).all()
    bind.execute(sa.text("UPDATE rescore_requests SET dispute_id = NULL"))
    yield
    if kept:
        bind.execute(
            sa.text("UPDATE rescore_requests SET dispute_id = :d WHERE request_id = :r"),
            [{"d": row.dispute_id, "r": row.request_id} for row in kept],
        )


def _statuses(batch: BatchOperations, values: Sequence[str]) -> None:
    batch.drop_constraint(op.f("ck_disputes_status"), type_="check")
    batch.create_check_constraint(op.f("ck_disputes_status"), _in("status", values))


def upgrade() -> None:
    with _rescore_references_set_aside(), op.batch_alter_table("disputes") as batch:
        for name in _INSTANTS:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        for name in _TEXTS:
            batch.add_column(sa.Column(name, sa.Text(), nullable=True))
        _statuses(batch, _AFTER)
    op.create_table(
        "dispute_information",
        sa.Column("info_id", sa.String(64), nullable=False),
        sa.Column("dispute_id", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.dispute_id"],
            name=op.f("fk_dispute_information_dispute_id_disputes"),
        ),
        sa.PrimaryKeyConstraint("info_id", name=op.f("pk_dispute_information")),
    )
    op.create_index(
        op.f("ix_dispute_information_dispute_id"), "dispute_information", ["dispute_id"]
    )
    op.create_table(
        "dispute_notices",
        sa.Column("notice_id", sa.String(64), nullable=False),
        sa.Column("dispute_id", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            _in("kind", ("extension", "reinsertion")), name=op.f("ck_dispute_notices_kind")
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["disputes.dispute_id"],
            name=op.f("fk_dispute_notices_dispute_id_disputes"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.subject_id"],
            name=op.f("fk_dispute_notices_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_dispute_notices")),
    )
    for columns in (("subject_id",), ("dispute_id",), ("sent_at", "due_at")):
        op.create_index(
            op.f(f"ix_dispute_notices_{'_'.join(columns)}"), "dispute_notices", list(columns)
        )


def downgrade() -> None:
    bind = op.get_bind()
    kept = bind.execute(
        sa.text("SELECT COUNT(*) FROM disputes WHERE status = 'unconfirmed'")
    ).scalar_one()
    if kept:
        # The old schema has no way to say "kept with the objection": refuse, lose nothing.
        raise RuntimeError(
            f"{kept} dispute(s) are 'unconfirmed' (CN art. 25), which revision 0007 cannot "
            "hold; downgrade refused"
        )
    for columns in (("sent_at", "due_at"), ("dispute_id",), ("subject_id",)):
        op.drop_index(op.f(f"ix_dispute_notices_{'_'.join(columns)}"), table_name="dispute_notices")
    op.drop_table("dispute_notices")
    op.drop_index(op.f("ix_dispute_information_dispute_id"), table_name="dispute_information")
    op.drop_table("dispute_information")
    with _rescore_references_set_aside(), op.batch_alter_table("disputes") as batch:
        _statuses(batch, _BEFORE)
        for name in (*_TEXTS, *_INSTANTS):
            batch.drop_column(name)
