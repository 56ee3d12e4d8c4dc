"""SQLite: under reads that never pause, the recorder's checkpointer still starts the
WAL over once it is long, instead of letting it grow for as long as the load lasts.

A passive checkpoint copies the WAL into the database file but cannot start it
over while a reader holds a snapshot in it, and the service's event loop reads
back to back under load (893 MB of WAL in one benchmark run). Here two threads
read without pause while the recorder commits; the checkpointer, told to restart
past a few hundred frames, does so, and every recorded row is still there. A
reader that keeps one snapshot open stops the restart (SQLite may not start over
a WAL that a reader still reads), never the recording.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from api_testkit import World
from sqlalchemy import Engine, func, select
from test_service_recording import attempt

from xinyong.api.recorder import Recorder, _Checkpointer
from xinyong.store import dbapi
from xinyong.store.schema import inquiries

ATTEMPTS = 400
RESTART_FRAMES = 200


@pytest.fixture
def jurisdiction() -> str:
    return "US"  # no consent needed for a credit application


def read_until(engine: Engine, stop: threading.Event, reads: list[int]) -> None:
    """Short read transactions back to back, as the event loop's batches are under load."""
    conn = dbapi.detached_connection(engine, autocommit=True)
    try:
        while not stop.is_set():
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM inquiries").fetchone()
            conn.execute("COMMIT")
            reads[0] += 1
    finally:
        conn.close()


@pytest.fixture
def recording(world: World, backend: str) -> Iterator[tuple[Recorder, _Checkpointer]]:
    """A recorder whose checkpointer starts the WAL over past ``RESTART_FRAMES``."""
    if backend != "sqlite":
        pytest.skip("the WAL is SQLite's")
    recorder = Recorder(world.engine)
    checkpointer = _Checkpointer(world.engine, interval=0.005, restart_frames=RESTART_FRAMES)
    recorder._checkpointer = checkpointer
    try:
        yield recorder, checkpointer
    finally:
        recorder.close()


def record_all(w: World, recorder: Recorder) -> None:
    for n in range(ATTEMPTS):
        assert recorder.submit(attempt(w.subject1, n)).result(timeout=30).served


def recorded(w: World) -> int:
    with w.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(inquiries)).scalar_one())


def test_the_wal_is_started_over_while_readers_never_pause(
    world: World, recording: tuple[Recorder, _Checkpointer]
) -> None:
    recorder, checkpointer = recording
    stop, reads = threading.Event(), [0]
    readers = [
        threading.Thread(target=read_until, args=(world.engine, stop, reads)) for _ in range(2)
    ]
    for reader in readers:
        reader.start()
    try:
        record_all(world, recorder)
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    assert reads[0] > ATTEMPTS  # the readers ran throughout
    assert checkpointer.restarts >= 1
    assert recorded(world) == ATTEMPTS


def test_a_reader_that_keeps_its_snapshot_stops_the_restart_not_the_recording(
    world: World, recording: tuple[Recorder, _Checkpointer]
) -> None:
    recorder, checkpointer = recording
    holder = dbapi.detached_connection(world.engine, autocommit=True)
    try:
        holder.execute("BEGIN")
        before = holder.execute("SELECT count(*) FROM inquiries").fetchone()[0]
        record_all(world, recorder)
        # Its snapshot is the one it began with, whatever was committed since; the
        # frames after it could not be copied, so the WAL was not started over.
        assert holder.execute("SELECT count(*) FROM inquiries").fetchone()[0] == before
        assert checkpointer.checkpoints >= 1
        assert checkpointer.restarts == 0
        holder.execute("COMMIT")
    finally:
        holder.close()
    assert recorded(world) == ATTEMPTS
