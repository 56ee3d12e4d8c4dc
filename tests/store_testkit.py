"""Migrated stores for the tests, without running the migrations for every test.

Running every Alembic revision takes about a second per store on PostgreSQL
(the server creates some forty tables and their indexes) and a few hundred
milliseconds on SQLite; the ``engine`` fixture asks for a fresh migrated store
hundreds of times per run. So the migrations run once per session, into a
template, and each test gets the template's state:

* SQLite: the migrated file is copied (a few milliseconds);
* PostgreSQL: one migrated schema per session, brought back to its freshly
  migrated state before each test that uses it: every row deleted, the rows
  the migrations wrote put back, the sequences restarted. If a test changed
  the schema itself (a downgrade that was not undone, say), the schema's
  fingerprint no longer matches and it is dropped and migrated again.

The template is built by the real migrations at session start from whatever
revisions exist then, never cached on disk across runs. The tests in
``tests/store/test_store_migrations.py`` (and the CLI's ``init``) still run the
migrations end to end on both backends.
"""

from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, create_engine, delete, insert, select, text
from sqlalchemy.engine import URL, make_url

from xinyong.store import inquiry_log
from xinyong.store import schema as store_schema
from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import upgrade

PG_TEST_OPTIONS = "-csynchronous_commit=off"
"""Session settings for test stores on PostgreSQL.

``synchronous_commit=off`` skips the wait for the WAL flush at each commit
(6-17 ms under load, ~0.8 ms without): only a crash of the server itself could
lose the last commits, and no test crashes the server. Atomicity, isolation and
visibility are unchanged.
"""

# Everything that makes up a schema's shape: relations (tables, indexes,
# sequences, views) with their columns, constraints with their definitions,
# triggers and functions. Rows are not part of it.
_FINGERPRINT = text(
    """
    WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
    SELECT md5(coalesce(string_agg(item, E'\\n' ORDER BY item), ''))
    FROM (
        SELECT 'r:' || c.relname || ':' || c.relkind::text || ':' || coalesce(a.attname, '')
               || ':' || coalesce(format_type(a.atttypid, a.atttypmod), '')
               || ':' || coalesce(a.attnotnull::text, '') AS item
        FROM pg_class c
        LEFT JOIN pg_attribute a
               ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE c.relnamespace = (SELECT oid FROM ns)
        UNION ALL
        SELECT 'k:' || conrelid::regclass::text || ':' || conname
               || ':' || pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = (SELECT oid FROM ns)
        UNION ALL
        SELECT 't:' || tgrelid::regclass::text || ':' || tgname
        FROM pg_trigger WHERE NOT tgisinternal
          AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = (SELECT oid FROM ns))
        UNION ALL
        SELECT 'f:' || proname FROM pg_proc WHERE pronamespace = (SELECT oid FROM ns)
    ) AS shape
    """
)

# Every sequence of the schema back to its first value, as a new schema has it.
_RESTART_SEQUENCES = text(
    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s"
    " JOIN pg_class c ON c.oid = s.seqrelid"
    " WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
)

# Where each sequence of the schema stands (NULL: never used), as ``setval`` takes it.
_SEQUENCE_POSITIONS = text(
    "SELECT quote_ident(sequencename), last_value FROM pg_sequences"
    " WHERE schemaname = current_schema()"
)


def migrated_sqlite_file(path: Path) -> Path:
    """Migrate a new SQLite store at ``path`` to head and leave it closed and checkpointed."""
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    for file in (path, inquiry_log.path_for(path)):
        for suffix in ("-wal", "-shm"):
            side = Path(f"{file}{suffix}")
            if side.exists() and side.stat().st_size:
                raise RuntimeError(
                    f"template {file} left a non-empty {suffix} file after checkpoint"
                )
    return path


def copy_sqlite_store(template: Path, store_url: str) -> None:
    """Put a copy of the migrated ``template`` where ``store_url`` points (nothing there yet)."""
    database = make_url(store_url).database
    if not database:
        raise ValueError(f"{store_url!r} names no SQLite file")
    target = Path(database)
    if target.exists():
        raise FileExistsError(f"{target} exists: the template copy would overwrite a store")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, target)
    shutil.copyfile(inquiry_log.path_for(template), inquiry_log.path_for(target))


def schema_url(database: URL, schema: str) -> URL:
    """``database`` with ``schema`` first on the search path and the test session settings."""
    return database.update_query_dict({"options": f"-csearch_path={schema} {PG_TEST_OPTIONS}"})


def admin_engine(url: URL) -> Engine:
    """An autocommit engine for CREATE/DROP DATABASE and SCHEMA."""
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@dataclass
class PgMigratedSchema:
    """One migrated schema in ``database``, reset to its just-migrated state on demand."""

    database: URL
    schema: str = field(default_factory=lambda: f"t_migrated_{secrets.token_hex(4)}")
    _engine: Engine | None = None
    _fingerprint: str = ""
    _tables: MetaData = field(default_factory=MetaData)
    _rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _used: bool = False

    @property
    def url(self) -> str:
        return schema_url(self.database, self.schema).render_as_string(hide_password=False)

    def fresh(self) -> str:
        """The schema's URL, its content exactly as the migrations left it."""
        if self._engine is None:
            self._build()
        elif self._used:
            self._reset()
        self._used = True
        return self.url

    def drop(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        admin = admin_engine(self.database)
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        finally:
            admin.dispose()

    def _build(self) -> None:
        admin = admin_engine(self.database)
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
        finally:
            admin.dispose()
        engine = make_engine(self.url)
        upgrade(engine)
        tables = MetaData()
        tables.reflect(engine)
        with engine.connect() as conn:
            self._fingerprint = conn.execute(_FINGERPRINT).scalar_one()
            self._rows = {
                t.name: [dict(r) for r in conn.execute(select(t)).mappings()]
                for t in tables.sorted_tables
            }
        self._rows = {name: rows for name, rows in self._rows.items() if rows}
        self._tables = tables
        self._engine = engine

    def _reset(self) -> None:
        assert self._engine is not None
        with self._engine.connect() as conn:
            if conn.execute(_FINGERPRINT).scalar_one() == self._fingerprint:
                conn.rollback()
                with conn.begin():
                    # A test that left a transaction holding locks must not hang the next one.
                    conn.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
                    for table in reversed(self._tables.sorted_tables):
                        conn.execute(delete(table))
                    for table in self._tables.sorted_tables:
                        if table.name in self._rows:
                            conn.execute(insert(table), self._rows[table.name])
                    conn.execute(_RESTART_SEQUENCES)
                return
        # The test changed the schema itself: start again from the migrations.
        self.drop()
        self._build()


# --------------------------------------------------------------------------- seeded states

TableRows = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class SeededRows:
    """What a seeding step added to a just-migrated store: the rows of every table it
    changed, and (PostgreSQL) where the sequences stood afterwards.

    Replaying it into another just-migrated store of the same backend gives the
    state the seeding step would have given, without running it again.
    """

    tables: TableRows
    sequences: dict[str, int]
    replaced: frozenset[str] = frozenset()
    """Changed tables that already had rows after the migrations: emptied before the replay."""


def table_rows(engine: Engine) -> TableRows:
    """Every row of every table of the store schema, by table name."""
    with engine.connect() as conn:
        return {
            t.name: [dict(r) for r in conn.execute(select(t)).mappings()]
            for t in store_schema.metadata.sorted_tables
        }


def seeded_rows(engine: Engine, before: TableRows) -> SeededRows:
    """The tables that changed since ``before`` (taken on the just-migrated store)."""
    after = table_rows(engine)
    changed = {name: rows for name, rows in after.items() if rows != before.get(name)}
    sequences: dict[str, int] = {}
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            sequences = {
                str(name): int(value)
                for name, value in conn.execute(_SEQUENCE_POSITIONS)
                if value is not None
            }
    replaced = frozenset(name for name in changed if before.get(name))
    return SeededRows(changed, sequences, replaced)


def replay_rows(engine: Engine, seeded: SeededRows) -> None:
    """Give the just-migrated store behind ``engine`` the seeded state, in one transaction."""
    tables = [t for t in store_schema.metadata.sorted_tables if t.name in seeded.tables]
    with transaction(engine) as conn:
        for table in reversed(tables):
            if table.name in seeded.replaced:
                conn.execute(delete(table))
        for table in tables:
            if seeded.tables[table.name]:
                conn.execute(insert(table), seeded.tables[table.name])
        for name, value in seeded.sequences.items():
            conn.execute(text("SELECT setval(:name, :value, true)"), {"name": name, "value": value})


def store_layout(metadata: sa.MetaData, engine: Engine) -> sa.MetaData:
    """``metadata`` as a migrated store of ``engine``'s holds it.

    On a SQLite store file the inquiry log's tables are in the attached schema,
    without foreign keys, and no key of another table points at them
    (``xinyong.store.inquiry_log``); elsewhere, ``metadata`` itself.
    """
    if inquiry_log.sqlite_path(engine.url) is None:
        return metadata
    out = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        moved = table.name in inquiry_log.TABLES
        copy = table.to_metadata(out, schema=inquiry_log.SCHEMA if moved else None)
        dropped = {
            tuple(fk.column_keys)
            for fk in table.foreign_key_constraints
            if moved or fk.referred_table.name in inquiry_log.TABLES
        }
        for fk in list(copy.foreign_key_constraints):
            if tuple(fk.column_keys) in dropped:
                copy.constraints.discard(fk)
                for column in fk.columns:
                    column.foreign_keys.clear()
                for element in fk.elements:
                    copy.foreign_keys.discard(element)
    return out


def schema_diffs(engine: Engine, metadata: sa.MetaData | None = None) -> list[Any]:
    """Alembic's differences between ``metadata`` (the store's schema by default) and
    the store of ``engine``, as :func:`store_layout` lays it out; on SQLite every
    attached schema is compared (the inquiry log's file too), on PostgreSQL the
    search path's (other tests' schemas share its database)."""
    expected = store_layout(store_schema.metadata if metadata is None else metadata, engine)
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_schemas": engine.dialect.name == "sqlite"}
        context = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(context, expected))


def table_names(engine: Engine) -> set[str]:
    """Every table of the store, in the main file and (on SQLite) the inquiry log's."""
    insp = sa.inspect(engine)
    names = set(insp.get_table_names())
    if inquiry_log.SCHEMA in insp.get_schema_names():
        names |= set(insp.get_table_names(schema=inquiry_log.SCHEMA))
    return names
