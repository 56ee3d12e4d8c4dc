"""SQLite: the inquiry log in a file of its own, attached to every connection.

Why. In WAL mode a SQLite connection drops its whole page cache at the start of
a read transaction whenever any other connection has committed to that file
since its last one. The service records every inquiry attempt (its inquiry and
request rows, its rate count and its audit link) in a commit of its own group,
and under load those commits land between nearly every two batches of report
reads: each batch read the interior pages of the five B-trees a report walks
again, from the OS (12.6 page reads a report in process, 3.3 with nothing
recorded), and recording cost half of a report's CPU. With the inquiry log in a
second file, the store's main file changes only when something else commits,
and the readers' cache of it survives: 17 % less CPU a report, measured end to
end (issue 7, session of 2026-11-30).

The tables move together, with the hash chain that records them
(``inquiry_events``, :data:`xinyong.audit.chain.INQUIRIES`): SQLite commits a
transaction over two files one file at a time, so a crash between the two
would leave an inquiry without its audit link (or the reverse) if they lived
in different files. Each of the store's two chains is atomic with its own rows.

The file is ``<store>-inquiries`` beside the store (with its own ``-wal`` and
``-shm``), attached as the schema :data:`SCHEMA`. SQLite resolves an
unqualified table name through the main file, then the attached ones, so every
query and statement names ``inquiries`` as before and finds it here; only the
migration that creates the tables names the schema. Copying or moving a store
means both files. Foreign keys cannot cross files, so on SQLite these tables
keep none (the rows they point at are never deleted, and the service writes
them from rows it just read); PostgreSQL keeps every table in one schema, with
its keys.

A store in memory, or opened by a ``file:`` URI, has no file beside it to
name: it keeps the inquiry log in the main file, as PostgreSQL does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection
from sqlalchemy.engine import URL

__all__ = ["SCHEMA", "SUFFIX", "TABLES", "attach", "missing_tables", "path_for", "sqlite_path"]

#: The name the file is attached under.
SCHEMA: Final = "inquiry_log"
#: What the file's name adds to the store's.
SUFFIX: Final = "-inquiries"
#: The tables it holds: what one inquiry attempt writes, and the chain recording it.
TABLES: Final = ("inquiries", "inquiry_requests", "rate_counters", "inquiry_events")


def path_for(database: str | Path) -> Path:
    """The inquiry log file of the SQLite store file ``database``."""
    return Path(f"{database}{SUFFIX}")


def sqlite_path(url: URL) -> Path | None:
    """The inquiry log file of a SQLite store URL, or ``None`` when it keeps the log
    in its main file (in memory, a ``file:`` URI, or not SQLite)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return path_for(Path(database).expanduser())


def attach(dbapi_connection: Any, path: Path) -> None:
    """Attach the inquiry log file at ``path`` (created if new) to a sqlite3 connection,
    in the same journal mode and durability as the main file."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (str(path),))
        cursor.execute(f"PRAGMA {SCHEMA}.journal_mode = WAL")
        cursor.execute(f"PRAGMA {SCHEMA}.synchronous = NORMAL")
    finally:
        cursor.close()


def missing_tables(conn: Connection) -> list[str]:
    """The inquiry log's tables that the attached file lacks, on a store migrated to
    0017 or later; empty where the log has no file of its own.

    Why: a store copied or restored without its ``-inquiries`` file attaches an
    empty one, and would then fail on its first inquiry. Opening the store
    says so instead, naming the file.
    """
    if conn.dialect.name != "sqlite":
        return []
    attached = {row[1] for row in conn.exec_driver_sql("PRAGMA database_list")}
    if SCHEMA not in attached:
        return []
    rows = conn.exec_driver_sql(f"SELECT name FROM {SCHEMA}.sqlite_master WHERE type = 'table'")
    present = {str(row[0]) for row in rows}
    return [table for table in TABLES if table not in present]
