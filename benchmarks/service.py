"""Service throughput and latency: the inquirer report endpoint against /health, same server.

    .venv/bin/python benchmarks/service.py                          # 1M subjects, SQLite
    .venv/bin/python benchmarks/service.py --db-url postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python benchmarks/service.py --subjects 20000 --seconds 5 --json

What is measured. A store is seeded with ``--subjects`` synthetic subjects
straight into the published-file tables (``service_seed.py``: names, a CN
resident ID, 1-4 accounts with 24 months of history, public records, a score
with reasons, and each subject's pre-serialised report part, as publishing
writes it). The SQLite store is cached under the temp dir by a hash of
(subjects, seed version, migration head) and reused; after a new migration a
copy of a store seeded the same way at an earlier revision is upgraded instead
of seeding again (seconds, not minutes). On PostgreSQL the seed goes into its
own schema, reused the same way. Before each run the rows that earlier runs
added (inquiries, inquiry requests, rate counters, the inquiry chain, audit
events after the seed's) are deleted, so every run starts from the same store. Then
``xinyong serve --workers W`` serves the app on 127.0.0.1 in a subprocess
(uvicorn on uvloop and httptools, no access log), and ``--clients`` keep-alive connections
(``service_load.py``: raw asyncio, one process) drive it in a closed loop for
``--seconds`` after ``--warmup``:

* ``report``: ``POST /v1/inquirer/inquiries`` for a random subject (by its
  resident ID) with a permissible purpose: authenticate the key, check the
  purpose, resolve the identifier hash, read the report (published part,
  score and reasons, inquiries), then record the inquiry, its request row and
  its inquiry-chain link (group commit; on SQLite in the inquiry log's own
  file) before answering;
* ``health``: ``GET /health``, the trivial endpoint, as the baseline.

With ``--inquiry score`` the inquiry driven is a score inquiry instead,
``POST /v1/inquirer/score`` with the same body (the subject's latest score and
its reasons, recorded alike), and the figures are named ``score`` where they
are named ``report`` above.

The two endpoints alternate, ``--rounds`` times each (health, report, health,
...; ``--seconds`` per endpoint in all): the machine is shared, and the CPU the
other sessions leave changes from minute to minute (Linux gives each session,
not each thread, its share of the cores), so a ratio of two phases run one after
the other measured the machine's load as much as the server. For each endpoint
the server's threads' time spent runnable but waiting for a CPU is shown too
(``server_runqueue_wait_per_s``, from the scheduler's accounts): when it is
large, the cores the server did not use were not idle but taken by other work.
And the share of the machine's CPU time that its hypervisor reports having
given to other machines meanwhile (``machine_steal_share``, from
``/proc/stat``): every figure here is slower by about that much. Not every host
reports all it takes: on one machine the health endpoint's slices of a single
run ranged from 6,500 to 11,000 responses/s with a steal of 0.1%, so only
alternated runs, and the CPU per request, compare two versions.

The per-key inquiry rate limit is switched off for the server (one key carries
all the load). The client shares the cores with the server: its CPU time is
measured and shown as a share of the machine, and the server's CPU per request
(its processes' user + system time over the requests served) is the figure
that the machine's other load changes least.

Closed-loop arithmetic: with ``clients`` requests always in flight, the mean
latency is ``clients / throughput`` (Little's law), and p99 >= mean; so p99 <
50 ms at 100 clients needs more than 2,000 responses/s. The health endpoint's
own throughput on the same machine shows whether that is within reach at all.

Printed: throughput (ok responses/s), p50 and p99 latency, errors, CPU per
request (server and client; on PostgreSQL the database's too, and that split by
the role of the session it served: the workers' readers, their recorders, and
everything else, told apart by the sessions' ``application_name``), each
slice's throughput and how its connections were spread over the workers
(``worker_connections``), the report/health throughput ratio, and the
closed-loop bound. Targets (issue 7):
p99 < 50 ms at 100 clients and ratio >= 1/3. ``--json`` prints one JSON object
as the last stdout line.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from alembic.script import ScriptDirectory
from service_load import LoadResult, build_request, run_load
from service_seed import SEED_VERSION, ric, seed
from sqlalchemy import delete, event, func, make_url, select, text

from xinyong.api import raw_reads, recorder
from xinyong.store import inquiry_log
from xinyong.store.dispute_schema import recipient_notices
from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import alembic_config, current_revision, head_revision, upgrade
from xinyong.store.schema import audit_events, inquiries, inquiry_events, store_meta
from xinyong.store.service_schema import inquiry_requests, rate_counters

HASH_KEY = "bench-service-key"
TOKEN_KEY = "bench_inquirer_token"
AUDIT_KEY = "bench_seed_audit_seq"
# What a store was seeded with (subjects and seed version), whatever its schema revision.
SEEDED_KEY = "bench_seeded"
TARGET_P99_MS = 50.0
# Seconds driven unmeasured when a later round switches endpoints: the closed loop
# settles at once (no cache to warm), but the first responses straddle the switch.
RESWITCH_WARMUP = 0.5


def _seed_hash(subjects: int) -> str:
    """Changes with the subject count, the seed and the schema revision seeded."""
    key = f"{subjects}|{SEED_VERSION}|{head_revision()}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _seeded(subjects: int) -> str:
    return f"{subjects}|{SEED_VERSION}"


def _meta(url: str, key: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(store_meta.c.value).where(store_meta.c.key == key))
            value = row.scalar()
            return str(value) if value else None
    except Exception:  # no store yet, or not seeded
        return None
    finally:
        engine.dispose()


def _token(url: str) -> str | None:
    return _meta(url, TOKEN_KEY)


def _upgradable(cache_dir: Path, subjects: int) -> Path | None:
    """A store of this cache seeded the same way at an earlier schema revision that
    this code's migrations know, if any: upgrading a copy takes seconds, seeding 1M
    subjects again minutes (the cache key changes with every migration)."""
    known = {r.revision for r in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    for candidate in sorted(cache_dir.glob("service-*.sqlite3")):
        url = f"sqlite:///{candidate}"
        if _meta(url, SEEDED_KEY) == _seeded(subjects) and current_revision(url) in known:
            return candidate
    return None


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
            seq = conn.execute(select(func.coalesce(func.max(audit_events.c.seq), 0))).scalar()
            conn.execute(store_meta.insert().values(key=TOKEN_KEY, value=token))
            conn.execute(store_meta.insert().values(key=AUDIT_KEY, value=str(seq)))
            conn.execute(store_meta.insert().values(key=SEEDED_KEY, value=_seeded(subjects)))
        if engine.dialect.name == "postgresql":
            # VACUUM, not ANALYZE alone: a table just bulk-loaded has no visibility
            # map, so every index-only scan also reads the heap page of each row
            # until autovacuum gets to it; a store in service has been vacuumed.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                tables = conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                ).scalars()
                conn.execute(text(f"VACUUM (ANALYZE) {', '.join(sorted(tables))}"))
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
        _remove_store(path)
    partial = path.with_suffix(".partial")
    for leftover in cache_dir.glob(partial.name + "*"):
        leftover.unlink()
    earlier = _upgradable(cache_dir, subjects)
    if earlier is not None:
        print(f"upgrading a copy of {earlier} to {head_revision()} ...", flush=True)
        for source, target in zip(_store_files(earlier), _store_files(partial), strict=True):
            if source.exists():
                shutil.copyfile(source, target)
        upgrade(f"sqlite:///{partial}")
        token = _token(f"sqlite:///{partial}")
        if token:
            _rename_store(partial, path)
            return url, token
        _remove_store(partial)
    print(f"seeding {subjects:,} subjects into {path} ...", flush=True)
    token = _seed_into(f"sqlite:///{partial}", subjects)
    _rename_store(partial, path)
    return url, token


def _store_files(path: Path) -> tuple[Path, Path]:
    """A SQLite store's file and its inquiry log's (``xinyong.store.inquiry_log``)."""
    return path, inquiry_log.path_for(path)


def _rename_store(source: Path, target: Path) -> None:
    # The inquiry log first: the store's own file is what marks the cache entry done.
    for old, new in reversed(list(zip(_store_files(source), _store_files(target), strict=True))):
        if old.exists():
            old.rename(new)


def _remove_store(path: Path) -> None:
    for file in _store_files(path):
        file.unlink(missing_ok=True)


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


def reset_store(url: str) -> int:
    """Delete what earlier runs added (inquiries, their requests, rate counters, the
    inquiry chain, the audit events after the seed's: a cut at the chain's tail,
    which stays valid), so
    that every run serves the same reports. Returns the rows deleted."""
    engine = make_engine(url)
    try:
        with transaction(engine) as conn:
            seq = conn.execute(select(store_meta.c.value).where(store_meta.c.key == AUDIT_KEY))
            seed_seq = int(seq.scalar_one())
            # Each emptied whole; the audit chain cut after the seed's events.
            emptied = (inquiry_requests, rate_counters, inquiry_events, inquiries)
            cut = delete(audit_events).where(audit_events.c.seq > seed_seq)
            n = conn.execute(cut).rowcount or 0
            if engine.dialect.name != "postgresql":
                for table in emptied:
                    n += conn.execute(delete(table)).rowcount or 0
                return n
            # PostgreSQL: truncated (runs add no recipient notices; the seed has none,
            # and they refer to inquiries). Deleted row by row, each inquiry
            # checked its foreign key by scanning the requests (no index on
            # ``inquiry_id``): minutes once a few runs had been made. And with
            # autovacuum off (as on this project's CI machine) the deleted rows
            # stayed, run after run (1.1M after a session's runs): each report's
            # read of its subject's inquiries stepped over their index entries,
            # PostgreSQL's read CPU a report 0.15 -> 0.28 ms. Not VACUUM instead:
            # a table vacuumed empty is planned as empty (sequential scans), and
            # a reader's plan, prepared at the run's start, stays so as the run
            # fills it (905 reports/s against 2,800); a truncated one is planned
            # as of unknown size.
            for table in emptied:
                n += conn.execute(select(func.count()).select_from(table)).scalar_one()
            names = ", ".join(t.name for t in (*emptied, recipient_notices))
            conn.execute(text(f"TRUNCATE {names}"))
        return n
    finally:
        engine.dispose()


def _cpu_by_process(pick: Any) -> dict[int, float]:
    """CPU time (user + system) so far of each process ``pick(pid, ppid, name)``
    selects, by pid (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, rest = stat.read_text().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = rest.split()
        pid = int(stat.parent.name)
        if pick(pid, int(fields[1]), head.split("(", 1)[1]):
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def _cpu_seconds(pick: Any) -> float:
    """CPU time (user + system) so far of the processes ``pick(pid, ppid, name)`` selects."""
    return sum(_cpu_by_process(pick).values())


def server_cpu_seconds(pid: int) -> float:
    """CPU time of the server and its worker processes so far (Linux /proc)."""
    return _cpu_seconds(lambda p, ppid, _name: pid in (p, ppid))


def server_read_syscalls(pid: int) -> int:
    """Read system calls so far of the server and its workers (``/proc/<pid>/io``
    ``syscr``). Reads of the request sockets count too (``/health``'s figure is
    that part); on SQLite the rest are pages that SQLite's own cache did not hold."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if pid not in (int(stat.parent.name), ppid):
                continue
            io = (stat.parent / "io").read_text()
        except (OSError, ValueError, IndexError):
            continue
        for line in io.splitlines():
            if line.startswith("syscr:"):
                total += int(line.split()[1])
    return total


# TCP states as /proc/net/tcp writes them.
ESTABLISHED: Final = "01"
LISTEN: Final = "0A"


def worker_sockets(pid: int, port: int, state: str) -> dict[int, set[str]]:
    """Each worker process of the server ``pid`` (Linux /proc) and the sockets it
    holds on ``port`` in the TCP ``state`` (``ESTABLISHED``, ``LISTEN``), by inode."""
    local = f":{port:04X}"
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(local) and fields[3] == state:
                inodes.add(f"socket:[{fields[9]}]")
    out: dict[int, set[str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) != pid:
                continue
            if b"spawn_main" not in (stat.parent / "cmdline").read_bytes():
                continue  # not a worker (multiprocessing's resource tracker)
            held = {os.readlink(fd) for fd in (stat.parent / "fd").iterdir()}
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        out[int(stat.parent.name)] = held & inodes
    return out


def worker_connections(pid: int, port: int) -> list[int]:
    """How the established connections to ``port`` are spread over the server's
    worker processes, busiest first.

    Why: a worker runs on one core at most (its threads share one interpreter
    lock), so a lopsided split caps a slice's throughput whatever the code
    costs. Each slice's client connects its ``--clients`` at once; on one
    listening socket shared by the workers (uvicorn's ``--workers``), whichever
    was awake took most of such a burst, splits from 50/50 to 100/0, and the
    figures varied with the split more than with the code. ``xinyong serve``
    now gives each worker a socket of its own (``xinyong.api.workers``).
    """
    held = worker_sockets(pid, port, ESTABLISHED).values()
    return sorted((len(sockets) for sockets in held), reverse=True)


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on the machine so far: the database's share
    of a request, which the server's own figure leaves out (other sessions' work on
    the same PostgreSQL counts too, so it is an upper bound)."""
    return _cpu_seconds(lambda _p, _ppid, name: name.startswith("postgres"))


# The service's PostgreSQL sessions by ``application_name``, and what they do.
PG_ROLES: Final = {raw_reads.APPLICATION_NAME: "read", recorder.APPLICATION_NAME: "record"}


def postgres_cpu_by_process() -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL process on the machine, by pid."""
    return _cpu_by_process(lambda _p, _ppid, name: name.startswith("postgres"))


def postgres_roles(engine: Any) -> dict[int, str]:
    """The service's PostgreSQL sessions now: backend pid -> ``PG_ROLES`` role."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT pid, application_name FROM pg_stat_activity")).all()
    return {int(pid): PG_ROLES[name] for pid, name in rows if name in PG_ROLES}


def postgres_split(
    before: dict[int, float], after: dict[int, float], roles: dict[int, str]
) -> dict[str, float]:
    """PostgreSQL's CPU between two ``postgres_cpu_by_process`` snapshots, by the
    role of the session each process served (``other``: background processes, and
    anything else on the same server)."""
    out = {"read": 0.0, "record": 0.0, "other": 0.0}
    for pid, cpu in after.items():
        out[roles.get(pid, "other")] += cpu - before.get(pid, 0.0)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_settings(url: str, home: Path) -> dict[str, str]:
    """The deployment's settings (environment) for a benchmark's service on ``url``."""
    return {
        "XINYONG_DB_URL": url,
        "XINYONG_HOME": str(home),
        "XINYONG_HASH_KEY": HASH_KEY,
        "XINYONG_JURISDICTION": "US",
        # One key drives all the load: the per-key inquiry limit (600 a minute by
        # default, a counter write per inquiry) would turn the run into 429s.
        "XINYONG_LIMIT_INQUIRIES_PER_WINDOW": "0",
    }


# The inquiry endpoints ``--inquiry`` drives, by name.
INQUIRY_PATHS: Final = {"report": "/v1/inquirer/inquiries", "score": "/v1/inquirer/score"}


def report_inquiry(value: str) -> bytes:
    """The body of the benchmark's report inquiry for the subject holding RIC ``value``."""
    return json.dumps(
        {"identifier": {"scheme": "cn_ric", "value": value}, "purpose": "credit_application"}
    ).encode()


def start_server(url: str, workers: int, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, **server_settings(url, home)}
    # ``xinyong serve``, as an operator starts the service (uvloop, httptools, no
    # access log): the figures are those of the deployment, not of a tuned command line.
    cmd = [
        sys.executable, "-c", "from xinyong.cli import app; app()",
        "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
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


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _quantile_bound(clients: int, p99_ms: float) -> float:
    """The throughput a closed loop of ``clients`` needs for a mean latency under ``p99_ms``."""
    return clients / (p99_ms / 1000)


def machine_steal_seconds() -> float:
    """CPU seconds so far, over all cores, that the hypervisor ran other machines
    while this one had work ("steal", ``/proc/stat``; 0 where there is none)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def server_sched_seconds(pid: int) -> tuple[float, float]:
    """(on-CPU, waiting-for-a-CPU) seconds so far of the server's threads, from the
    scheduler's own accounts (``/proc/<pid>/task/<tid>/schedstat``). The second is
    time a thread was runnable while the CPUs ran something else: other sessions'
    work, on this shared machine."""
    on_cpu = waiting = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if pid not in (int(stat.parent.name), ppid):
                continue
            for task in (stat.parent / "task").iterdir():
                ran, waited, _slices = (task / "schedstat").read_text().split()
                on_cpu, waiting = on_cpu + int(ran), waiting + int(waited)
        except (OSError, ValueError):  # the process or thread has gone
            continue
    return on_cpu / 1e9, waiting / 1e9


@dataclass
class Slice:
    """One endpoint driven for one stretch: the load's result and the server's accounts."""

    load: LoadResult
    warmup: float
    server_cpu_s: float
    postgres_cpu_s: float
    runqueue_wait_s: float
    read_syscalls: int
    steal_s: float = 0.0  # the machine's steal (``machine_steal_seconds``)
    # PostgreSQL's CPU by the role of the session served (``postgres_split``).
    postgres_split: dict[str, float] | None = None
    # The client's connections per worker, busiest first (``worker_connections``).
    connections: list[int] | None = None


def drive(
    proc: subprocess.Popen[bytes],
    port: int,
    clients: int,
    seconds: float,
    warmup: float,
    next_request: Any,
    pg_engine: Any = None,
) -> Slice:
    """Drive one endpoint for ``warmup + seconds`` and take the server's accounts
    (with ``pg_engine``, PostgreSQL's CPU split by its sessions' roles too)."""
    cpu0, db0 = server_cpu_seconds(proc.pid), postgres_cpu_seconds()
    by_process = postgres_cpu_by_process() if pg_engine is not None else {}
    wait0, steal0 = server_sched_seconds(proc.pid)[1], machine_steal_seconds()
    reads0 = server_read_syscalls(proc.pid)
    spread: list[list[int]] = []
    # Taken once the warmup has connected every client, while the load runs.
    count = threading.Timer(warmup, lambda: spread.append(worker_connections(proc.pid, port)))
    count.start()
    load: LoadResult = run_load("127.0.0.1", port, clients, seconds, warmup, next_request)
    count.cancel()
    split = None
    if pg_engine is not None:  # the service's sessions are still open: their roles
        split = postgres_split(by_process, postgres_cpu_by_process(), postgres_roles(pg_engine))
    return Slice(
        load=load,
        warmup=warmup,
        server_cpu_s=server_cpu_seconds(proc.pid) - cpu0,
        postgres_cpu_s=postgres_cpu_seconds() - db0,
        runqueue_wait_s=server_sched_seconds(proc.pid)[1] - wait0,
        read_syscalls=server_read_syscalls(proc.pid) - reads0,
        steal_s=machine_steal_seconds() - steal0,
        postgres_split=split,
        connections=spread[0] if spread else None,
    )


def summarise(slices: list[Slice], postgres: bool) -> dict[str, Any]:
    """One endpoint's figures over its slices: latencies pooled, CPU per request."""
    pooled = LoadResult()
    for part in slices:
        pooled.latencies_ms += part.load.latencies_ms
        for status, n in part.load.statuses.items():
            pooled.statuses[status] = pooled.statuses.get(status, 0) + n
        pooled.seconds += part.load.seconds
        pooled.client_cpu_s += part.load.client_cpu_s
    out = pooled.summary()
    # The server's CPU is counted over warmup + measured time: requests served in
    # that span, at each slice's measured rate.
    served = max(
        sum(
            len(p.load.latencies_ms) * (p.load.seconds + p.warmup) / p.load.seconds for p in slices
        ),
        1,
    )
    wall = sum(p.load.seconds + p.warmup for p in slices)
    cpu = sum(p.server_cpu_s for p in slices)
    out["server_cpu_ms_per_request"] = round(cpu * 1000 / served, 3)
    out["server_read_syscalls_per_request"] = round(
        sum(p.read_syscalls for p in slices) / served, 2
    )
    if postgres:
        db = sum(p.postgres_cpu_s for p in slices)
        out["postgres_cpu_ms_per_request"] = round(db * 1000 / served, 3)
        split = {"read": 0.0, "record": 0.0, "other": 0.0}
        for p in slices:
            for role, seconds in (p.postgres_split or {}).items():
                split[role] += seconds
        out["postgres_cpu_ms_per_request_by_role"] = {
            role: round(seconds * 1000 / served, 3) for role, seconds in split.items()
        }
    out["client_cpu_ms_per_request"] = round(
        pooled.client_cpu_s * 1000 / max(out["requests"], 1), 3
    )
    cores = os.cpu_count() or 1
    out["client_share_of_machine"] = round(pooled.client_cpu_s / (pooled.seconds * cores), 3)
    out["server_share_of_machine"] = round(cpu / (wall * cores), 3)
    # Seconds per second that the server's threads waited, runnable, for a CPU that
    # other work had: when this is large, the machine was not idle, it was taken.
    out["server_runqueue_wait_per_s"] = round(sum(p.runqueue_wait_s for p in slices) / wall, 2)
    out["machine_steal_share"] = round(sum(p.steal_s for p in slices) / (wall * cores), 3)
    out["slices"] = len(slices)
    out["connections_per_worker"] = [p.connections for p in slices]
    out["throughput_rps_per_slice"] = [
        round(len(p.load.latencies_ms) / p.load.seconds, 1) for p in slices
    ]
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.db_url:
        url, token = postgres_store(args.subjects, args.db_url)
        backend = "postgresql"
    else:
        url, token = sqlite_store(args.subjects, Path(args.cache_dir))
        backend = "sqlite"
    print(f"reset: {reset_store(url):,} rows of earlier runs deleted", flush=True)
    rng = random.Random(42)
    sample = [ric(rng.randrange(args.subjects)) for _ in range(10_000)]
    results: dict[str, dict[str, Any]] = {}
    pg_engine = make_engine(url) if backend == "postgresql" else None
    with tempfile.TemporaryDirectory() as home:
        proc, base = start_server(url, args.workers, Path(home))
        port = int(base.rsplit(":", 1)[1])
        host = f"127.0.0.1:{port}"
        headers = [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")]
        kind, path = args.inquiry, INQUIRY_PATHS[args.inquiry]
        bodies = [build_request("POST", path, host, report_inquiry(v), headers) for v in sample]
        health_request = build_request("GET", "/health", host)
        try:
            check = httpx.post(
                f"{base}{path}",
                content=report_inquiry(sample[0]),
                headers=dict(headers),
                timeout=30,
            )
            check.raise_for_status()
            shape = {"bytes": len(check.content)}
            if kind == "report":
                doc = check.json()["report"]
                shape |= {
                    "accounts": len(doc["accounts"]),
                    "public_records": len(doc["public_records"]),
                }
            picks = iter(rng.choices(bodies, k=5_000_000))
            phases = (("health", lambda: health_request), (kind, lambda: next(picks)))
            # Interleaved (health, report, health, ...): the machine's other load
            # changes from minute to minute, and both must see the same.
            slices: dict[str, list[Slice]] = {name: [] for name, _ in phases}
            share = args.seconds / args.rounds
            for n in range(args.rounds):
                for name, next_request in phases:
                    warmup = args.warmup if n == 0 else min(args.warmup, RESWITCH_WARMUP)
                    part = drive(proc, port, args.clients, share, warmup, next_request, pg_engine)
                    slices[name].append(part)
            for name, parts in slices.items():
                results[name] = summarise(parts, postgres=bool(args.db_url))
                print(f"{name:>7}: {results[name]}", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if pg_engine is not None:
                pg_engine.dispose()
    h, r = results["health"]["throughput_rps"], results[kind]["throughput_rps"]
    ratio = round(r / h, 3) if h else None
    cpus = min(args.workers, os.cpu_count() or 1)
    cpu_h = results["health"]["server_cpu_ms_per_request"]
    cpu_r = results[kind]["server_cpu_ms_per_request"]
    needed = _quantile_bound(args.clients, TARGET_P99_MS)
    # What the same server would do with the cores to itself (no other load, no client).
    idle = {
        f"{kind}_rps": round(cpus * 1000 / cpu_r, 1) if cpu_r else None,
        "health_rps": round(cpus * 1000 / cpu_h, 1) if cpu_h else None,
        "ratio": round(cpu_h / cpu_r, 3) if cpu_r else None,
        f"{kind}_mean_latency_ms_at_clients": round(args.clients * cpu_r / cpus, 1),
    }
    return {
        "benchmark": "service",
        "backend": backend,
        "subjects": args.subjects,
        "clients": args.clients,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "workers": args.workers,
        "server": {
            "loop": "uvloop" if _installed("uvloop") else "asyncio",
            "http": "httptools" if _installed("httptools") else "h11",
        },
        "inquiry": kind,
        f"example_{kind}": shape,
        "health": results["health"],
        kind: results[kind],
        f"{kind}_to_health_ratio": ratio,
        f"{kind}_to_health_cpu_ratio": round(cpu_h / cpu_r, 3) if cpu_r else None,
        "cpu_bound_estimate": idle,
        "closed_loop": {
            "rule": "mean latency = clients / throughput; p99 >= mean",
            "throughput_needed_for_p99_target_rps": round(needed, 1),
            f"{kind}_mean_latency_ms": round(args.clients * 1000 / r, 1) if r else None,
            "health_mean_latency_ms": round(args.clients * 1000 / h, 1) if h else None,
            "health_reaches_needed_throughput": h >= needed,
        },
        "targets": {
            f"{kind}_p99_under_50ms": (results[kind]["p99_ms"] or 1e9) < TARGET_P99_MS,
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
    parser.add_argument(
        "--rounds", type=int, default=5, help="health and report alternate, each --seconds/rounds"
    )
    parser.add_argument(
        "--inquiry", choices=sorted(INQUIRY_PATHS), default="report", help="the inquiry driven"
    )
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
    k, driven = args.inquiry, out[args.inquiry]
    print(
        f"{k}/health throughput ratio {out[f'{k}_to_health_ratio']} (target >= 0.333); "
        f"{k} p99 {driven['p99_ms']} ms (target < 50 ms)"
    )
    loop = out["closed_loop"]
    print(
        f"closed loop: {args.clients} clients need > {loop['throughput_needed_for_p99_target_rps']}"
        f" responses/s for p99 < {TARGET_P99_MS:.0f} ms; health reaches"
        f" {out['health']['throughput_rps']}/s (mean {loop['health_mean_latency_ms']} ms),"
        f" {k} {driven['throughput_rps']}/s (mean {loop[f'{k}_mean_latency_ms']} ms)"
    )
    print(
        f"server CPU per request: {k} {driven['server_cpu_ms_per_request']} ms,"
        f" health {out['health']['server_cpu_ms_per_request']} ms"
        f" (ratio {out[f'{k}_to_health_cpu_ratio']});"
        f" client CPU per request: {k} {driven['client_cpu_ms_per_request']} ms"
        f" ({driven['client_share_of_machine']:.0%} of the machine)"
    )
    print(f"server CPU per request -> idle-machine estimate: {out['cpu_bound_estimate']}")
    print(
        f"the hypervisor's steal: {out['health']['machine_steal_share']:.1%} of the machine"
        f" while health ran, {driven['machine_steal_share']:.1%} while {k} ran"
    )
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
