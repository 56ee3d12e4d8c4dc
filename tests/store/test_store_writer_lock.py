"""``store.writer_lock``: SQLite writers take turns through a file lock.

What must hold: only SQLite stores in a file get a lock (beside the store),
two holders exclude each other even within one process, a turn is released
when its block fails, and a store whose lock file cannot be made still writes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from xinyong.store.engine import make_engine
from xinyong.store.writer_lock import WriterLock, lock_path


def test_only_sqlite_files_get_a_lock_beside_the_store(tmp_path: Path) -> None:
    store = tmp_path / "x.sqlite3"
    assert lock_path(make_engine(f"sqlite:///{store}")) == f"{store}-writer.lock"
    assert lock_path(make_engine("sqlite://")) is None
    assert lock_path(make_engine("postgresql+psycopg://u@localhost/db")) is None


def test_turns_exclude_each_other_and_are_released_on_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    first, second = WriterLock(engine), WriterLock(engine)
    assert first.active and second.active
    # Only the store's owner may open it: whoever holds it stalls the recording.
    assert os.stat(f"{tmp_path / 'x.sqlite3'}-writer.lock").st_mode & 0o077 == 0
    order: list[str] = []
    entered = threading.Event()

    def later() -> None:
        entered.set()
        with second.turn():
            order.append("second")

    try:
        with pytest.raises(RuntimeError), first.turn():
            thread = threading.Thread(target=later)
            thread.start()
            entered.wait(30)
            thread.join(0.2)  # it cannot get in while the first holds the lock
            order.append("first")
            raise RuntimeError("the block failed: the turn ends anyway")
        thread.join(30)
        assert order == ["first", "second"]
    finally:
        first.close()
        second.close()


def test_without_a_lock_file_turns_are_free(tmp_path: Path) -> None:
    store = tmp_path / "x.sqlite3"
    Path(f"{store}-writer.lock").mkdir()  # the lock file cannot be opened (even by root)
    lock = WriterLock(make_engine(f"sqlite:///{store}"))
    assert not lock.active
    with lock.turn():
        pass
    lock.close()
