"""Bring a serving store to the current schema, from code rather than a CLI.

The Alembic environment lives inside the package (``store/migrations``) so that
an installed ``xinyong`` can create or upgrade its own store with no
``alembic.ini`` in the working directory: ``xinyong init`` and the tests call
:func:`upgrade`.

To draft a new revision against a store at head::

    from alembic import command
    command.revision(alembic_config(url), message="...", autogenerate=True, rev_id="0002")

then rewrite the draft as explicit operations (see ``script.py.mako``) and
update ``schema.py`` to match; ``tests/store`` fails until both agree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from xinyong.store.engine import make_engine, transaction

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "stage_inquiry_log",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: The revision that moves the inquiry log to its own file on SQLite, and the one
#: before it, from which the move is staged (``stage_inquiry_log``).
INQUIRY_LOG_REVISION = "0017"
INQUIRY_LOG_STAGED_FROM = "0016"


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic config pointing at the package's migrations, built in code.

    ``url`` is only needed when no connection is handed over through
    ``config.attributes["connection"]``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        # ConfigParser interpolation would read "%" in a password as a reference.
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


@cache
def head_revision() -> str:
    """The newest revision this version of xinyong knows.

    Cached: the migrations ship inside the package and cannot change while it
    runs, and loading them all costs ~14 ms, paid by every status check.
    """
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def upgrade(engine_or_url: Engine | str | URL, revision: str = "head") -> None:
    """Migrate the store to ``revision`` (default: the newest), in one transaction.

    A failed migration leaves the store as it was on PostgreSQL and on SQLite
    alike, because both run DDL inside the transaction. On SQLite a transaction
    over the store file and its inquiry log's commits the two one after the
    other, and a crash between them keeps the first: so a store at 0016 has its
    inquiry rows copied into the log file first, in a transaction of their own
    (:func:`stage_inquiry_log`), and 0017 then only drops them from the main
    file (the migration's docstring has the rest).
    """
    engine = _engine(engine_or_url)
    try:
        stage_inquiry_log(engine, revision)
        with transaction(engine) as conn:
            _upgrade_on(conn, revision)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def stage_inquiry_log(engine: Engine, target: str) -> None:
    """SQLite at 0016, upgrading to 0017 or beyond: run 0017's ``stage`` in a
    transaction that writes the inquiry log file alone, and commit it."""
    if engine.dialect.name != "sqlite" or current_revision(engine) != INQUIRY_LOG_STAGED_FROM:
        return
    if target not in ("head", "heads") and target < INQUIRY_LOG_REVISION:
        return
    script = ScriptDirectory.from_config(alembic_config()).get_revision(INQUIRY_LOG_REVISION)
    if script is None:  # pragma: no cover - the package ships 0017
        raise RuntimeError(f"migration {INQUIRY_LOG_REVISION} is missing")
    # A deferred transaction (the engine's default): it writes the log file alone,
    # so only that file is locked, and only that file commits.
    with (
        engine.connect() as conn,
        conn.begin(),
        Operations.context(MigrationContext.configure(conn)),
    ):
        script.module.stage()


def downgrade(engine_or_url: Engine | str | URL, revision: str) -> None:
    """Migrate the store back to ``revision`` (``"base"``: empty), in one transaction.

    For tests and for backing out a failed deployment; downgrading drops data.
    """
    engine = _engine(engine_or_url)
    try:
        with transaction(engine) as conn:
            config = _config_on(conn)
            command.downgrade(config, revision)
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def _upgrade_on(conn: Connection, revision: str) -> None:
    command.upgrade(_config_on(conn), revision)


def _config_on(conn: Connection) -> Config:
    config = alembic_config()
    config.attributes["connection"] = conn
    return config


def current_revision(engine_or_url: Engine | str | URL) -> str | None:
    """The revision the store is at, or ``None`` for an empty (never migrated) store."""
    engine = _engine(engine_or_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if engine is not engine_or_url:
            engine.dispose()


def _engine(engine_or_url: Engine | str | URL) -> Engine:
    if isinstance(engine_or_url, Engine):
        return engine_or_url
    return make_engine(engine_or_url)
