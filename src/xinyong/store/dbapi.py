"""The store's tables on a driver (DB-API) connection, for the service's hot paths.

SQLAlchemy costs about 100 µs of Python per statement executed (execution
context, events, result proxy) and a pool checkout per connection; an indexed
SQLite lookup costs about 10 µs. The report inquiry runs a dozen statements, so
its reads (``xinyong.api.raw_reads``) and its writes (``xinyong.api.recorder``,
``xinyong.audit.chain.append_many_dbapi``) run on a connection of their own
through the driver's cursor. What this module keeps from SQLAlchemy is what
makes the stored values the same as anywhere else: the column types' own bind
and result processors for the backend (``UTCDateTime``, ``Date``, ``JSON``), the
dialect's quoting and placeholder style, and the engine's connect hooks.

Statements here are written once for both backends with ``?`` placeholders
(:func:`sql_for` turns them into ``%s`` for psycopg).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from xinyong.errors import XinyongError

__all__ = [
    "RawInsert",
    "bind_processor",
    "detached_connection",
    "result_processor",
    "sql_for",
    "transaction",
]


def _identity(value: Any) -> Any:
    return value


def bind_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of ``type_`` before handing it to the driver."""
    process = type_.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else _identity


def result_processor(type_: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of ``type_`` the driver returns."""
    process = type_.dialect_impl(dialect).result_processor(dialect, None)
    return process if process is not None else _identity


def sql_for(dialect: Dialect, sql: str) -> str:
    """``sql`` written with ``?`` placeholders, in the driver's placeholder style."""
    if dialect.paramstyle == "qmark":
        return sql
    if dialect.paramstyle in ("format", "pyformat"):
        return sql.replace("?", "%s")
    raise XinyongError(
        f"the store's driver uses the {dialect.paramstyle!r} placeholder style; "
        "only SQLite's and psycopg's are supported"
    )


class RawInsert:
    """``INSERT`` of some columns of ``table``, rows converted as SQLAlchemy would."""

    def __init__(self, table: Table, dialect: Dialect, columns: Sequence[str] | None = None):
        names = list(columns) if columns is not None else [c.name for c in table.columns]
        quote = dialect.identifier_preparer.quote
        self.columns = names
        self.sql = sql_for(
            dialect,
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)})"
            f" VALUES ({', '.join('?' for _ in names)})",
        )
        processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
        self._process = list(zip(names, processors, strict=True))

    def params(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(row[n] if p is None else p(row[n]) for n, p in self._process)

    def execute(self, conn: Any, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (mappings by column name) on the driver connection ``conn``."""
        params = [self.params(row) for row in rows]
        if not params:
            return
        cursor = conn.cursor()
        try:
            cursor.executemany(self.sql, params)
        finally:
            cursor.close()


def detached_connection(engine: Engine, *, autocommit: bool) -> Any:
    """A driver connection of ``engine`` that the pool no longer manages.

    The engine's connect hooks have run (SQLite: foreign keys, WAL, busy
    timeout, and ``BEGIN`` left to the caller). Detached, so that a connection
    set to autocommit is never handed to another user of the pool. On SQLite
    every statement outside an explicit ``BEGIN`` is its own transaction anyway;
    on PostgreSQL ``autocommit`` sets the driver's mode.
    """
    proxy = engine.raw_connection()
    proxy.detach()
    driver: Any = proxy.dbapi_connection
    if engine.dialect.name == "postgresql":
        driver.rollback()  # the pool's ping may have opened a transaction
        driver.autocommit = autocommit
    return driver


@contextmanager
def transaction(conn: Any, dialect: Dialect) -> Iterator[Any]:
    """A write transaction on a driver connection from :func:`detached_connection`
    (``autocommit=False`` on PostgreSQL): committed on success, rolled back on error.

    SQLite starts it with ``BEGIN IMMEDIATE``, as ``store.engine.transaction``
    does: the write lock is taken first, waiting up to the busy timeout.
    """
    sqlite = dialect.name == "sqlite"
    if sqlite:
        conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        if sqlite:
            conn.execute("COMMIT")
        else:
            conn.commit()
    except BaseException:
        with suppress(Exception):  # the error that got us here is the one to report
            if sqlite:
                conn.execute("ROLLBACK")
            else:
                conn.rollback()
        raise
