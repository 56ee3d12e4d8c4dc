"""The inquiry log: its own hash chain everywhere, and its own file on SQLite.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30

Why. Every inquiry attempt commits its rows and its audit link; on a SQLite
store each such commit made every reader drop its page cache of the whole file
(``xinyong.store.inquiry_log`` has the measurements). So the inquiry attempts
get a chain of their own, ``inquiry_events`` (the audit chain records its head,
``xinyong.audit.chain.anchor_inquiries``), and on a SQLite store file the four
tables an attempt writes live in a second file, attached as ``inquiry_log``:
``inquiries``, ``inquiry_requests``, ``rate_counters`` and ``inquiry_events``.
Inquiry events recorded before this revision stay where they are, in the
audit chain: moving them would break it.

On PostgreSQL (and a SQLite store without a file beside it: in memory, or a
``file:`` URI) the tables stay where they are and ``inquiry_events`` is added
beside them.

On SQLite:

* Foreign keys cannot cross files: the moved tables keep none, and
  ``recipient_notices`` loses its key to ``inquiries`` (a batch rebuild).
* SQLite commits a transaction over two files one file at a time, the main
  file first: a crash between the two commits would keep the main file's
  change (the old tables gone) and lose the log's (their rows copied). So a
  store at 0016 is *staged* first (:func:`stage`, run by
  ``xinyong.store.migrate.upgrade`` before its transaction): the log's tables
  are created and the rows copied in a transaction that writes the log file
  alone, and committed. The upgrade then copies only what arrived since
  (normally nothing: then it writes the main file alone) and drops the old
  tables. If it did copy rows itself (an upgrade from before 0016, run in one
  transaction, or rows recorded between the stage and the upgrade), the
  inquiries and requests tables stay in the main file as well, renamed
  ``retired_inquiries`` and ``retired_inquiry_requests`` (both: a request
  names its inquiry): after a crash between the two commits the rows are still
  there. An operator drops those once ``xinyong status`` shows the moved counts.

Plain SQLAlchemy, no project imports, like 0001-0016; the schema name must stay
``xinyong.store.inquiry_log.SCHEMA``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOG = "inquiry_log"
MOVED = ("inquiries", "inquiry_requests", "rate_counters")  # children after parents
_SUBJECT_REQUESTS = "purpose = 'subject_request'"


def _id(name: str, *, nullable: bool) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), nullable=nullable)


def _instant(name: str, *, nullable: bool) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _chain(name: str) -> list[Any]:
    return [
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        _instant("at", nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        _id("subject_id", nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("seq >= 1", name=op.f(f"ck_{name}_seq_positive")),
        sa.PrimaryKeyConstraint("seq", name=f"pk_{name}"),
    ]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{table}_{column}_{referred}"))


def _moved_tables(schema: str | None, *, keys: bool) -> None:
    """``inquiries``, ``inquiry_requests`` and ``rate_counters`` as at 0016, in
    ``schema``, with their foreign keys or without."""
    op.create_table(
        "inquiries",
        _id("inquiry_id", nullable=False),
        _id("subject_id", nullable=False),
        _id("inquirer_org_id", nullable=False),
        _id("user_id", nullable=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        _id("consent_id", nullable=True),
        _instant("at", nullable=False),
        *(
            [
                _fk("inquiries", "subject_id", "subjects.subject_id"),
                _fk("inquiries", "inquirer_org_id", "organisations.org_id"),
                _fk("inquiries", "consent_id", "consents.consent_id"),
            ]
            if keys
            else []
        ),
        sa.PrimaryKeyConstraint("inquiry_id", name="pk_inquiries"),
        schema=schema,
    )
    for columns in (["subject_id", "at"], ["inquirer_org_id", "at"]):
        op.create_index(f"ix_inquiries_{'_'.join(columns)}", "inquiries", columns, schema=schema)
    op.create_table(
        "inquiry_requests",
        _id("request_id", nullable=False),
        _id("inquirer_org_id", nullable=True),
        _id("subject_id", nullable=True),
        sa.Column("purpose", sa.String(32), nullable=True),
        _id("consent_id", nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=True),
        _id("inquiry_id", nullable=True),
        _instant("at", nullable=False),
        sa.CheckConstraint(
            "outcome IN ('served', 'refused')", name=op.f("ck_inquiry_requests_outcome")
        ),
        sa.CheckConstraint("kind IN ('hard', 'soft')", name=op.f("ck_inquiry_requests_kind")),
        sa.CheckConstraint(
            "(outcome = 'served' AND reason_code IS NULL)"
            " OR (outcome = 'refused' AND reason_code IS NOT NULL)",
            name=op.f("ck_inquiry_requests_reason"),
        ),
        *(
            [
                _fk("inquiry_requests", "inquirer_org_id", "organisations.org_id"),
                _fk("inquiry_requests", "subject_id", "subjects.subject_id"),
                _fk("inquiry_requests", "inquiry_id", "inquiries.inquiry_id"),
            ]
            if keys
            else []
        ),
        sa.PrimaryKeyConstraint("request_id", name="pk_inquiry_requests"),
        schema=schema,
    )
    op.create_index(
        "ix_inquiry_requests_inquirer_org_id_at",
        "inquiry_requests",
        ["inquirer_org_id", "at"],
        schema=schema,
    )
    op.create_index(
        "ix_inquiry_requests_subject_requests",
        "inquiry_requests",
        ["subject_id", "at"],
        schema=schema,
        sqlite_where=sa.text(_SUBJECT_REQUESTS),
        postgresql_where=sa.text(_SUBJECT_REQUESTS),
    )
    op.create_table(
        "rate_counters",
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("bucket", sa.String(16), nullable=False),
        _instant("window_start", nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "bucket", "window_start", name="pk_rate_counters"),
        schema=schema,
    )


def _log_attached() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return False
    return any(row[1] == LOG for row in bind.exec_driver_sql("PRAGMA database_list"))


def _columns(table: str, schema: str = "main") -> str:
    rows = op.get_bind().exec_driver_sql(f'PRAGMA {schema}.table_info("{table}")')
    return ", ".join(f'"{row[1]}"' for row in rows)


def _copy(table: str, source: str, target: str) -> int:
    """Copy the rows of ``source``'s table that ``target``'s lacks (by primary key);
    how many were copied."""
    columns = _columns(table, source)
    sql = (
        f'INSERT OR IGNORE INTO {target}."{table}" ({columns})'
        f' SELECT {columns} FROM {source}."{table}"'
    )
    return int(op.get_bind().exec_driver_sql(sql).rowcount or 0)


def _log_tables() -> set[str]:
    rows = op.get_bind().exec_driver_sql(f"SELECT name FROM {LOG}.sqlite_master")
    return {str(row[0]) for row in rows}


def _create_log_tables() -> None:
    _moved_tables(LOG, keys=False)
    op.create_table("inquiry_events", *_chain("inquiry_events"), schema=LOG)


def stage() -> None:
    """SQLite at 0016: create the log's tables and copy the rows into them, in a
    transaction of the caller's that writes the log file alone (see above).
    Repeatable: a second stage copies only what the first did not."""
    if not _log_attached():
        return
    if "inquiry_events" not in _log_tables():
        _create_log_tables()
    for table in MOVED:
        _copy(table, "main", LOG)


def _recipient_notices_key(*, keep: bool) -> None:
    with op.batch_alter_table("recipient_notices") as batch:
        if keep:
            batch.create_foreign_key(
                "fk_recipient_notices_inquiry_id_inquiries",
                "inquiries",
                ["inquiry_id"],
                ["inquiry_id"],
            )
        else:
            batch.drop_constraint("fk_recipient_notices_inquiry_id_inquiries", type_="foreignkey")


def upgrade() -> None:
    if not _log_attached():
        op.create_table("inquiry_events", *_chain("inquiry_events"))
        return
    if "inquiry_events" not in _log_tables():  # not staged
        _create_log_tables()
    _recipient_notices_key(keep=False)
    copied_here = sum(_copy(table, "main", LOG) for table in ("inquiries", "inquiry_requests"))
    _copy("rate_counters", "main", LOG)
    # Rate counts are minutes-long windows, not records: never kept twice. The two
    # record tables go together: a retired request still names its inquiry.
    op.drop_table("rate_counters")
    for table in ("inquiry_requests", "inquiries"):
        if copied_here:
            op.rename_table(table, f"retired_{table}")
        else:
            op.drop_table(table)


def downgrade() -> None:
    op.drop_table("inquiry_events", schema=LOG if _log_attached() else None)
    if not _log_attached():
        return
    for table in reversed(MOVED):  # children first: the retired tables keep their keys
        op.execute(f'DROP TABLE IF EXISTS main."retired_{table}"')
    _moved_tables(None, keys=True)
    for table in MOVED:
        _copy(table, LOG, "main")
    for table in reversed(MOVED):
        op.drop_table(table, schema=LOG)
    _recipient_notices_key(keep=True)
