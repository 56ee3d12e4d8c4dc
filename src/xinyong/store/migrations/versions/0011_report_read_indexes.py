"""Covering indexes for the report inquiry's reads.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29

Why. At a million subjects the leaves of the report path's B-trees are not in
any cache, so each index lookup that must then fetch the row from the table is
two page reads where one would do (measured with
``benchmarks/service_reads.py``). Each index here holds every column its read
uses, so the table is not visited:

* ``subject_identifiers (scheme, value_hash, subject_id)`` replaces
  ``(scheme, value_hash)``: the identifier's holders;
* ``subject_identifiers (subject_id, scheme, value_masked)``: the report's
  identifiers (the key's own index lacks the masked value);
* ``person_names (subject_id, full_name)`` replaces ``(subject_id)``: the
  report's names (SQLite keeps the row id, ``name_id``, in every index);
* ``scores (subject_id, computed_at, score_id)`` replaces
  ``(subject_id, computed_at)``: the latest score is found in the index,
  ties on ``computed_at`` included, without a sort.

Plain B-tree indexes, the same on SQLite and PostgreSQL; each replaced index is
a prefix of its replacement, so every lookup it served is served still. Plain
SQLAlchemy, no project imports, like 0001-0010.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, columns before or None if new, columns after)
_INDEXES: tuple[tuple[str, tuple[str, ...] | None, tuple[str, ...]], ...] = (
    ("subject_identifiers", ("scheme", "value_hash"), ("scheme", "value_hash", "subject_id")),
    ("subject_identifiers", None, ("subject_id", "scheme", "value_masked")),
    ("person_names", ("subject_id",), ("subject_id", "full_name")),
    ("scores", ("subject_id", "computed_at"), ("subject_id", "computed_at", "score_id")),
)


def _name(table: str, columns: Sequence[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, before, after in _INDEXES:
        op.create_index(op.f(_name(table, after)), table, list(after), unique=False)
        if before is not None:
            op.drop_index(op.f(_name(table, before)), table_name=table)


def downgrade() -> None:
    for table, before, after in reversed(_INDEXES):
        if before is not None:
            op.create_index(op.f(_name(table, before)), table, list(before), unique=False)
        op.drop_index(op.f(_name(table, after)), table_name=table)
