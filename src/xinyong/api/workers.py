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
until the new worker takes them (as with nginx's ``reuseport``). ``SIGHUP``
replaces the workers one by one (new code, new settings), each new one serving
before its predecessor is stopped, as uvicorn's ``--workers`` does. Linux lets
only processes of the same user join the port's group of sockets. Only on
Linux, where ``SO_REUSEPORT`` balances; elsewhere ``serve`` keeps uvicorn's
shared socket.

A worker that hangs is replaced too. Each worker's event loop writes the time
to memory it shares with the parent at every turn of uvicorn's main loop (ten
times a second), and a worker whose loop has not written for ``hang_seconds``
is killed and started again on its socket. uvicorn's own supervisor asks a
thread of each worker instead, which answers while the event loop is stuck (a
blocking call that never returns, a deadlock), and such a worker serves nobody.
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
# How long a rolling restart (SIGHUP) waits for a new worker to serve before it
# gives up on it and keeps the old one.
READY_SECONDS: Final = 60.0
# How long a worker's event loop may go without turning before the worker is
# taken for hung and replaced (as a liveness probe failing three times at a
# 10 s period does in Kubernetes' defaults). A loop busy with requests still
# turns many times a second. ``serve --worker-hang-seconds`` defaults to it.
HANG_SECONDS: Final = 30.0

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


class _Beating(uvicorn.Server):
    """uvicorn's server, writing ``time.monotonic()`` to ``beat`` at each turn of its
    main loop on the event loop: 0 until it serves, then the loop's last turn."""

    def __init__(self, config: uvicorn.Config, beat: Any) -> None:
        super().__init__(config)
        self.beat = beat

    async def on_tick(self, counter: int) -> bool:
        self.beat.value = time.monotonic()  # one clock for all processes (Linux)
        return await super().on_tick(counter)


def _worker(options: dict[str, Any], sock: socket.socket, beat: Any) -> None:
    """A worker process: uvicorn serving the app on its own socket, its event loop's
    turns written to ``beat`` (a shared double)."""
    _Beating(uvicorn.Config(**options), beat).run(sockets=[sock])


class _Supervisor:
    """The parent: one worker per socket, started again if it dies, stopped on a signal."""

    def __init__(
        self,
        options: dict[str, Any],
        sockets: list[socket.socket],
        hang_seconds: float = HANG_SECONDS,
    ) -> None:
        self.options = options
        self.sockets = sockets
        self.hang_seconds = hang_seconds
        self.workers: list[SpawnProcess | None] = [None] * len(sockets)
        # Each worker's beat (``_Beating``), by socket: 0.0 until it serves.
        self.beats: list[Any] = [None] * len(sockets)
        self.deaths: list[list[float]] = [[] for _ in sockets]
        self.stop = threading.Event()
        self.reload = threading.Event()
        self.failed = False

    def spawn(self, slot: int) -> tuple[SpawnProcess, Any]:
        """A new worker on the socket ``slot``, and its beat."""
        beat = _spawn.RawValue("d", 0.0)
        process = _spawn.Process(target=_worker, args=(self.options, self.sockets[slot], beat))
        process.start()
        log.info("Started worker process [%s] on socket %d", process.pid, slot)
        return process, beat

    def start(self, slot: int) -> None:
        self.workers[slot], self.beats[slot] = self.spawn(slot)

    def hung(self, slot: int) -> bool:
        """Whether the worker on ``slot`` serves but its event loop has stopped turning."""
        beat: float = self.beats[slot].value
        return beat > 0 and time.monotonic() - beat > self.hang_seconds

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self.reload.set()
        else:
            self.stop.set()

    def restart_all(self) -> None:
        """Each worker replaced by a new one on its socket, the old one stopped only
        once the new one serves; a new one that does not is stopped instead."""
        for slot, old in enumerate(self.workers):
            if self.stop.is_set():
                return
            new, beat = self.spawn(slot)
            deadline = time.monotonic() + READY_SECONDS
            while beat.value == 0:
                if self.stop.wait(0.2):  # stopping anyway: the new one with the rest
                    _stop([new])
                    return
                if not new.is_alive() or time.monotonic() > deadline:
                    log.error("Worker process [%s] did not start; keeping the old one", new.pid)
                    _stop([new])
                    return
            self.workers[slot], self.beats[slot] = new, beat
            if old is not None:
                _stop([old])

    def run(self) -> int:
        for slot in range(len(self.sockets)):
            self.start(slot)
        while not self.stop.wait(0.5):
            if self.reload.is_set():
                self.reload.clear()
                self.restart_all()
            for slot, process in enumerate(self.workers):
                if process is None:
                    continue
                if process.is_alive():
                    if not self.hung(slot):
                        continue
                    log.error(
                        "Worker process [%s] has not turned its event loop for %.0f s; killing it",
                        process.pid,
                        self.hang_seconds,
                    )
                    process.kill()
                    process.join()
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
        _stop([p for p in self.workers if p is not None])
        for sock in self.sockets:
            sock.close()


def _stop(processes: list[SpawnProcess]) -> None:
    """SIGTERM (uvicorn finishes its requests, then exits), and a kill for any
    still running ``STOP_SECONDS`` later."""
    running = [p for p in processes if p.is_alive()]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in running:
        process.join(max(deadline - time.monotonic(), 0))
        if process.is_alive():
            process.kill()
            process.join()


def serve_workers(
    options: dict[str, Any],
    host: str,
    port: int,
    workers: int,
    hang_seconds: float = HANG_SECONDS,
) -> int:
    """Serve ``uvicorn.Config(**options)`` in ``workers`` processes on ``host:port``,
    each on a socket of its own; returns the exit status (0 after SIGINT or SIGTERM,
    1 if a worker failed to start). SIGHUP restarts the workers one by one; a
    worker whose event loop stops turning for ``hang_seconds`` is replaced."""
    uvicorn.Config(**options)  # configures uvicorn's logging, here as in the workers
    sockets = listening_sockets(host, port, workers)
    supervisor = _Supervisor(options, sockets, hang_seconds)
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, supervisor.on_signal)
    bound = sockets[0].getsockname()
    log.info(
        "Uvicorn running on http://%s:%d with %d workers (Press CTRL+C to quit)",
        *bound[:2],
        workers,
    )
    return supervisor.run()
