"""How fast the synthetic population generator writes accounts, and in how much memory.

    python benchmarks/synth.py [--accounts N] [--json]

Generates populations sized for N/4, N/2 and N accounts (each in its own
process, so peak memory is that run's own), and prints accounts/second and
peak resident memory for each, so that a memory that grows with size shows.
Target (issue 4): 1M accounts in under 2 minutes, memory flat as size grows.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path
from typing import Any


def _run(persons: int, seed: int, queue: Any) -> None:
    from xinyong.synth import generate

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        summary = generate(persons, max(1, persons // 10), seed, Path(folder))
        elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put(
        {
            "persons": persons,
            "accounts": summary.accounts,
            "public_records": summary.public_records,
            "seconds": round(elapsed, 2),
            "accounts_per_second": round(summary.accounts / elapsed),
            "peak_rss_mib": round(peak_kib / 1024, 1),
        }
    )


def measure(persons: int, seed: int) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(persons, seed, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()

    probe = measure(2000, args.seed)
    per_person = probe["accounts"] / probe["persons"]
    runs = []
    for share in (0.25, 0.5, 1.0):
        persons = max(100, int(args.accounts * share / per_person))
        run = measure(persons, args.seed)
        runs.append(run)
        print(
            f"{run['accounts']:>10,} accounts  {run['seconds']:>8.1f} s  "
            f"{run['accounts_per_second']:>8,} accounts/s  peak {run['peak_rss_mib']:>7.1f} MiB"
        )
    growth = runs[-1]["peak_rss_mib"] / runs[0]["peak_rss_mib"]
    print(f"peak memory at full size / at a quarter: {growth:.2f}x (flat is 1.0)")
    if args.json:
        print(json.dumps({"runs": runs, "memory_growth": round(growth, 3)}))


if __name__ == "__main__":
    main()
