"""``dbapi.RawInsert``: the driver-level insert of the inquiry writer and the audit chain.

On PostgreSQL a batch goes as a few multi-row statements of fixed sizes; what
must hold whatever the batch size: every row stored once, in order, with the
values SQLAlchemy would store, and a bounded number of statement texts, so the
driver's prepared-statement cache is not flooded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from xinyong.store import dbapi
from xinyong.store.schema import audit_events

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PLUS_8 = timezone(timedelta(hours=8))


def rows(first: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "seq": seq,
            # An instant in another zone: stored as the same UTC instant.
            "at": (START + timedelta(seconds=seq)).astimezone(PLUS_8),
            "actor": f"inquirer:org:k{seq}",
            "action": "inquiry.served",
            "subject_id": None if seq % 3 == 0 else f"subj-{seq}",
            "reason": None if seq % 2 == 0 else "credit_application",
            "payload": {"request_id": f"r{seq}", "n": seq, "none": None},
            "prev_hash": f"{seq - 1:064x}",
            "hash": f"{seq:064x}",
        }
        for seq in range(first, first + count)
    ]


def test_every_batch_size_is_a_sum_of_few_fixed_statement_sizes() -> None:
    sizes = dbapi.MULTI_ROW_SIZES
    assert sizes == tuple(sorted(sizes, reverse=True)) and sizes[-1] == 1
    assert len(sizes) <= 20  # three tables' texts stay under psycopg's 100 prepared
    for count in range(0, 300):
        chunks = list(dbapi._chunks(count, sizes))
        assert sum(chunks) == count
        assert set(chunks) <= set(sizes)
        if count <= 16:
            assert len(chunks) <= 1
        elif count < 64:
            assert len(chunks) <= 2


def test_multi_row_statements_use_numbered_placeholders() -> None:
    insert = dbapi.RawInsert(audit_events, PGDialect_psycopg())
    sql = insert.multi_row_sql(3)
    assert sql.count("(") == 4 and "%s" not in sql
    assert sql.endswith("($19, $20, $21, $22, $23, $24, $25, $26, $27)")


@pytest.mark.parametrize("count", [1, 5, 13, 40, 150])
def test_rows_are_stored_once_in_order_as_sqlalchemy_would(engine: Engine, count: int) -> None:
    insert = dbapi.RawInsert(audit_events, engine.dialect)
    batch = rows(1, count)
    conn = dbapi.detached_connection(engine, autocommit=False)
    try:
        with dbapi.transaction(conn, engine.dialect) as tx:
            insert.execute(tx, batch)
            insert.execute(tx, [])
    finally:
        conn.close()
    with engine.connect() as sa:
        stored = [dict(r._mapping) for r in sa.execute(select(audit_events).order_by("seq"))]
    assert [r["seq"] for r in stored] == list(range(1, count + 1))
    for got, sent in zip(stored, batch, strict=True):
        assert got == {**sent, "at": sent["at"].astimezone(UTC)}
        assert got["at"].tzinfo is not None


def test_postgresql_prepares_a_bounded_set_of_multi_row_statements(
    engine: Engine, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    insert = dbapi.RawInsert(audit_events, engine.dialect)
    conn = dbapi.detached_connection(engine, autocommit=False)
    try:
        seq = 1
        for _ in range(6):  # psycopg prepares a statement on its fifth execution
            for count in range(1, 70):
                with dbapi.transaction(conn, engine.dialect) as tx:
                    insert.execute(tx, rows(seq, count))
                seq += count
        with dbapi.transaction(conn, engine.dialect) as tx:
            prepared = [
                r[0] for r in tx.execute("SELECT statement FROM pg_prepared_statements").fetchall()
            ]
    finally:
        conn.close()
    inserts = [s for s in prepared if "audit_events" in s]
    assert 1 < len(inserts) <= len(dbapi.MULTI_ROW_SIZES)
    assert any("), ($" in s for s in inserts)  # multi-row, not one row per statement
    with engine.connect() as sa:
        seqs = list(sa.scalars(select(audit_events.c.seq).order_by("seq")))
    assert seqs == list(range(1, seq))
