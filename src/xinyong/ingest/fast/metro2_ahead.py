"""Pieces of outcome made on a thread, a piece ahead of the caller that stores them.

The caller (the pipeline, through the ledger's stream writer) encodes each
piece as Parquet, about a fifth of a Metro 2 file's CPU time, in Arrow's C++
code, which releases the GIL; checking a chunk is mostly NumPy and Arrow
calls, many of which release it too. Making the next piece on a thread while
the caller writes this one lets the two overlap on a second core instead of
taking turns. The pieces, their order and their exceptions are the same as
the iterator's own: a :class:`~.outcome.Declined` or any other exception
raised while making a piece is raised to the caller in its place.

At most :data:`QUEUED` pieces wait for the caller, so memory stays bounded.
When the caller stops early (it closes the iterator, or an exception of its
own unwinds it), the thread is told to stop, the waiting pieces are dropped,
and the iterator is closed on the thread that ran it, so that its own
``finally`` (the worker process's shutdown) runs before this returns.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Final, TypeVar, cast

T = TypeVar("T")

QUEUED: Final = 1
"""Pieces made and not yet taken: one is enough to keep the thread busy while a piece is
written, and each holds a chunk's ledger rows."""
_POLL_SECONDS: Final = 0.05

_END: Final = object()


class _Failed:
    """An exception raised while making a piece, carried to the caller."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def ahead(pieces: Iterator[T], name: str = "metro2-pieces") -> Iterator[T]:
    """``pieces``, each made on a thread while the caller handles the one before."""
    waiting: queue.Queue[object] = queue.Queue(QUEUED)
    stop = threading.Event()

    def offer(item: object) -> bool:
        """Put ``item`` for the caller; False when the caller has stopped taking them."""
        while not stop.is_set():
            try:
                waiting.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for piece in pieces:
                if not offer(piece):
                    return
            offer(_END)
        except BaseException as exc:  # every failure goes to the caller
            offer(_Failed(exc))
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=make, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = waiting.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield cast(T, item)
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                waiting.get(timeout=_POLL_SECONDS)
        thread.join()
