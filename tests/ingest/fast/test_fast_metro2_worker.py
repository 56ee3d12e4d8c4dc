"""The Metro 2 fast path's worker process is spawned, never forked.

Ingest runs in threaded processes (the API server, a test session with
Spark's gateway up). A fork copies the caller's memory, locks included,
but not the threads that hold them: a forked worker needing such a lock
waits for ever. A spawned worker is a fresh interpreter.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

from xinyong.ingest.fast import metro2_ids
from xinyong.ingest.fast.metro2_ids import Workers

_LOCK = threading.Lock()


def _with_the_lock() -> bool:
    """A job that needs a lock another thread of the caller may hold."""
    with _LOCK:
        return True


def _die() -> None:
    os._exit(3)


def test_a_lock_held_by_another_thread_does_not_reach_the_worker() -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with _LOCK:
            held.set()
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    workers = Workers(True)
    try:
        # Forked now, the worker would inherit the lock locked, with no thread to release it.
        assert workers.submit(_with_the_lock).result(timeout=300) is True
    finally:
        release.set()
        holder.join()
        workers.close()


def test_a_worker_that_dies_fails_the_file_instead_of_hanging() -> None:
    workers = Workers(True)
    try:
        with pytest.raises(BrokenProcessPool):
            workers.submit(_die).result(timeout=300)
    finally:
        workers.close()


def test_small_files_run_their_jobs_in_the_calling_process() -> None:
    workers = Workers(False)
    assert workers.submit(os.getpid).result() == os.getpid()
    workers.close()
    assert metro2_ids.WORKER_THRESHOLD > 0
