"""Engines for the serving store, configured the same way everywhere.

SQLite is the embedded default and needs care that PostgreSQL does not:

* foreign keys are off unless every connection turns them on;
* WAL journal lets readers go on while one writer writes;
* ``busy_timeout`` makes a second writer wait instead of failing at once;
* Python's ``sqlite3`` module issues ``BEGIN`` lazily (only before DML), so a
  read made first in a transaction is not protected by the write lock. We take
  over ``BEGIN`` ourselves: :func:`transaction` issues ``BEGIN IMMEDIATE``, so a
  write transaction holds the write lock from its first statement and reads
  inside it see the latest committed state (the audit chain relies on that).
  It takes the write lock of every attached file, the inquiry log's too;
* a store file has its inquiry log in a second file, attached to every
  connection (:mod:`xinyong.store.inquiry_log` says why).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from xinyong.store import inquiry_log

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "make_engine", "transaction"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another writer before giving up."""

# Connection execution option read by the ``begin`` hook below.
_SQLITE_BEGIN = "xinyong_sqlite_begin"


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the store's connection settings applied.

    For a SQLite file the parent folder is created, so that a fresh
    ``XINYONG_HOME`` works without a setup step. Extra keyword arguments go to
    :func:`sqlalchemy.create_engine`.
    """
    url = make_url(url)
    # A database error's message must never carry a bound identifier or name
    # into a log line (issue 7: nothing personal in any log).
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database
    in_memory = not database or database == ":memory:" or database.startswith("file::memory:")
    if not in_memory and database is not None and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = dict(kwargs.pop("connect_args", {}))
    # sqlite3's own busy handler, in seconds; the PRAGMA below sets the same.
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    log_path = inquiry_log.sqlite_path(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the driver; the "begin" hook below issues it.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
                # WAL makes NORMAL durable across application crashes; an OS crash
                # may lose the last commits but never corrupts the file.
                cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()
        if log_path is not None:
            inquiry_log.attach(dbapi_connection, log_path)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a write transaction: committed on success, rolled back on error.

    This is ``engine.begin()``, except that on SQLite the transaction starts with
    ``BEGIN IMMEDIATE``: it takes the write lock up front, waiting up to the busy
    timeout for another writer, instead of failing half-way with "database is
    locked" when a read is later upgraded to a write.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execution_options(**{_SQLITE_BEGIN: "IMMEDIATE"})
        with conn.begin():
            yield conn
