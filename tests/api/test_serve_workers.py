"""``xinyong serve --workers N``: each worker accepts on a socket of its own.

With one socket shared by the workers, a burst of new connections often went
almost whole to one worker (splits up to 100/0 measured), and one worker uses
one core. On Linux the workers' sockets share the port with ``SO_REUSEPORT``
and the kernel spreads connections over them (``xinyong.api.workers``). What
shows it from outside: connections to the port reach every socket; each
worker process listens on one socket, not another's; a worker killed is
replaced on its own socket, so no socket is left without a worker; and a
SIGTERM to the server stops every worker and exits cleanly; a SIGHUP replaces
every worker, each new one on its predecessor's socket; and a worker that hangs
(its event loop stopped) is killed and replaced on its socket.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from test_subject_portal_proxy import initialised_home, serving

from xinyong.api.workers import balances, listening_sockets

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from service import LISTEN, worker_sockets  # benchmarks/service.py

__all__ = ["initialised_home"]  # the fixture, shared with the proxy test

pytestmark = pytest.mark.skipif(not balances(), reason="SO_REUSEPORT balances on Linux only")

WAIT_SECONDS = 60.0  # a worker's start on a loaded 2-core machine


def test_connections_reach_every_socket_sharing_the_port() -> None:
    sockets = listening_sockets("127.0.0.1", 0, 2)
    clients: list[socket.socket] = []
    try:
        port = sockets[0].getsockname()[1]
        assert sockets[1].getsockname()[1] == port
        for sock in sockets:
            sock.listen(64)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        accepted = [0, 0]
        deadline = time.monotonic() + 10
        while sum(accepted) < len(clients) and time.monotonic() < deadline:
            ready, _, _ = select.select(sockets, [], [], 1)
            for sock in ready:
                sock.accept()[0].close()
                accepted[sockets.index(sock)] += 1
        assert sum(accepted) == len(clients)
        assert min(accepted) > 0, accepted  # all on one: p = 2 ** -39
    finally:
        for s in [*clients, *sockets]:
            s.close()


@pytest.mark.parametrize("reuse_port", [False, True])
def test_a_port_taken_is_not_shared(reuse_port: bool) -> None:
    with socket.socket() as other:  # another server on the port, of any kind
        if reuse_port:
            other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(OSError):
            listening_sockets("127.0.0.1", other.getsockname()[1], 2)


def _workers(server: subprocess.Popen[bytes], base: str) -> dict[int, set[str]]:
    """Each worker process of ``server`` and the sockets it listens on."""
    return worker_sockets(server.pid, int(base.rsplit(":", 1)[1]), LISTEN)


def _two_listening(workers: dict[int, set[str]]) -> bool:
    return len(workers) == 2 and all(workers.values())


def _two_workers(server: subprocess.Popen[bytes], base: str) -> dict[int, set[str]]:
    """The server's two workers, once both listen."""
    _until(lambda: _two_listening(_workers(server, base)), "two workers listening")
    return _workers(server, base)


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_each_worker_owns_a_socket_and_a_dead_one_is_replaced_on_it(
    initialised_home: Path, tmp_path: Path
) -> None:
    with serving(initialised_home, tmp_path, "--workers", "2") as (base, server):
        workers = _two_workers(server, base)
        assert all(len(held) == 1 for held in workers.values()), workers
        (first, a), (second, b) = workers.items()
        assert a != b  # a socket each, not one shared
        os.kill(first, signal.SIGKILL)
        _until(
            lambda: first not in (now := _workers(server, base)) and _two_listening(now),
            "a worker in the dead one's place",
        )
        replaced = _workers(server, base)
        assert replaced[second] == b
        (newcomer,) = set(replaced) - {second}
        assert replaced[newcomer] == a  # on the socket its predecessor left
        for _ in range(20):  # every connection answered, whichever socket it reached
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200
        server.terminate()
        assert server.wait(timeout=60) == 0
        assert _workers(server, base) == {}


def test_a_sighup_replaces_every_worker_on_its_own_socket(
    initialised_home: Path, tmp_path: Path
) -> None:
    with serving(initialised_home, tmp_path, "--workers", "2") as (base, server):
        before = _two_workers(server, base)
        server.send_signal(signal.SIGHUP)
        _until(
            lambda: not set(now := _workers(server, base)) & set(before) and _two_listening(now),
            "two new workers",
        )
        after = _workers(server, base)
        assert sorted(map(sorted, after.values())) == sorted(map(sorted, before.values()))
        for _ in range(20):
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200
        assert server.poll() is None  # still serving, not stopped by the signal


def test_a_hung_worker_is_killed_and_replaced_on_its_socket(
    initialised_home: Path, tmp_path: Path
) -> None:
    flags = ("--workers", "2", "--worker-hang-seconds", "3")
    with serving(initialised_home, tmp_path, *flags) as (base, server):
        workers = _two_workers(server, base)
        (hung, socket_of_hung), (other, _) = workers.items()
        os.kill(hung, signal.SIGSTOP)  # alive, its event loop stopped: hung
        _until(
            lambda: hung not in (now := _workers(server, base)) and _two_listening(now),
            "a worker in the hung one's place",
        )
        assert not Path(f"/proc/{hung}").exists()  # killed and reaped, not left stopped
        replaced = _workers(server, base)
        assert other in replaced  # the one still turning was left alone
        (newcomer,) = set(replaced) - {other}
        assert replaced[newcomer] == socket_of_hung
        for _ in range(20):
            assert httpx.get(f"{base}/health", timeout=10).status_code == 200
        assert "has not turned its event loop" in (tmp_path / "serve.log").read_text()
