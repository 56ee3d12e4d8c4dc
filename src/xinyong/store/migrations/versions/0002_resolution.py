"""Identity resolution: mentions, record mapping, decisions, runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-10

Creates the tables of ``xinyong.store.resolution_schema``, written out table by
table like 0001 (plain SQLAlchemy types, no project imports), so that this
revision keeps meaning the same thing when the schema module moves on.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), nullable=nullable)


def _instant() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred_table = target.split(".", 1)[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred_table}")
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    op.create_table(
        "resolution_runs",
        _id("run_id", nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("started_at", _instant(), nullable=False),
        sa.Column("finished_at", _instant(), nullable=True),
        _id("person_model_id", nullable=True),
        _id("enterprise_model_id", nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.CheckConstraint("mode IN ('incremental', 'full')", name=op.f("ck_resolution_runs_mode")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_resolution_runs")),
    )

    op.create_table(
        "resolution_batches",
        _id("batch_id", nullable=False),
        _id("run_id", nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        _fk("resolution_batches", "batch_id", "ledger_batches.batch_id"),
        _fk("resolution_batches", "run_id", "resolution_runs.run_id"),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_resolution_batches")),
    )
    _index("resolution_batches", "run_id")

    op.create_table(
        "resolution_mentions",
        _id("mention_key", nullable=False),
        sa.Column("group_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _id("furnisher_id", nullable=False),
        _id("first_batch_id", nullable=False),
        _id("subject_id", nullable=True),
        _id("own_subject_id", nullable=False),
        sa.Column("family_name", sa.String(256), nullable=True),
        sa.Column("given_names", sa.String(256), nullable=True),
        sa.Column("full_name", sa.String(512), nullable=True),
        sa.Column("legal_name", sa.String(512), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("registration_date", sa.Date(), nullable=True),
        sa.Column("id_scheme", sa.String(32), nullable=True),
        sa.Column("id_country", sa.String(2), nullable=True),
        sa.Column("id_hash", sa.String(64), nullable=True),
        sa.Column("id_masked", sa.String(64), nullable=True),
        sa.Column("address", sa.String(512), nullable=True),
        _id("created_run_id", nullable=False),
        sa.CheckConstraint(
            "kind IN ('person', 'enterprise')", name=op.f("ck_resolution_mentions_kind")
        ),
        _fk("resolution_mentions", "furnisher_id", "organisations.org_id"),
        _fk("resolution_mentions", "first_batch_id", "ledger_batches.batch_id"),
        _fk("resolution_mentions", "subject_id", "subjects.subject_id"),
        _fk("resolution_mentions", "created_run_id", "resolution_runs.run_id"),
        sa.PrimaryKeyConstraint("mention_key", name=op.f("pk_resolution_mentions")),
        sa.UniqueConstraint("group_hash", name=op.f("uq_resolution_mentions_group_hash")),
        sa.UniqueConstraint("own_subject_id", name=op.f("uq_resolution_mentions_own_subject_id")),
    )
    _index("resolution_mentions", "subject_id")
    _index("resolution_mentions", "id_scheme", "id_hash")

    op.create_table(
        "resolution_records",
        sa.Column("table_name", sa.String(32), nullable=False),
        _id("batch_id", nullable=False),
        sa.Column("record_no", sa.Integer(), nullable=False),
        _id("mention_key", nullable=False),
        sa.CheckConstraint(
            "table_name IN ('accounts', 'public_records')",
            name=op.f("ck_resolution_records_table_name"),
        ),
        _fk("resolution_records", "batch_id", "ledger_batches.batch_id"),
        _fk("resolution_records", "mention_key", "resolution_mentions.mention_key"),
        sa.PrimaryKeyConstraint(
            "table_name", "batch_id", "record_no", name=op.f("pk_resolution_records")
        ),
    )
    _index("resolution_records", "mention_key")

    op.create_table(
        "resolution_decisions",
        sa.Column("decision_id", _big_id(), autoincrement=True, nullable=False),
        _id("left_key", nullable=False),
        _id("right_key", nullable=False),
        sa.Column("judgement", sa.String(16), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("match_weight", sa.Float(), nullable=True),
        _id("model_id", nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("created_at", _instant(), nullable=False),
        _id("run_id", nullable=True),
        sa.Column("deleted_at", _instant(), nullable=True),
        sa.Column("deleted_by", sa.String(128), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "judgement IN ('positive', 'negative', 'unsure')",
            name=op.f("ck_resolution_decisions_judgement"),
        ),
        sa.CheckConstraint(
            "method IN ('identifier', 'rule', 'splink', 'human')",
            name=op.f("ck_resolution_decisions_method"),
        ),
        _fk("resolution_decisions", "left_key", "resolution_mentions.mention_key"),
        _fk("resolution_decisions", "right_key", "resolution_mentions.mention_key"),
        _fk("resolution_decisions", "run_id", "resolution_runs.run_id"),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_resolution_decisions")),
    )
    _index("resolution_decisions", "left_key", "right_key")
    _index("resolution_decisions", "right_key")
    _index("resolution_decisions", "judgement", "deleted_at")


def downgrade() -> None:
    for table in (
        "resolution_decisions",
        "resolution_records",
        "resolution_mentions",
        "resolution_batches",
        "resolution_runs",
    ):
        op.drop_table(table)
