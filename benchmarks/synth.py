"""How fast the synthetic population generator writes accounts, and in how much memory.

    python benchmarks/synth.py [--accounts N] [--workers W] [--json]

Generates populations sized for N/4, N/2 and N accounts (each in its own
process, so peak memory is that run's own), and prints accounts/second and
peak resident memory for each, so that a memory that grows with size shows.
Memory is reported for the process that writes the files and for the largest
worker process that generates chunks (``--workers``, default one per CPU).
The machine's load average before and after each run is printed too: other
work on the machine slows the generator down.
Target (issue 4): 1M accounts in under 2 minutes, memory flat as size grows.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _run(persons: int, seed: int, workers: int | None, queue: Any) -> None:
    from xinyong.synth import generate

    load_before = _load()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        cpu = time.process_time()
        summary = generate(persons, max(1, persons // 10), seed, Path(folder), workers=workers)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the workers, once joined
    queue.put(
        {
            "persons": persons,
            "accounts": summary.accounts,
            "public_records": summary.public_records,
            "seconds": round(elapsed, 2),
            "accounts_per_second": round(summary.accounts / elapsed),
            "cpu_seconds": round(cpu + children.ru_utime + children.ru_stime, 2),
            "peak_rss_mib": round(own.ru_maxrss / 1024, 1),
            "worker_peak_rss_mib": round(children.ru_maxrss / 1024, 1),
            "load_before": load_before,
            "load_after": _load(),
        }
    )


def measure(persons: int, seed: int, workers: int | None = None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(persons, seed, workers, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: one per CPU)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()

    probe = measure(2000, args.seed, 1)
    per_person = probe["accounts"] / probe["persons"]
    workers = args.workers or os.cpu_count() or 1
    print(f"{os.cpu_count()} CPUs, {workers} worker process(es)")
    runs = []
    for share in (0.25, 0.5, 1.0):
        persons = max(100, int(args.accounts * share / per_person))
        run = measure(persons, args.seed, args.workers)
        runs.append(run)
        print(
            f"{run['accounts']:>10,} accounts  {run['seconds']:>8.1f} s  "
            f"{run['accounts_per_second']:>8,} accounts/s  peak {run['peak_rss_mib']:>7.1f} MiB "
            f"(workers {run['worker_peak_rss_mib']:>7.1f} MiB)  "
            f"load {run['load_before']:.1f} -> {run['load_after']:.1f}"
        )
    growth = runs[-1]["peak_rss_mib"] / runs[0]["peak_rss_mib"]
    worker_growth = (
        runs[-1]["worker_peak_rss_mib"] / runs[0]["worker_peak_rss_mib"]
        if runs[0]["worker_peak_rss_mib"]
        else 1.0
    )
    print(
        f"peak memory at full size / at a quarter: {growth:.2f}x, "
        f"workers {worker_growth:.2f}x (flat is 1.0)"
    )
    if args.json:
        print(
            json.dumps(
                {
                    "cpus": os.cpu_count(),
                    "workers": workers,
                    "runs": runs,
                    "memory_growth": round(growth, 3),
                    "worker_memory_growth": round(worker_growth, 3),
                }
            )
        )


if __name__ == "__main__":
    main()
