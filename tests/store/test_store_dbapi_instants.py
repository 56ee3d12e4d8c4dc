"""``dbapi.instant_bind_processor``: one instant converted once, bound three times.

The inquiry writer binds each attempt's instant in three tables; the shared
processor remembers recent conversions. What must hold: every insert of a
dialect shares it, it gives what SQLAlchemy's own conversion gives (the same
UTC instant whatever the zone, even after an equal instant in another zone was
remembered), naive instants are refused every time, and rows written through
it read back as the instants they were.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Dialect

from xinyong.store import dbapi
from xinyong.store.schema import audit_events, inquiries
from xinyong.store.types import UTCDateTime

AT = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
PLUS_8 = timezone(timedelta(hours=8))
DIALECTS = [SQLiteDialect_pysqlite(), PGDialect_psycopg()]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_every_insert_of_a_dialect_shares_one_remembering_processor(dialect: Dialect) -> None:
    shared = dbapi.instant_bind_processor(dialect)
    assert dbapi.instant_bind_processor(dialect) is shared
    for table in (audit_events, inquiries):
        insert = dbapi.RawInsert(table, dialect)
        assert [p for i, p in insert._process if insert.columns[i] == "at"] == [shared]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_remembered_conversions_are_sqlalchemys_whatever_the_zone(dialect: Dialect) -> None:
    plain = dbapi.bind_processor(UTCDateTime(), dialect)
    shared = dbapi.instant_bind_processor(dialect)
    for n in range(3):
        utc = AT + timedelta(minutes=n)
        elsewhere = utc.astimezone(PLUS_8)  # equal, so it finds the remembered value
        assert shared(utc) == shared(elsewhere) == plain(elsewhere) == plain(utc)
        assert shared(None) is None


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_naive_instants_are_refused_every_time(dialect: Dialect) -> None:
    shared = dbapi.instant_bind_processor(dialect)
    naive = AT.replace(tzinfo=None)
    shared(AT)
    for _ in range(2):
        with pytest.raises(ValueError, match="naive"):
            shared(naive)


def test_rows_bound_through_it_read_back_as_their_instants(engine: Engine) -> None:
    insert = dbapi.RawInsert(audit_events, engine.dialect)
    instants = [AT, AT.astimezone(PLUS_8), AT + timedelta(microseconds=1)]
    rows = [
        {
            "seq": seq,
            "at": at,
            "actor": "tester",
            "action": "test.event",
            "subject_id": None,
            "reason": None,
            "payload": {"n": seq},
            "prev_hash": f"{seq - 1:064x}",
            "hash": f"{seq:064x}",
        }
        for seq, at in enumerate(instants, start=1)
    ]
    conn = dbapi.detached_connection(engine, autocommit=False)
    try:
        with dbapi.transaction(conn, engine.dialect) as tx:
            insert.execute(tx, rows)
    finally:
        conn.close()
    with engine.connect() as sa:
        stored = list(sa.scalars(select(audit_events.c.at).order_by(audit_events.c.seq)))
    assert stored == [AT, AT, AT + timedelta(microseconds=1)]
    assert all(at.tzinfo is not None and at.utcoffset() == timedelta(0) for at in stored)
