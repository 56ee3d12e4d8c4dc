"""Turns between the writers of one SQLite store, handed over by the kernel.

SQLite lets one connection write at a time; a second ``BEGIN IMMEDIATE``
finds the store busy and its busy handler sleeps and retries, 1, 2, 5, 10,
15, 20, 25 ms and so on (it cannot be told when the lock is free), so a writer
that just missed a commit of a few milliseconds could wait a hundred (measured:
the service's two inquiry writers, one per worker, waited 87-195 ms at worst in
every run). Here the writers that use this lock queue on an ``flock`` of a file
beside the store, and the kernel wakes the next one as soon as the holder lets
go; SQLite's own lock is then free when it asks. SQLite's lock is still what
serialises writes: writers that do not use this lock (ingest, disputes) still
meet the others there, in its busy wait, as before.

The lock file is ``<store>-writer.lock``, never removed (removing a lock file
races with its users); it holds nothing. If it cannot be opened (a read-only
directory), or the platform has no ``flock`` (Windows), the writer goes
without it, as before: the lock only orders writers, it guards nothing that
SQLite does not. The file is the owner's alone (mode 0600): anyone who could
open it could hold it and stall the service's recording.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType

from sqlalchemy import Engine

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system: no turns, SQLite's busy wait
    fcntl = None

__all__ = ["WriterLock", "lock_path"]


def lock_path(engine: Engine) -> str | None:
    """The lock file of ``engine``'s store: SQLite stores in a file only."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None  # in memory (one process), or a URI this does not parse
    return f"{database}-writer.lock"


class WriterLock:
    """One handle on the lock; :meth:`turn` holds it (blocking).

    Two handles exclude each other, in one process or two (``flock`` locks
    belong to the open file, not to the process).
    """

    def __init__(self, engine: Engine) -> None:
        path = lock_path(engine)
        self._fd: int | None = None
        if path is not None and fcntl is not None:
            with contextlib.suppress(OSError):
                self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)

    @property
    def active(self) -> bool:
        """Whether turns are taken (a lock file is open)."""
        return self._fd is not None

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the lock for the block (waiting, without the GIL, for the holder);
        released however the block ends."""
        fd = self._fd
        if fd is None or fcntl is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file (a turn in progress ends with it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
