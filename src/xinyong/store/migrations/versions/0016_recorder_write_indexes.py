"""Two indexes every recorded inquiry wrote on a random page, and nobody read, removed.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30

Why. Every inquiry attempt, served or refused, writes an ``inquiry_requests`` row
and an audit event in the recorder's group commit. An index keyed by something
random (a subject, a hash) takes each row to its own leaf page: one page read
when that leaf is not cached, and one more page in the commit's WAL and again in
the checkpoint, for every inquiry. Two such indexes had no reader on the
inquiry path:

* ``uq_audit_events_hash``, the unique constraint on the event hash. Nothing
  looks an event up by its hash (``verify``, the export and the chain head go by
  ``seq``), and it guards nothing the chain does not: each hash covers the
  previous one, and ``seq``, the primary key, keeps one event per position, so a
  repeated hash would be a SHA-256 collision. Verification recomputes every hash
  either way.
* ``ix_inquiry_requests_subject_id_at``. Its one reader counts the subject's own
  requests for free reports (``purpose = 'subject_request'``); it becomes a
  partial index on exactly those rows (``ix_inquiry_requests_subject_requests``),
  which an inquirer's request never touches. Inquirers' requests by subject are
  still found through ``inquiries``, whose subject index the report reads.

Measured with ``benchmarks/service_inproc.py`` at a million subjects (3 alternated
pairs on one store, the indexes dropped and restored between runs): CPU per
report 0.333/0.308/0.294 -> 0.302/0.264/0.253 ms. The store there held ~90k
events; at a production store's millions the saving grows, since then the
leaves are not cached either.

On SQLite a table's unique constraint cannot be dropped in place: ``audit_events``
is rebuilt (batch mode; every row copied, ``seq`` kept), once. Plain SQLAlchemy,
no project imports, like 0001-0015.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUBJECT_REQUESTS = "purpose = 'subject_request'"


def _audit_events(*, unique_hash: bool) -> sa.Table:
    """``audit_events`` as 0001 created it (less the subject index 0014 dropped), for
    SQLite's batch rebuild, which would otherwise reflect it."""
    return sa.Table(
        "audit_events",
        sa.MetaData(),
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("seq >= 1", name="ck_audit_events_seq_positive"),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_events"),
        *([sa.UniqueConstraint("hash", name="uq_audit_events_hash")] if unique_hash else []),
    )


def upgrade() -> None:
    with op.batch_alter_table("audit_events", copy_from=_audit_events(unique_hash=True)) as batch:
        batch.drop_constraint("uq_audit_events_hash", type_="unique")
    op.drop_index("ix_inquiry_requests_subject_id_at", table_name="inquiry_requests")
    op.create_index(
        "ix_inquiry_requests_subject_requests",
        "inquiry_requests",
        ["subject_id", "at"],
        unique=False,
        sqlite_where=sa.text(_SUBJECT_REQUESTS),
        postgresql_where=sa.text(_SUBJECT_REQUESTS),
    )


def downgrade() -> None:
    op.drop_index("ix_inquiry_requests_subject_requests", table_name="inquiry_requests")
    op.create_index(
        "ix_inquiry_requests_subject_id_at", "inquiry_requests", ["subject_id", "at"], unique=False
    )
    with op.batch_alter_table("audit_events", copy_from=_audit_events(unique_hash=False)) as batch:
        batch.create_unique_constraint("uq_audit_events_hash", ["hash"])
