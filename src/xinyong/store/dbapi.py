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
from functools import lru_cache
from operator import itemgetter
from typing import Any, Final

from sqlalchemy import Engine, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from xinyong.errors import XinyongError
from xinyong.store.types import UTCDateTime

__all__ = [
    "INSTANTS_REMEMBERED",
    "MULTI_ROW_SIZES",
    "RawInsert",
    "bind_processor",
    "detached_connection",
    "instant_bind_processor",
    "pipelined",
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


#: Instants whose bound form :func:`instant_bind_processor` remembers: more than
#: one group commit's attempts (``api.recorder.MAX_BATCH``).
INSTANTS_REMEMBERED: Final = 1024


@lru_cache(maxsize=8)
def instant_bind_processor(dialect: Dialect) -> Callable[[Any], Any]:
    """:class:`UTCDateTime`'s bind processor for ``dialect``, shared by every
    :class:`RawInsert` of the dialect and remembering its recent conversions.

    Why: an inquiry attempt's one instant is bound three times (its inquiry,
    its request row and its audit link), and converting it (to UTC, and on
    SQLite to text) was the largest share of the writer's row building. Equal
    instants convert to the same value whatever their zone, and a naive one
    raises every time (an exception is not remembered).
    """
    return lru_cache(maxsize=INSTANTS_REMEMBERED)(bind_processor(UTCDateTime(), dialect))


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


#: Row counts of the multi-row ``INSERT`` statements on PostgreSQL. A batch goes
#: out as the fewest statements of these sizes (largest first): one statement up
#: to 16 rows, two up to 63. Each statement is a round trip, so a sparser ladder
#: (powers of two: 13 rows = 8 + 4 + 1) lost what the multi-row insert gained.
#: Bounded, because psycopg prepares a text after its fifth execution and keeps
#: 100 prepared per connection: one text per batch size would evict the
#: writer's other statements; three tables of 20 sizes leave room for them.
MULTI_ROW_SIZES: Final = (64, 48, 32, 24, *range(16, 0, -1))


def _chunks(count: int, sizes: Sequence[int]) -> Iterator[int]:
    """``count`` as a sum of ``sizes`` (descending, ending in 1), largest first."""
    for size in sizes:
        while count >= size:
            yield size
            count -= size


class RawInsert:
    """``INSERT`` of some columns of ``table``, rows converted as SQLAlchemy would.

    On PostgreSQL (psycopg) the rows go as multi-row ``INSERT ... VALUES (...),
    (...)`` statements: psycopg's ``executemany`` (a pipeline of one-row
    statements) cost the server about a third more per row than one statement
    carrying them. Those statements are written with PostgreSQL's own ``$n``
    placeholders and run on a ``RawCursor``: psycopg parses a ``%s`` statement of
    more than 50 parameters afresh on every execution (its cache skips them),
    which cost more client time than the multi-row insert saved. SQLite keeps
    ``executemany``, which runs its one-row statement in C and was the faster
    of the two there.
    """

    def __init__(self, table: Table, dialect: Dialect, columns: Sequence[str] | None = None):
        names = list(columns) if columns is not None else [c.name for c in table.columns]
        quote = dialect.identifier_preparer.quote
        self.columns = names
        listed = ", ".join(quote(n) for n in names)
        self._head = f"INSERT INTO {quote(table.name)} ({listed}) VALUES "
        self.sql = sql_for(dialect, self._head + f"({', '.join('?' for _ in names)})")
        processors = [
            instant_bind_processor(dialect)
            if isinstance(table.c[n].type, UTCDateTime)
            else table.c[n].type.dialect_impl(dialect).bind_processor(dialect)
            for n in names
        ]
        # The row's values in column order with one C call, then the few columns
        # that have a processor (instants, JSON) converted in place.
        self._get = itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
        self._process = [(i, p) for i, p in enumerate(processors) if p is not None]
        self._multi = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self._sizes = MULTI_ROW_SIZES
        self._by_size: dict[int, str] = {}

    def multi_row_sql(self, rows: int) -> str:
        """The statement inserting ``rows`` rows, with ``$n`` placeholders (PostgreSQL)."""
        width = len(self.columns)
        tuples = (
            "(" + ", ".join(f"${r * width + c}" for c in range(1, width + 1)) + ")"
            for r in range(rows)
        )
        return self._head + ", ".join(tuples)

    def params(self, row: Mapping[str, Any]) -> list[Any]:
        """``row``'s values in column order, as the driver gets them."""
        values = list(self._get(row))
        for i, process in self._process:
            values[i] = process(values[i])
        return values

    def execute(self, conn: Any, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (mappings by column name) on the driver connection ``conn``."""
        params = [self.params(row) for row in rows]
        if not params:
            return
        if not self._multi:
            cursor = conn.cursor()
            try:
                cursor.executemany(self.sql, params)
            finally:
                cursor.close()
            return
        from psycopg import RawCursor  # only PostgreSQL stores need the driver

        raw = RawCursor(conn)
        try:
            start = 0
            for size in _chunks(len(params), self._sizes):
                sql = self._by_size.get(size)
                if sql is None:
                    sql = self._by_size[size] = self.multi_row_sql(size)
                flat: list[Any] = []
                for values in params[start : start + size]:
                    flat.extend(values)
                raw.execute(sql, flat)
                start += size
        finally:
            raw.close()


def detached_connection(engine: Engine, *, autocommit: bool, name: str | None = None) -> Any:
    """A driver connection of ``engine`` that the pool no longer manages.

    The engine's connect hooks have run (SQLite: foreign keys, WAL, busy
    timeout, and ``BEGIN`` left to the caller). Detached, so that a connection
    set to autocommit is never handed to another user of the pool. On SQLite
    every statement outside an explicit ``BEGIN`` is its own transaction anyway;
    on PostgreSQL ``autocommit`` sets the driver's mode, and ``name`` becomes the
    session's ``application_name``: an operator's ``pg_stat_activity`` (and the
    service benchmark's CPU split) then tells the service's readers from its
    writers.
    """
    proxy = engine.raw_connection()
    proxy.detach()
    driver: Any = proxy.dbapi_connection
    if engine.dialect.name == "postgresql":
        driver.rollback()  # the pool's ping may have opened a transaction
        driver.autocommit = autocommit
        if name is not None:
            driver.execute("SELECT set_config('application_name', %s, false)", (name,))
            if not autocommit:
                driver.commit()
    return driver


@contextmanager
def pipelined(conn: Any, dialect: Dialect) -> Iterator[Any]:
    """On PostgreSQL, ``conn`` in psycopg's pipeline mode: statements go without
    waiting for each one's answer, until one is fetched or the transaction ends
    (a :func:`transaction` inside commits at the pipeline's sync). Elsewhere
    ``conn`` as it is. A failed statement's error surfaces at that sync, and
    the transaction's rollback undoes the lot, as without a pipeline.
    """
    if dialect.name != "postgresql":
        yield conn
        return
    with conn.pipeline():
        yield conn


@contextmanager
def transaction(conn: Any, dialect: Dialect, *, immediate: bool = True) -> Iterator[Any]:
    """A write transaction on a driver connection from :func:`detached_connection`
    (``autocommit=False`` on PostgreSQL): committed on success, rolled back on error.

    SQLite starts it with ``BEGIN IMMEDIATE``, as ``store.engine.transaction``
    does: the write lock is taken first, waiting up to the busy timeout. That
    takes the lock of every attached file; with ``immediate=False`` (``BEGIN
    DEFERRED``) each file is locked by the first statement that writes to it, so
    a transaction whose first statement writes, and that writes one file only
    (the inquiry log's), leaves the other file's writers alone.
    """
    sqlite = dialect.name == "sqlite"
    if sqlite:
        conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN DEFERRED")
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
