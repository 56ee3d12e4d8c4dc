"""Several worker processes, each accepting on a listening socket of its own.

Why not uvicorn's own ``--workers``. There the workers accept on one shared
socket, and whichever is awake when connections arrive takes them: a burst of
new connections (a lender's gateway opening its pool, the service benchmark's
clients) often lands almost whole on one worker. Measured with 2 workers and
100 keep-alive clients, the split per burst ranged from 50/50 to 100/0, and at
100/0 the service answered about half as much (health checks 7,300/s against
13,400, reports 3,000-3,300/s against 4,800-5,000): a worker's threads share one
interpreter lock, so one worker uses one core whatever the other is doing.

Here the parent binds one socket per worker, all to the same address with
``SO_REUSEPORT``, and the kernel spreads new connections over them by their
addresses (Linux hashes each connection's ports and addresses). A worker that
dies is started again on its own socket, so no socket is left without a worker
to accept its connections; those that reach it meanwhile wait in its queue
until the new worker takes them (as with nginx's ``reuseport``). Linux lets
only processes of the same user join the port's group of sockets. Only on
Linux, where ``SO_REUSEPORT`` balances; elsewhere ``serve`` keeps uvicorn's
shared socket.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from multiprocessing.context import SpawnProcess
from types import FrameType
from typing import Any, Final

import uvicorn
from uvicorn.config import STARTUP_FAILURE

__all__ = ["balances", "listening_sockets", "serve_workers"]

log = logging.getLogger("uvicorn.error")
# A worker that dies this many times within ``CRASH_WINDOW_SECONDS`` is crashing
# as it starts: starting it again would fail alike, so everything stops (as for
# one that exits with uvicorn's startup failure status).
CRASHES: Final = 5
CRASH_WINDOW_SECONDS: Final = 60.0
# How long a worker is given to finish its requests after SIGTERM.
STOP_SECONDS: Final = 30.0

multiprocessing.allow_connection_pickling()
_spawn = multiprocessing.get_context("spawn")


def balances() -> bool:
    """Whether the kernel spreads connections over sockets sharing a port (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets bound to ``host:port`` with ``SO_REUSEPORT`` (port 0: a port
    chosen by the system, for all).

    Raises ``OSError`` if the port is taken, by anyone: without the check, a
    second server started on the port by mistake (another deployment of the
    same user, say) would join this one's sockets and take part of its
    connections, instead of failing as a second uvicorn does.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:  # no SO_REUSEPORT: alone
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _worker(options: dict[str, Any], sock: socket.socket) -> None:
    """A worker process: uvicorn serving the app on its own socket."""
    uvicorn.Server(uvicorn.Config(**options)).run(sockets=[sock])


class _Supervisor:
    """The parent: one worker per socket, started again if it dies, stopped on a signal."""

    def __init__(self, options: dict[str, Any], sockets: list[socket.socket]) -> None:
        self.options = options
        self.sockets = sockets
        self.workers: list[SpawnProcess | None] = [None] * len(sockets)
        self.deaths: list[list[float]] = [[] for _ in sockets]
        self.stop = threading.Event()
        self.failed = False

    def start(self, slot: int) -> None:
        process = _spawn.Process(target=_worker, args=(self.options, self.sockets[slot]))
        process.start()
        self.workers[slot] = process
        log.info("Started worker process [%s] on socket %d", process.pid, slot)

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop.set()

    def run(self) -> int:
        for slot in range(len(self.sockets)):
            self.start(slot)
        while not self.stop.wait(0.5):
            for slot, process in enumerate(self.workers):
                if process is None or process.is_alive():
                    continue
                code, now = process.exitcode, time.monotonic()
                deaths = self.deaths[slot] = [
                    t for t in self.deaths[slot] if now - t < CRASH_WINDOW_SECONDS
                ] + [now]
                if code == STARTUP_FAILURE or len(deaths) >= CRASHES:
                    log.error("Worker process [%s] failed to start (exit %s)", process.pid, code)
                    self.failed = True
                    self.stop.set()
                    break
                log.warning(
                    "Worker process [%s] died (exit %s); starting another", process.pid, code
                )
                self.start(slot)
        self.shut_down()
        return 1 if self.failed else 0

    def shut_down(self) -> None:
        running = [p for p in self.workers if p is not None and p.is_alive()]
        for process in running:
            process.terminate()  # SIGTERM: uvicorn finishes its requests, then exits
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            process.join(max(deadline - time.monotonic(), 0))
            if process.is_alive():
                process.kill()
                process.join()
        for sock in self.sockets:
            sock.close()


def serve_workers(options: dict[str, Any], host: str, port: int, workers: int) -> int:
    """Serve ``uvicorn.Config(**options)`` in ``workers`` processes on ``host:port``,
    each on a socket of its own; returns the exit status (0 after SIGINT or SIGTERM,
    1 if a worker failed to start)."""
    uvicorn.Config(**options)  # configures uvicorn's logging, here as in the workers
    sockets = listening_sockets(host, port, workers)
    supervisor = _Supervisor(options, sockets)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, supervisor.on_signal)
    bound = sockets[0].getsockname()
    log.info(
        "Uvicorn running on http://%s:%d with %d workers (Press CTRL+C to quit)",
        *bound[:2],
        workers,
    )
    return supervisor.run()
