"""Shared fixtures: one serving store per test, on SQLite and on PostgreSQL.

The store fixtures are parametrised by ``backend`` so that every store test runs
on both engines the design promises. PostgreSQL runs only where
``XINYONG_TEST_PG_URL`` names a server (any database on it: the fixtures never
write to that database). Isolation:

* per session, a fresh database ``xinyong_t_<pid>_<random>`` is created on that
  server and dropped (``WITH (FORCE)``) at the end; if the role may not create
  databases, the named database itself is used instead;
* per test, a fresh schema is created in it and put first on the connection's
  ``search_path`` (through the URL's ``options``), and dropped with ``CASCADE``
  afterwards, so no test sees another's tables or rows;
* except for tests that use ``engine``: the migrations run once per session
  into a template (``store_testkit``), and each such test gets the template's
  state: a copy of the migrated file on SQLite, the session's migrated schema
  with every row back to its just-migrated state on PostgreSQL.

SQLite gets a new file under ``tmp_path`` per test.

Fixtures: ``backend`` (``"sqlite"`` / ``"postgresql"``), ``store_url`` (an empty
store, or the store ``engine`` is on when the test uses both), ``engine`` (an
engine on a fresh store, migrated to head).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from store_testkit import (
    PgMigratedSchema,
    admin_engine,
    copy_sqlite_store,
    migrated_sqlite_file,
    schema_url,
)
from xinyong.store.engine import make_engine
from xinyong.store.migrate import upgrade

PG_URL_ENV = "XINYONG_TEST_PG_URL"
PG_SKIP_REASON = f"{PG_URL_ENV} not set"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[URL]:
    """A PostgreSQL database of this test session's own, dropped at the end."""
    raw = os.environ.get(PG_URL_ENV)
    if not raw:
        pytest.skip(PG_SKIP_REASON)
    base = make_url(raw)
    name = f"xinyong_t_{os.getpid()}_{secrets.token_hex(4)}"
    admin = admin_engine(base)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except DBAPIError:
        # No CREATEDB right: per-test schemas in the given database still isolate.
        admin.dispose()
        yield base
        return
    try:
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated to head by this session; ``engine`` copies it."""
    return migrated_sqlite_file(tmp_path_factory.mktemp("store-template") / "xinyong.sqlite3")


@pytest.fixture(scope="session")
def pg_migrated_schema(pg_database_url: URL) -> Iterator[PgMigratedSchema]:
    """The session's migrated PostgreSQL schema; ``engine`` resets and uses it."""
    migrated = PgMigratedSchema(pg_database_url)
    try:
        yield migrated
    finally:
        migrated.drop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend under test."""
    return str(request.param)


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a store that only this test uses: empty, unless the test uses ``engine``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'xinyong.sqlite3'}"
        return
    if "engine" in request.fixturenames:
        migrated: PgMigratedSchema = request.getfixturevalue("pg_migrated_schema")
        yield migrated.fresh()
        return
    database: URL = request.getfixturevalue("pg_database_url")
    schema = f"t_{secrets.token_hex(6)}"
    admin = admin_engine(database)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield schema_url(database, schema).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def engine(store_url: str, backend: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on a fresh store, migrated to the newest revision.

    The store is a copy of the session's migrated template (see the module
    docstring); a store that is somehow not the template's is migrated here.
    """
    from_template = False
    if backend == "sqlite":
        database = make_url(store_url).database
        if database and not Path(database).exists():
            copy_sqlite_store(request.getfixturevalue("sqlite_template"), store_url)
            from_template = True
    else:
        migrated: PgMigratedSchema = request.getfixturevalue("pg_migrated_schema")
        from_template = store_url == migrated.url
    eng = make_engine(store_url)
    try:
        if not from_template:
            upgrade(eng)
        yield eng
    finally:
        eng.dispose()
