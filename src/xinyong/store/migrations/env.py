"""Alembic environment for the serving store, run from :mod:`xinyong.store.migrate`.

There is no ``alembic.ini``: ``migrate.alembic_config`` builds the configuration
in code and hands over an open connection in ``config.attributes["connection"]``
(the caller owns its transaction). Given only a URL, a connection is opened here
with the store's own engine settings.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from xinyong.store.engine import make_engine, transaction
from xinyong.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the caller's connection, or over a new one to the configured URL."""
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url in the Alembic config")
    engine = make_engine(url)
    try:
        with transaction(engine) as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; pass a database")
run_migrations_online()
