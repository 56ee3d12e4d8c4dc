"""The report inquiry's reads alone, on a seeded store: CPU and page reads per report.

    .venv/bin/python benchmarks/service_reads.py --store /tmp/xinyong-bench/service-<hash>.sqlite3
    .venv/bin/python benchmarks/service_reads.py --db-url postgresql+psycopg://...?options=-csearch_path%3Dxybench_<hash>
    .venv/bin/python benchmarks/service_reads.py --store ... --plans   # EXPLAIN QUERY PLAN
    .venv/bin/python benchmarks/service_reads.py --db-url ... --path two-step

Why apart from ``service.py``: the service's CPU per report mixes HTTP, JSON,
the recording transaction and the reads; this runs only what the worker's read
connection does for one report, the same code as the service: the holder
lookup with the report's reads (``RawReader.holders_and_report``, then
``inquiry.resolve_holders``), as the service does for a report on both backends
(one statement each), or the lookup and then ``RawReader.report`` (``--path
two-step``), as wherever the lookup's reads are not the report's (a merged
holder). For ``--reports`` random subjects of a store that ``service.py`` seeded
(``--seed-only``), after ``--warmup`` reports that fill the page cache as a
running worker's would be. Printed per report:
the process's CPU (user + system), on PostgreSQL the CPU of the reader's own
backend process (this session's alone, unlike ``service.py``'s figure for all
of PostgreSQL), and the read system calls (``/proc/self/io`` ``syscr``: on
SQLite each is one page not in SQLite's own cache, the figure the profile
showed dominating). ``--json`` prints one JSON object as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from service_seed import NOW, ric

from xinyong.api.inquiry import identifier_key, resolve_holders
from xinyong.api.models import InquiryIn
from xinyong.api.raw_reads import _SQL, RawReader
from xinyong.policy.profiles import get_profile
from xinyong.store import dbapi
from xinyong.store.engine import make_engine

HASH_KEY = b"bench-service-key"  # as service.py seeds


def _read_syscalls() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("syscr:"):
            return int(line.split()[1])
    raise RuntimeError("no syscr in /proc/self/io")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu(reader: RawReader) -> float:
    """CPU seconds of the PostgreSQL backend serving ``reader`` (same machine): the
    database's share of the reads, this session's alone (0 on SQLite)."""
    conn = reader._conn
    if conn is None or not hasattr(conn, "info"):
        return 0.0
    fields = Path(f"/proc/{conn.info.backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _plans(engine: Any) -> None:
    """Each hot-path statement's plan, with placeholder values."""
    conn = dbapi.detached_connection(engine, autocommit=True)
    try:
        for name, sql in _SQL.items():
            params = ["2026-01-01"] * sql.count("?")  # a text and a timestamp alike
            prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
            rows = conn.execute(prefix + dbapi.sql_for(engine.dialect, sql), params).fetchall()
            print(f"-- {name}")
            for row in rows:
                print("   ", row[-1])
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--store", help="a seeded SQLite file")
    parser.add_argument("--db-url", help="a seeded PostgreSQL schema's URL")
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--path",
        choices=("service", "two-step", "combined"),
        default="service",
        help="the holder lookup, then the report's reads (two-step), or both in one go"
        " (combined); default: as the service does for a report (combined, on both backends)",
    )
    args = parser.parse_args()
    url = args.db_url or f"sqlite:///{args.store}"
    engine = make_engine(url)
    if args.plans:
        _plans(engine)
        return
    profile = get_profile("CN")
    now = NOW + timedelta(hours=1)
    reader = RawReader(engine)
    combined = args.path != "two-step"
    rng = random.Random(args.seed)

    def one(i: int) -> None:
        body = InquiryIn.model_validate(
            {"identifier": {"scheme": "cn_ric", "value": ric(i)}, "purpose": "loan_origination"}
        )
        scheme, value_hash = identifier_key(HASH_KEY, body)
        if not combined:
            reads = None
            subject_id = resolve_holders(reader, reader.holders(scheme, value_hash))
        else:
            holders, reads = reader.holders_and_report(scheme, value_hash, now, profile)
            subject_id = resolve_holders(reader, holders)
        if reads is None or reads.subject_id != subject_id:
            reader.report(subject_id, now, profile)

    for _ in range(args.warmup):
        one(rng.randrange(args.subjects))
    picks = [rng.randrange(args.subjects) for _ in range(args.reports)]
    cpu0, io0, t0, db0 = _cpu(), _read_syscalls(), time.perf_counter(), _backend_cpu(reader)
    for i in picks:
        one(i)
    cpu, io, wall = _cpu() - cpu0, _read_syscalls() - io0, time.perf_counter() - t0
    db = _backend_cpu(reader) - db0
    reader.close()
    engine.dispose()
    out = {
        "backend": engine.dialect.name,
        "reports": args.reports,
        "path": "combined" if combined else "two-step",
        "cpu_ms_per_report": round(1000 * cpu / args.reports, 4),
        "read_syscalls_per_report": round(io / args.reports, 2),
        "postgres_cpu_ms_per_report": round(1000 * db / args.reports, 4),
        "wall_ms_per_report": round(1000 * wall / args.reports, 4),
    }
    for key, value in out.items():
        print(f"{key:26} {value}")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
