"""The inquiry writers of several workers take turns on a SQLite store.

Each worker's writer holds the store's writer lock (``store.writer_lock``)
while it forms its batch and commits it, so the next one is woken when a
commit ends instead of polling in SQLite's busy wait. What must hold: a writer
waits while another holds the lock and commits once it is free, with what
arrived meanwhile in one batch; a failed write releases the lock; a store
whose lock file cannot be made still records; and two writers on one store
record everything, in one verified chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from api_testkit import START, World
from sqlalchemy import func, select

from xinyong.api.context import Principal
from xinyong.api.recorder import Attempt, Recorder
from xinyong.audit import chain
from xinyong.store import writer_lock
from xinyong.store.schema import inquiries
from xinyong.store.writer_lock import WriterLock

LENDER = Principal(role="inquirer", credential_id="k_test", org_id="lender-a")


@pytest.fixture
def jurisdiction() -> str:
    return "US"  # no consent needed for a credit application


def attempt(subject_id: str, n: int) -> Attempt:
    return Attempt(
        principal=LENDER,
        at=START + timedelta(microseconds=n),
        subject_id=subject_id,
        purpose="credit_application",
        kind="hard",
        consent_id=None,
        inquiry_id=f"inq-{n:04d}",
        refusal=None,
    )


def sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the writers of a PostgreSQL store are ordered by its advisory lock")


def test_a_writer_waits_for_the_lock_then_commits_what_arrived_in_one_batch(
    world: World, backend: str
) -> None:
    sqlite_only(backend)
    w = world
    other = WriterLock(w.engine)  # another worker's writer, in its transaction
    recorder = Recorder(w.engine)
    try:
        with other.turn():
            first = recorder.submit(attempt(w.subject1, 0))
            with pytest.raises(TimeoutError):
                first.result(timeout=0.3)  # not committed while the other holds it
            later = [recorder.submit(attempt(w.subject1, n)) for n in range(1, 5)]
        assert all(f.result(timeout=60).served for f in [first, *later])
        assert (recorder.batches, recorder.attempts) == (1, 5)
    finally:
        recorder.close()
        other.close()


def test_a_failed_write_releases_the_lock(world: World, backend: str) -> None:
    sqlite_only(backend)
    w = world
    recorder = Recorder(w.engine)
    path = writer_lock.lock_path(w.engine)
    assert path is not None
    try:
        bad = replace(attempt(w.subject1, 0), inquiry_id=None)  # served without an id
        with pytest.raises(ValueError, match="either served"):
            recorder.submit(bad).result(timeout=60)
        fd = os.open(path, os.O_RDWR)
        try:
            deadline = time.monotonic() + 30
            while True:  # the writer lets go after handing the failure back
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, "the failed turn kept the lock"
                    time.sleep(0.01)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
        assert recorder.submit(attempt(w.subject1, 1)).result(timeout=60).served
    finally:
        recorder.close()


def test_a_store_without_a_lock_file_still_records(world: World, backend: str) -> None:
    sqlite_only(backend)
    w = world
    path = writer_lock.lock_path(w.engine)
    assert path is not None
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)  # made by the app's own writer, if it has written
    os.mkdir(path)  # the lock file cannot be opened (even by root)
    recorder = Recorder(w.engine)
    try:
        assert recorder.submit(attempt(w.subject1, 0)).result(timeout=60).served
    finally:
        recorder.close()
    with w.engine.connect() as conn:
        assert chain.verify(conn).ok


def test_two_writers_on_one_store_record_everything_in_one_chain(world: World) -> None:
    w = world
    writers = [Recorder(w.engine), Recorder(w.engine)]  # as two workers have

    async def main() -> None:
        await asyncio.gather(*(writers[n % 2].record(attempt(w.subject1, n)) for n in range(200)))

    try:
        asyncio.run(main())
    finally:
        for writer in writers:
            writer.close()
    assert sum(writer.attempts for writer in writers) == 200
    with w.engine.connect() as conn:
        assert chain.verify(conn).ok
        assert conn.execute(select(func.count()).select_from(inquiries)).scalar() == 200
