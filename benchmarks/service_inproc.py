"""The report inquiry through the service's ASGI app in one process: no HTTP, no sockets.

    .venv/bin/python benchmarks/service_inproc.py --store /tmp/xinyong-bench/service-<hash>.sqlite3
    .venv/bin/python benchmarks/service_inproc.py --store ... --no-recording

Why beside ``service.py`` and ``service_reads.py``: ``service.py`` measures the
deployment (two workers, HTTP, a client on the same cores), whose CPU per report
moves with the machine's load by 15 % from run to run; ``service_reads.py``
measures the report's reads alone, with a page cache nothing disturbs. This runs
everything a worker does for a report except HTTP (the app called as ASGI, with
``--in-flight`` requests at once on one event loop), so that what the recording
costs shows: the writer thread, and the reader's page cache, which SQLite drops
at the first read after any other connection's commit. ``--no-recording``
replaces the writer's transaction with its outcome (nothing is written): the
difference between the two runs is what recording costs a report.

Printed: the process's CPU per report (user + system, every thread), the read
system calls of the event loop's thread per report (on SQLite each is a page
not in the reader's cache) and the reports per read transaction (SQLite reads
are batched per turn of the event loop). The store is one ``service.py
--seed-only`` made; what earlier runs recorded is deleted first, as there.
``--json`` prints one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from service import _token, report_inquiry, reset_store, server_settings
from service_seed import ric

from xinyong.api import raw_reads, recorder

_PATH = "/v1/inquirer/inquiries"


def _thread_read_calls() -> int:
    """Read system calls so far of the calling thread (Linux)."""
    with open(f"/proc/self/task/{threading.get_native_id()}/io") as f:
        for line in f:
            if line.startswith("syscr"):
                return int(line.split()[1])
    raise RuntimeError("no syscr in /proc")


class _ReadCounts:
    """Reports and read system calls of the loop's read batches (SQLite's ``Reads``)."""

    def __init__(self) -> None:
        self.batches = self.reads = self.calls = 0
        self._run = raw_reads.Reads._run_batch

        def counted(reads: raw_reads.Reads) -> None:
            self.batches += 1
            self.reads += len(reads._batch)
            before = _thread_read_calls()
            self._run(reads)
            self.calls += _thread_read_calls() - before

        raw_reads.Reads._run_batch = counted  # type: ignore[method-assign,assignment]

    def reset(self) -> None:
        self.batches = self.reads = self.calls = 0


def _no_recording() -> None:
    """The writer's transaction replaced by its outcome: nothing written, nothing committed."""

    def outcome(_self: recorder.Recorder, batch: list[Any]) -> list[Any]:
        return [recorder.Recorded("-", attempt.inquiry_id is not None) for attempt, _ in batch]

    recorder.Recorder._write = outcome  # type: ignore[method-assign,assignment]


async def _call(app: Any, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    """One POST through the ASGI app; its status."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # no disconnect: the app never asks again
        raise AssertionError("unreachable")

    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": _PATH, "raw_path": _PATH.encode(), "query_string": b"",
        "root_path": "", "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    await app(scope, receive, send)
    return status


async def _lifespan(app: Any) -> Callable[[], Awaitable[None]]:
    """Start the app (its lifespan); returns the call that stops it."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    task = asyncio.ensure_future(app(scope, inbox.get, outbox.put))
    started = await outbox.get()
    if started["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the app did not start: {started}")

    async def stop() -> None:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task

    return stop


async def _drive(args: argparse.Namespace, token: str, counts: _ReadCounts) -> dict[str, Any]:
    from xinyong.api.app import app_from_env

    app = app_from_env()
    stop = await _lifespan(app)
    rng = random.Random(args.seed)
    bodies = [report_inquiry(ric(rng.randrange(args.subjects))) for _ in range(10_000)]
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-type", b"application/json"),
    ]
    statuses: dict[int, int] = {}

    async def client(n: int) -> None:
        for _ in range(n):
            status = await _call(app, headers, rng.choice(bodies))
            statuses[status] = statuses.get(status, 0) + 1

    per_client = max(1, args.reports // args.in_flight)
    await asyncio.gather(
        *(client(max(1, args.warmup // args.in_flight)) for _ in range(args.in_flight))
    )
    counts.reset()
    statuses.clear()
    usage, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    await asyncio.gather(*(client(per_client) for _ in range(args.in_flight)))
    after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - t0
    await stop()
    done = per_client * args.in_flight
    cpu = after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime
    return {
        "recording": not args.no_recording,
        "reports": done,
        "in_flight": args.in_flight,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "cpu_ms_per_report": round(1000 * cpu / done, 4),
        "wall_ms_per_report": round(1000 * wall / done, 4),
        "loop_read_calls_per_report": round(counts.calls / max(1, counts.reads), 2),
        "reports_per_read_batch": round(counts.reads / max(1, counts.batches), 2),
        "load_average_1m_at_end": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="a SQLite store service.py seeded")
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=5_000)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-recording", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url = f"sqlite:///{Path(args.store).resolve()}"
    reset_store(url)
    token = _token(url)
    if not token:
        raise SystemExit(f"{args.store} is not a store service.py seeded")
    home = Path(os.environ.get("TMPDIR", "/tmp")) / "xinyong-inproc-home"
    home.mkdir(parents=True, exist_ok=True)
    os.environ.update(server_settings(url, home))  # as service.py starts the server
    counts = _ReadCounts()
    if args.no_recording:
        _no_recording()
    runner: Any
    try:
        import uvloop

        runner = uvloop.run  # the loop the service runs on
    except ImportError:  # pragma: no cover - uvloop is optional
        runner = asyncio.run
    out = runner(_drive(args, token, counts))
    for key, value in out.items():
        print(f"{key:28} {value}")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
