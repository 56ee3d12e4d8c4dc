"""A cheap closed-loop HTTP/1.1 load generator for ``service.py``.

The client shares the machine's cores with the server it measures, so every
microsecond it spends is taken from the server. httpx costs about as much CPU
per request as a trivial FastAPI endpoint; this driver is raw asyncio: one
``asyncio.Protocol`` per keep-alive connection, requests prebuilt as bytes,
responses parsed only as far as the status code and ``Content-Length``. Each of
``clients`` connections sends its next request when the previous response has
arrived (a closed loop, like ``clients`` users), so with ``clients`` in flight
the mean latency is ``clients / throughput`` whatever the server does.

uvloop is used when installed (it halves the client's own CPU). The client's
CPU time is measured (``time.process_time`` of this process) and reported, so
the reader can see what share of the machine it took.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoadResult", "build_request", "run_load"]


def build_request(
    method: str, path: str, host: str, body: bytes = b"", headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    """One HTTP/1.1 keep-alive request as bytes."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class LoadResult:
    """Latencies (ms) of the ok responses in the measured span, and what else came back."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    client_cpu_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def q(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

        return {
            "requests": len(lat),
            "throughput_rps": round(len(lat) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": q(0.50),
            "p99_ms": q(0.99),
            "max_ms": round(lat[-1], 2) if lat else None,
            "errors": {k: v for k, v in self.statuses.items() if k != "200"},
            "client_cpu_s": round(self.client_cpu_s, 3),
        }


class _Conn(asyncio.Protocol):
    """One keep-alive connection: ``send`` a request, await its status code."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.need = -1  # bytes of the whole response once the head is parsed
        self.status = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("connection closed"))

    def send(self, request: bytes) -> asyncio.Future[int]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if self.need < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buf[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"content-length:")
            length = int(head[at + 15 : head.find(b"\r\n", at + 15)]) if at >= 0 else 0
            self.need = end + 4 + length
        if len(buf) >= self.need:
            del buf[: self.need]
            self.need = -1
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_result(self.status)


async def _drive(
    host: str,
    port: int,
    clients: int,
    seconds: float,
    warmup: float,
    next_request: Callable[[], bytes],
) -> LoadResult:
    loop = asyncio.get_running_loop()
    conns = [(await loop.create_connection(_Conn, host, port))[1] for _ in range(clients)]
    result = LoadResult(seconds=seconds)
    start = time.perf_counter()
    measure_from, end = start + warmup, start + warmup + seconds
    cpu_marks: dict[str, float] = {}

    async def one(conn: _Conn) -> None:
        while (now := time.perf_counter()) < end:
            if now >= measure_from and "start" not in cpu_marks:
                cpu_marks["start"] = time.process_time()
            try:
                status = str(await conn.send(next_request()))
            except (ConnectionError, OSError) as exc:
                result.statuses[type(exc).__name__] = result.statuses.get(type(exc).__name__, 0) + 1
                return
            done = time.perf_counter()
            if now < measure_from:
                continue
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status == "200":
                result.latencies_ms.append((done - now) * 1000)

    try:
        await asyncio.gather(*(one(c) for c in conns))
    finally:
        result.client_cpu_s = time.process_time() - cpu_marks.get("start", time.process_time())
        for c in conns:
            if c.transport is not None:
                c.transport.close()
    return result


def run_load(
    host: str,
    port: int,
    clients: int,
    seconds: float,
    warmup: float,
    next_request: Callable[[], bytes],
) -> LoadResult:
    """Drive ``clients`` keep-alive connections for ``warmup + seconds``; measure ``seconds``."""
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is optional
        runner = asyncio.run
    return runner(_drive(host, port, clients, seconds, warmup, next_request))  # type: ignore[no-any-return]
