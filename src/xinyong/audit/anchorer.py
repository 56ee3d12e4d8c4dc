"""The service records the inquiry chain's head in the audit chain on its own.

Why: the inquiry chain (``chain.INQUIRIES``) can be cut back at its tail and
still verify; only the audit chain's record of its head
(:func:`xinyong.audit.chain.anchor_inquiries`) shows the cut. An operator can
run ``xinyong audit anchor``, but a guarantee that holds only when a cron job
was remembered is not one: each service worker also anchors, every
``interval`` seconds in which the inquiry chain moved. At most that many
seconds of the newest inquiry events can then go missing unseen, and a second
worker only adds a second anchor.

A thread of its own, not the inquiry writer's: an anchor is a write to the
audit chain (on SQLite, to the main file), which waits for whatever else holds
that lock (an ingest's transaction, say); the inquiries must not wait with it.
A failed anchor (the store busy past its timeout) is tried again at the next
interval; the error is logged without the store's rows.
"""

from __future__ import annotations

import logging
import threading
from typing import Final

from sqlalchemy import Engine

from xinyong.audit import chain
from xinyong.store.engine import transaction

__all__ = ["ACTOR", "ANCHOR_INTERVAL_S", "Anchorer"]

#: How often a worker anchors a moving inquiry chain, in seconds.
ANCHOR_INTERVAL_S: Final = 60.0
#: The audit actor of the service's own anchors.
ACTOR: Final = "system:service"

_log = logging.getLogger(__name__)


class Anchorer:
    """One worker's anchoring thread (a daemon), from :meth:`start` to :meth:`close`."""

    def __init__(self, engine: Engine, interval: float = ANCHOR_INTERVAL_S) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: chain.ChainHead | None = None
        self.anchors = 0  # audit events written

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="xinyong-anchor", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the thread, after a last anchor of the inquiry chain as it then is."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()

    def anchor_once(self) -> chain.AuditEvent | None:
        """Anchor the inquiry chain's head unless it is where this worker last anchored
        it (or empty); the event written, if any."""
        with transaction(self._engine) as conn:
            current = chain.head(conn, log=chain.INQUIRIES)
            if current is None or current == self._last:
                return None
            event = chain.anchor_inquiries(conn, actor=ACTOR)
        self._last = current
        self.anchors += 1
        return event

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(self._interval)
            try:
                self.anchor_once()
            except Exception as exc:  # the store busy or gone: next time
                _log.warning("anchoring the inquiry chain failed: %s", type(exc).__name__)
            if stopping:
                return
