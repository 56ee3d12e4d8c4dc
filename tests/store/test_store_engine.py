"""Engine settings and transactions: what the rest of the store relies on."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.pool import QueuePool

from xinyong.store.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine, transaction
from xinyong.store.repositories import add_subject, counts
from xinyong.store.schema import store_meta, subject_identifiers, subjects


class Boom(Exception):
    pass


def test_error_inside_transaction_leaves_the_store_as_it_was(engine: Engine) -> None:
    with transaction(engine) as conn:
        add_subject(conn, kind="person", subject_id="kept")
    before = _counts(engine)

    with pytest.raises(Boom), transaction(engine) as conn:
        for i in range(5):
            add_subject(conn, kind="person", subject_id=f"s{i}")
        conn.execute(insert(store_meta).values(key="k", value="v"))
        conn.execute(delete(subjects).where(subjects.c.subject_id == "kept"))
        raise Boom

    assert _counts(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(subjects.c.subject_id)).scalars().all() == ["kept"]


def test_database_error_mid_transaction_rolls_back_earlier_rows(engine: Engine) -> None:
    before = _counts(engine)
    with pytest.raises(IntegrityError), transaction(engine) as conn:
        add_subject(conn, kind="person", subject_id="a")
        add_subject(conn, kind="person", subject_id="a")  # duplicate key
    assert _counts(engine) == before


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), transaction(engine) as conn:
        conn.execute(
            insert(subject_identifiers).values(
                subject_id="nobody",
                scheme="cn_ric",
                value_hash="0" * 64,
                value_masked="****",
                created_at=datetime.now(UTC),
            )
        )


def test_check_constraints_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), transaction(engine) as conn:
        add_subject(conn, kind="household")


def test_instants_come_back_aware_utc_and_naive_ones_are_refused(engine: Engine) -> None:
    at = datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    with transaction(engine) as conn:
        add_subject(conn, kind="person", subject_id="p", created_at=at)
    with engine.connect() as conn:
        stored = conn.execute(select(subjects.c.created_at)).scalar_one()
    assert stored == at
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored.microsecond == 123456

    with pytest.raises(StatementError, match="naive datetime"), transaction(engine) as conn:
        add_subject(conn, kind="person", created_at=datetime(2024, 3, 1))


def test_sqlite_engine_creates_folder_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "store.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_sqlite_in_memory_engine_works(tmp_path: Path) -> None:
    engine = make_engine("sqlite://")
    try:
        with transaction(engine) as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_sqlite_transaction_takes_the_write_lock_up_front(tmp_path: Path) -> None:
    """``transaction`` is BEGIN IMMEDIATE: a second writer cannot start until it ends."""
    path = tmp_path / "lock.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with transaction(engine) as conn:
            conn.exec_driver_sql("SELECT 1")  # a read only: the lock is held anyway
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        # A plain connection stays a deferred (reader-friendly) transaction.
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()


@pytest.mark.postgres
def test_postgresql_engine_uses_a_normal_pool(pg_database_url: URL) -> None:
    engine = make_engine(pg_database_url)
    try:
        assert isinstance(engine.pool, QueuePool)
        assert engine.pool._pre_ping
        with engine.connect() as conn:
            assert conn.execute(select(func.count())).scalar_one() == 1
    finally:
        engine.dispose()


def test_each_test_gets_a_private_empty_store(engine: Engine, backend: str) -> None:
    with engine.connect() as conn:
        assert {k: v for k, v in counts(conn).items() if v} == {"store_meta": 1}
        if backend == "postgresql":
            # The conftest's own schema (never the named database's), first on the search_path.
            assert conn.execute(select(func.current_schema())).scalar_one().startswith("t_")


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return counts(conn)
