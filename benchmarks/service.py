"""Service throughput and latency: the inquirer report endpoint against /health, same server.

    .venv/bin/python benchmarks/service.py                          # 1M subjects, SQLite
    .venv/bin/python benchmarks/service.py --db-url postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python benchmarks/service.py --subjects 20000 --seconds 5 --json

What is measured. A store is seeded with ``--subjects`` synthetic subjects
straight into the published-file tables (``service_seed.py``: names, a CN
resident ID, 1-4 accounts with 24 months of history, public records, a score
with reasons). The SQLite store is cached under the temp dir by a hash of
(subjects, seed version, migration head) and reused; on PostgreSQL the seed
goes into its own schema, reused the same way. Then ``uvicorn --workers W``
serves the app on 127.0.0.1 in a subprocess, and ``--clients`` concurrent
httpx clients (asyncio, keep-alive, one process) drive for ``--seconds``:

* ``report``: ``POST /v1/inquirer/inquiries`` for a random subject (by its
  resident ID) with a permissible purpose: authenticate the key, check the
  purpose, resolve the identifier hash, record the inquiry, its request row
  and its audit-chain link in one transaction, and build the report (published
  items, history, score and reasons, inquiries, statements, disputes);
* ``health``: ``GET /health``, the trivial endpoint, as the baseline.

The per-key inquiry rate limit is switched off for the server (one key carries
all the load); the 1-minute load average at the end is recorded, since the
machine is shared and both figures scale with the CPU left over.

Printed: throughput (ok responses/s), p50 and p99 latency, errors, and the
report/health throughput ratio. Targets (issue 7): p99 < 50 ms at 100 clients
and ratio >= 1/3. ``--json`` prints one JSON object as the last stdout line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from service_seed import SEED_VERSION, ric, seed
from sqlalchemy import event, make_url, select, text

from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import head_revision, upgrade
from xinyong.store.schema import store_meta

HASH_KEY = "bench-service-key"
TOKEN_KEY = "bench_inquirer_token"


def _seed_hash(subjects: int) -> str:
    """Changes with the subject count, the seed and the schema revision seeded."""
    key = f"{subjects}|{SEED_VERSION}|{head_revision()}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _token(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(store_meta.c.value).where(store_meta.c.key == TOKEN_KEY))
            value = row.scalar()
            return str(value) if value else None
    except Exception:  # no store yet, or not seeded
        return None
    finally:
        engine.dispose()


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in ("foreign_keys = OFF", "synchronous = OFF", "cache_size = -262144"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _seed_into(url: str, subjects: int) -> str:
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        # A scratch file renamed into place when done: speed over crash safety here.
        event.listen(engine, "connect", _fast_sqlite)
    try:
        upgrade(engine)
        t0 = time.perf_counter()
        token = seed(engine, subjects, HASH_KEY.encode())
        with transaction(engine) as conn:
            conn.execute(store_meta.insert().values(key=TOKEN_KEY, value=token))
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        print(f"  seeded in {time.perf_counter() - t0:.0f} s", flush=True)
        return token
    finally:
        engine.dispose()


def sqlite_store(subjects: int, cache_dir: Path) -> tuple[str, str]:
    """A seeded SQLite store (cached by hash); returns (url, inquirer token)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"service-{_seed_hash(subjects)}.sqlite3"
    url = f"sqlite:///{path}"
    if path.exists():
        token = _token(url)
        if token:
            print(f"reusing seeded store {path}")
            return url, token
        path.unlink()
    partial = path.with_suffix(".partial")
    for leftover in cache_dir.glob(partial.name + "*"):
        leftover.unlink()
    print(f"seeding {subjects:,} subjects into {path} ...", flush=True)
    token = _seed_into(f"sqlite:///{partial}", subjects)
    partial.rename(path)
    return url, token


def postgres_store(subjects: int, db_url: str) -> tuple[str, str]:
    """A seeded schema ``xybench_<hash>`` on ``db_url`` (reused); returns (url, token)."""
    schema = f"xybench_{_seed_hash(subjects)}"
    base = make_url(db_url)
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    token = _token(url)
    if token:
        print(f"reusing seeded schema {schema}")
        return url, token
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    print(f"seeding {subjects:,} subjects into schema {schema} ...", flush=True)
    return url, _seed_into(url, subjects)


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of the server and its worker processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        proc_pid, ppid = int(stat.parent.name), int(fields[1])
        if proc_pid == pid or ppid == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, workers: int, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "XINYONG_DB_URL": url,
        "XINYONG_HOME": str(home),
        "XINYONG_HASH_KEY": HASH_KEY,
        "XINYONG_JURISDICTION": "US",
        # One key drives all the load: the per-key inquiry limit (600 a minute by
        # default, a counter write per inquiry) would turn the run into 429s.
        "XINYONG_LIMIT_INQUIRIES_PER_WINDOW": "0",
    }
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "xinyong.api.app:app_from_env",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not come up in 60 s")


async def drive(
    base: str, clients: int, seconds: float, request: Any, warmup: float
) -> dict[str, Any]:
    """``clients`` tasks send ``request(client)`` until the time is up; latencies in ms."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        start = time.perf_counter()
        measure_from = start + warmup
        end = measure_from + seconds

        async def one() -> None:
            while (now := time.perf_counter()) < end:
                try:
                    r = await request(client)
                    status = str(r.status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                done = time.perf_counter()
                if now < measure_from:
                    continue
                if status == "200":
                    latencies.append((done - now) * 1000)
                else:
                    errors[status] = errors.get(status, 0) + 1

        await asyncio.gather(*(one() for _ in range(clients)))
    latencies.sort()

    def q(p: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)
            if latencies
            else None
        )

    return {
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / seconds, 1),
        "p50_ms": q(0.50),
        "p99_ms": q(0.99),
        "errors": errors,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.db_url:
        url, token = postgres_store(args.subjects, args.db_url)
        backend = "postgresql"
    else:
        url, token = sqlite_store(args.subjects, Path(args.cache_dir))
        backend = "sqlite"
    rng = random.Random(42)
    sample = [ric(rng.randrange(args.subjects)) for _ in range(10_000)]
    headers = {"Authorization": f"Bearer {token}"}

    async def report(client: httpx.AsyncClient) -> httpx.Response:
        body = {
            "identifier": {"scheme": "cn_ric", "value": rng.choice(sample)},
            "purpose": "credit_application",
        }
        return await client.post("/v1/inquirer/inquiries", json=body, headers=headers)

    async def health(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/health")

    with tempfile.TemporaryDirectory() as home:
        proc, base = start_server(url, args.workers, Path(home))
        try:
            check = httpx.post(
                f"{base}/v1/inquirer/inquiries",
                json={"identifier": {"scheme": "cn_ric", "value": sample[0]},
                      "purpose": "credit_application"},
                headers=headers, timeout=30,
            )  # fmt: skip
            check.raise_for_status()
            doc = check.json()["report"]
            shape = {
                "accounts": len(doc["accounts"]),
                "public_records": len(doc["public_records"]),
                "bytes": len(check.content),
            }
            results = {}
            for name, fn in (("health", health), ("report", report)):
                cpu0 = server_cpu_seconds(proc.pid)
                results[name] = asyncio.run(
                    drive(base, args.clients, args.seconds, fn, args.warmup)
                )
                cpu = server_cpu_seconds(proc.pid) - cpu0
                # Requests served in warmup + measured time, at the measured rate.
                served = results[name]["requests"] * (args.seconds + args.warmup) / args.seconds
                # Server CPU per request: what the machine's other load does not change.
                results[name]["server_cpu_ms_per_request"] = round(cpu * 1000 / max(served, 1), 2)
                print(f"{name:>7}: {results[name]}", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    h, r = results["health"]["throughput_rps"], results["report"]["throughput_rps"]
    ratio = round(r / h, 3) if h else None
    cpus = min(args.workers, os.cpu_count() or 1)
    cpu_h = results["health"]["server_cpu_ms_per_request"]
    cpu_r = results["report"]["server_cpu_ms_per_request"]
    # What the same server would do with the cores to itself (no other load, no client).
    idle = {
        "report_rps": round(cpus * 1000 / cpu_r, 1) if cpu_r else None,
        "health_rps": round(cpus * 1000 / cpu_h, 1) if cpu_h else None,
        "ratio": round(cpu_h / cpu_r, 3) if cpu_r else None,
        "report_mean_latency_ms_at_clients": round(args.clients * cpu_r / cpus, 1),
    }
    return {
        "benchmark": "service",
        "backend": backend,
        "subjects": args.subjects,
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "example_report": shape,
        "health": results["health"],
        "report": results["report"],
        "report_to_health_ratio": ratio,
        "cpu_bound_estimate": idle,
        "targets": {
            "report_p99_under_50ms": (results["report"]["p99_ms"] or 1e9) < 50,
            "ratio_at_least_one_third": (ratio or 0) >= 1 / 3,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--db-url", default=None, help="PostgreSQL URL; default: cached SQLite")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) / "xinyong-bench"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seed-only", action="store_true", help="seed (or reuse) and stop")
    args = parser.parse_args()
    if args.seed_only:
        if args.db_url:
            postgres_store(args.subjects, args.db_url)
        else:
            sqlite_store(args.subjects, Path(args.cache_dir))
        return
    out = run(args)
    print(
        f"report/health throughput ratio {out['report_to_health_ratio']} (target >= 0.333); "
        f"report p99 {out['report']['p99_ms']} ms (target < 50 ms)"
    )
    print(f"server CPU per request -> idle-machine estimate: {out['cpu_bound_estimate']}")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
