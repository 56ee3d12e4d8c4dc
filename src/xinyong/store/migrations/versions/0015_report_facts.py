"""Report facts beside each report part: names, identifiers and latest score, kept by triggers.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30

Why. On SQLite a report inquiry read a dozen B-trees (the part, the names, the
identifiers, the latest score, its reasons, whether a dispute or a statement
exists), and under load it read most of their interior pages from the file
every time: SQLite drops a reader's whole page cache at the first read after
another connection's commit, and the service's recorders commit every few
milliseconds. Measured at a million subjects with the service's own reads
(``benchmarks/service_inproc.py``): 24 page reads a report. With these facts
stored in the report part's row, a report reads the identifier, the subject,
that row and the inquiries: 12 page reads, -20 % of a report's CPU.

``file_report_parts`` gains three nullable columns, filled by publication (see
``xinyong.api.report_facts``):

* ``parties``: the report's ``"names":[..],"identifiers":[..]`` as JSON;
* ``score``: the latest score with its reasons as JSON (``null``: none);
* ``score_at``: that score's ``computed_at`` (a report as of an earlier instant
  must not show it).

A stored copy is only right while what it copies does not change, so on SQLite
triggers clear all three columns of the subject's row (``parties`` NULL: read
the facts live, as before) on any insert, update or delete of the subject's
names, enterprise facts, identifiers, scores, score reasons, disputes or
statements, inside the writer's own transaction. Why triggers and not the
writers: a writer added later cannot forget them. A subject with a dispute or
a statement, or whose row was cleared, is read live until the next
publication. Each trigger costs its writer one primary-key probe of
``file_report_parts`` per row (about a microsecond on SQLite).

On PostgreSQL the columns stay NULL and there are no triggers: its readers
share one buffer pool that no commit empties, so it had no such cost to cut.

Plain SQLAlchemy and SQL, no project imports, like 0001-0014.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLEAR = (
    "UPDATE file_report_parts SET parties = NULL, score = NULL, score_at = NULL"
    " WHERE subject_id = {subject} AND parties IS NOT NULL;"
)
# Tables whose rows carry the subject they describe.
_BY_SUBJECT = (
    "person_names",
    "enterprises",
    "subject_identifiers",
    "scores",
    "disputes",
    "consumer_statements",
)
# A reason's subject is its score's.
_REASON_SUBJECT = "(SELECT subject_id FROM scores WHERE score_id = {row}.score_id)"


def _triggers() -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER statement) for every table and change."""
    out: list[tuple[str, str]] = []
    for table in (*_BY_SUBJECT, "score_reasons"):

        def subject(row: str, table: str = table) -> str:
            if table == "score_reasons":
                return _REASON_SUBJECT.format(row=row)
            return f"{row}.subject_id"

        for event, rows in (("insert", ("NEW",)), ("delete", ("OLD",)), ("update", ("OLD", "NEW"))):
            name = f"report_facts_{table}_{event}"
            body = " ".join(_CLEAR.format(subject=subject(row)) for row in rows)
            out.append(
                (name, f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} BEGIN {body} END")
            )
    return out


def upgrade() -> None:
    op.add_column("file_report_parts", sa.Column("parties", sa.LargeBinary(), nullable=True))
    op.add_column("file_report_parts", sa.Column("score", sa.LargeBinary(), nullable=True))
    op.add_column(
        "file_report_parts", sa.Column("score_at", sa.DateTime(timezone=True), nullable=True)
    )
    if op.get_bind().dialect.name == "sqlite":
        for _, create in _triggers():
            op.execute(create)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, _ in reversed(_triggers()):
            op.execute(f"DROP TRIGGER {name}")
    for column in ("score_at", "score", "parties"):
        op.drop_column("file_report_parts", column)
