"""The report inquiry's reads alone, on a seeded store: CPU and page reads per report.

    .venv/bin/python benchmarks/service_reads.py --store /tmp/xinyong-bench/service-<hash>.sqlite3
    .venv/bin/python benchmarks/service_reads.py --db-url postgresql+psycopg://...?options=-csearch_path%3Dxybench_<hash>
    .venv/bin/python benchmarks/service_reads.py --store ... --plans   # EXPLAIN QUERY PLAN

Why apart from ``service.py``: the service's CPU per report mixes HTTP, JSON,
the recording transaction and the reads; this runs only what the worker's read
connection does for one report (``inquiry.find_subject`` and
``RawReader.report``, the same code), for ``--reports`` random subjects of a
store that ``service.py`` seeded (``--seed-only``), after ``--warmup`` reports
that fill the page cache as a running worker's would be. Printed per report:
the process's CPU (user + system) and its read system calls
(``/proc/self/io`` ``syscr``: on SQLite each is one page not in SQLite's own
cache, the figure the profile showed dominating). ``--json`` prints one JSON
object as the last line.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from service_seed import NOW, ric

from xinyong.api.inquiry import find_subject
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


def _plans(engine: Any) -> None:
    """Each hot-path statement's plan, with placeholder values."""
    conn = dbapi.detached_connection(engine, autocommit=True)
    try:
        for name, sql in _SQL.items():
            params = ["x"] * sql.count("?")
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
    args = parser.parse_args()
    url = args.db_url or f"sqlite:///{args.store}"
    engine = make_engine(url)
    if args.plans:
        _plans(engine)
        return
    profile = get_profile("CN")
    now = NOW + timedelta(hours=1)
    reader = RawReader(engine)
    rng = random.Random(args.seed)

    def one(i: int) -> None:
        body = InquiryIn.model_validate(
            {"identifier": {"scheme": "cn_ric", "value": ric(i)}, "purpose": "loan_origination"}
        )
        subject_id = find_subject(reader, HASH_KEY, body)
        reader.report(subject_id, now, profile)

    for _ in range(args.warmup):
        one(rng.randrange(args.subjects))
    picks = [rng.randrange(args.subjects) for _ in range(args.reports)]
    cpu0, io0, t0 = _cpu(), _read_syscalls(), time.perf_counter()
    for i in picks:
        one(i)
    cpu, io, wall = _cpu() - cpu0, _read_syscalls() - io0, time.perf_counter() - t0
    reader.close()
    engine.dispose()
    out = {
        "backend": engine.dialect.name,
        "reports": args.reports,
        "cpu_ms_per_report": round(1000 * cpu / args.reports, 4),
        "read_syscalls_per_report": round(io / args.reports, 2),
        "wall_ms_per_report": round(1000 * wall / args.reports, 4),
    }
    for key, value in out.items():
        print(f"{key:26} {value}")
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
