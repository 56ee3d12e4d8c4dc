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
  afterwards, so no test sees another's tables or rows.

SQLite gets a new file under ``tmp_path`` per test.

Fixtures: ``backend`` (``"sqlite"`` / ``"postgresql"``), ``store_url`` (an empty
store), ``engine`` (an engine on that store, migrated to head).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from xinyong.store.engine import make_engine
from xinyong.store.migrate import upgrade

PG_URL_ENV = "XINYONG_TEST_PG_URL"
PG_SKIP_REASON = f"{PG_URL_ENV} not set"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _admin_engine(url: URL) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[URL]:
    """A PostgreSQL database of this test session's own, dropped at the end."""
    raw = os.environ.get(PG_URL_ENV)
    if not raw:
        pytest.skip(PG_SKIP_REASON)
    base = make_url(raw)
    name = f"xinyong_t_{os.getpid()}_{secrets.token_hex(4)}"
    admin = _admin_engine(base)
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


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend under test."""
    return str(request.param)


@pytest.fixture
def store_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of an empty store that only this test uses."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'xinyong.sqlite3'}"
        return
    database: URL = request.getfixturevalue("pg_database_url")
    schema = f"t_{secrets.token_hex(6)}"
    admin = _admin_engine(database)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = database.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An engine on a fresh store, migrated to the newest revision."""
    eng = make_engine(store_url)
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
