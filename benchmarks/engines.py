"""The whole batch pipeline on DuckDB and on Spark, for growing ledgers.

    python benchmarks/engines.py [--accounts N [N ...]] [--engines duckdb spark]
                                 [--master local[2]] [--driver-memory 2g]
                                 [--duckdb-memory 2GB] [--months 1] [--resolve]
                                 [--keep DIR] [--json]

For each N (default 100k and 1M; 10M if asked) a synthetic population with
about N accounts is generated (:func:`xinyong.synth.generate`, ``--months``
monthly files per furnisher: 1 by default, one report per account slot; 12
or 24 as real furnishers report, each slot then has up to that many states
and takes the history merge) and ingested into a fresh ledger (not timed as
the pipeline; its time is printed). Its records are linked to their true
subjects (``truth/records.csv``), so both engines get the same links. Then
:func:`xinyong.pipeline.run.run_pipeline` (inputs, files, attributes, score,
write Parquet) runs on each engine in a child process of its own, and the
benchmark prints per engine and N:

* seconds of the pipeline, and of starting the engine (the JVM for Spark);
* CPU seconds of the child's whole process tree (engine start included):
  on a shared machine this is the figure that load inflates least;
* peak memory: the largest RSS sum over the child's whole process tree
  (Python, the JVM and Spark's Python workers), sampled every 0.2 s; DuckDB
  runs under ``--duckdb-memory`` (default 2GB: it spills past it, as
  ``xinyong run`` does under its own default), Spark with
  ``--driver-memory``;
* the Spark/DuckDB ratio of the pipeline seconds (the baseline, DuckDB, is
  measured in the same run);
* the ledger's Parquet bytes per account record (the basis of
  ``docs/scaling.md``).

``--resolve`` also times Splink resolution (:func:`xinyong.resolve.core.link_candidates`)
on each engine over the population's mentions; it is off by default because
Splink's training on local Spark takes minutes even for a few hundred
mentions on a loaded two-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

OBSERVATION = date(2026, 6, 30)
SEED = 20261129
HASH_KEY = b"xinyong-engines-benchmark-key-01"
ACCOUNTS_PER_PERSON_PROBE = 2000


# -- the population ------------------------------------------------------------


def accounts_per_person() -> float:
    """Accounts the generator writes per person (probed on a small population)."""
    from xinyong.synth import generate

    with tempfile.TemporaryDirectory() as tmp:
        summary = generate(ACCOUNTS_PER_PERSON_PROBE, 0, SEED, Path(tmp), formats=("parquet",))
    return summary.accounts / ACCOUNTS_PER_PERSON_PROBE


def build(root: Path, accounts: int, per_person: float, months: int = 1) -> dict[str, Any]:
    """Generate and ingest a population of about ``accounts`` account slots, each
    reported in up to ``months`` monthly files; write the links."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from xinyong.files import LINKS_SCHEMA
    from xinyong.ingest.pipeline import ingest_file
    from xinyong.ledger import Ledger, connect
    from xinyong.store import repositories
    from xinyong.store.engine import make_engine, transaction
    from xinyong.store.migrate import upgrade
    from xinyong.synth import generate

    persons = max(100, int(accounts / per_person))
    start = time.perf_counter()
    summary = generate(
        persons, persons // 10, SEED, root / "synth", observation_date=OBSERVATION, months=months
    )
    generated = time.perf_counter() - start

    store = make_engine(f"sqlite:///{root / 'store.sqlite3'}")
    upgrade(store)
    with transaction(store) as conn:
        for org in json.loads((root / "synth" / "furnishers.json").read_text()):
            repositories.add_organisation(
                conn,
                org_id=org["org_id"],
                name=org["name"],
                kind=org["kind"],
                roles=org["roles"],
                country=org["country"],
            )
    ledger = Ledger(root / "ledger")
    start = time.perf_counter()
    batch_of: dict[str, str] = {}
    for entry in json.loads((root / "synth" / "manifest.json").read_text())["files"]:
        report = ingest_file(
            root / "synth" / entry["path"],
            entry["furnisher_id"],
            ledger=ledger,
            engine=store,
            hash_key=HASH_KEY,
        )
        if report.status == "stored":
            batch_of[report.batch_id] = entry["path"]
    ingested = time.perf_counter() - start
    store.dispose()

    truth: dict[tuple[str, int], str] = {}
    with (root / "synth" / "truth" / "records.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            truth[(row["file"], int(row["record_no"]))] = row["true_subject_id"]
    columns: dict[str, list[Any]] = {n: [] for n in LINKS_SCHEMA.names}
    with connect(ledger) as con:
        for table, consumer in (("accounts", "consumer_no"), ("public_records", "NULL")):
            query = f"SELECT batch_id, record_no, {consumer} FROM {table}"
            for batch_id, record_no, consumer_no in con.execute(query).fetchall():
                columns["table_name"].append(table)
                columns["batch_id"].append(batch_id)
                columns["record_no"].append(record_no)
                columns["consumer_no"].append(consumer_no)
                columns["subject_id"].append(truth[(batch_of[batch_id], record_no)])
        rows = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            for t in ("accounts", "public_records")
        }
        slots_sql = (
            "SELECT count(*) FROM "
            "(SELECT DISTINCT furnisher_id, account_key, consumer_no FROM accounts)"
        )
        slots = con.execute(slots_sql).fetchone()[0]  # type: ignore[index]
    pq.write_table(pa.table(columns, schema=LINKS_SCHEMA), root / "links.parquet")
    snapshot = ledger.snapshot_id(datetime.now(UTC))
    account_bytes = sum(p.stat().st_size for p in ledger.paths("accounts", snapshot))
    return {
        "persons": persons,
        "enterprises": persons // 10,
        "months": months,
        "accounts_generated": summary.accounts,
        "account_rows": rows["accounts"],
        "account_slots": slots,
        "public_record_rows": rows["public_records"],
        "account_parquet_bytes": account_bytes,
        "bytes_per_account_row": round(account_bytes / max(rows["accounts"], 1), 1),
        "snapshot": snapshot,
        "generate_seconds": round(generated, 1),
        "ingest_seconds": round(ingested, 1),
    }


# -- one engine run, in a child process ----------------------------------------


def scorecard() -> Any:
    """A small scorecard over real attribute names (the benchmark times scoring, not
    model quality); the same shape as the equality test's."""
    from xinyong.score.model import Characteristic, ScorecardModel, TrainingInfo
    from xinyong.score.scaling import DEFAULT_SCALING

    def numerical(
        name: str, splits: tuple[float, ...], points: tuple[float, ...], inquiry: bool = False
    ) -> Characteristic:
        n = len(splits) + 3
        counts = tuple(10 if i <= len(splits) else 0 for i in range(n))
        return Characteristic(
            name=name,
            kind="numerical",
            label=name.replace("_", " "),
            reason_code=name[:6].upper(),
            reason_text=f"{name.replace('_', ' ')} lowered the score",
            inquiry=inquiry,
            splits=splits,
            groups=(),
            special_codes=(),
            points=points,
            woe=tuple(0.1 * i for i in range(n)),
            count_good=counts,
            count_bad=counts,
            coefficient=0.7,
            iv=0.2,
        )

    return ScorecardModel(
        name="engines-benchmark",
        characteristics=(
            numerical(
                "revolving_utilisation", (0.3, 0.7, 1.0), (31.5, 20.25, 9.75, 0.0, 12.0, 7.0)
            ),
            numerical("times_30_59_late_12m", (0.5, 1.5), (40.0, 15.0, 0.0, 2.0, 20.0)),
            numerical("oldest_account_age_months", (12.0, 60.0), (0.0, 8.5, 16.0, 8.0, 0.0)),
            numerical("accounts_open", (0.5, 2.5), (3.0, 12.0, 6.0, 6.0, 6.0)),
            numerical("inquiries_6m", (0.5, 2.5), (20.0, 12.0, 0.0, 10.0, 10.0), inquiry=True),
        ),
        intercept=-2.5,
        base_points=400.0,
        scaling=DEFAULT_SCALING,
        points_decimals=None,
        training=TrainingInfo(
            data_sha256="0" * 64,
            data_name="in code",
            target="bad",
            id_column="subject_id",
            n_rows=100,
            n_train=70,
            n_holdout=30,
            bad_rate=0.1,
            settings={},
        ),
    )


def child(args: argparse.Namespace) -> None:
    """Run the pipeline (and optionally resolution) on one engine; print JSON."""
    import pyarrow.parquet as pq

    from xinyong.engine import open_engine
    from xinyong.ledger import Ledger
    from xinyong.pipeline.run import run_pipeline
    from xinyong.policy import cn

    root = Path(args.child_root)
    options: dict[str, Any] = {}
    if args.child == "spark":
        options = {"master": args.master, "driver_memory": args.driver_memory}
    elif args.duckdb_memory != "none":
        options = {"memory_limit": args.duckdb_memory}
    start = time.perf_counter()
    engine = open_engine(args.child, **options)
    started = time.perf_counter() - start
    result: dict[str, Any] = {"engine": args.child, "start_seconds": round(started, 2)}
    try:
        ledger = Ledger(root / "ledger")
        links = pq.read_table(root / "links.parquet")
        start = time.perf_counter()
        manifest = run_pipeline(
            engine,
            ledger,
            links,
            OBSERVATION,
            cn.PROFILE,
            scorecard(),
            root / "runs" / args.child,
            snapshot_id=args.child_snapshot,
            force=True,
        )
        result["pipeline_seconds"] = round(time.perf_counter() - start, 2)
        result["steps"] = manifest.seconds
        result["counts"] = manifest.counts
        if args.resolve:
            result["resolve"] = _resolve(ledger, engine)
    finally:
        engine.close()
    print(json.dumps(result))


def _resolve(ledger: Any, engine: Any) -> dict[str, Any]:
    import pyarrow.compute as pc

    from xinyong.resolve.core import LinkConfig, cluster_frame, link_candidates
    from xinyong.resolve.features import build_frame
    from xinyong.resolve.mentions import read_batch_records

    records = read_batch_records(ledger, [m.batch_id for m in ledger.stored()])
    first = records.group_by("group_hash").aggregate([("record_key", "min")])
    firsts = records.filter(pc.is_in(records["record_key"], value_set=first["record_key_min"]))
    rows = firsts.to_pylist()
    frame = build_frame([r["record_key"] for r in rows], rows)
    start = time.perf_counter()
    outcome = link_candidates(frame, config=LinkConfig(), db_api=engine.splink_db_api)
    seconds = time.perf_counter() - start
    clusters = cluster_frame(frame, outcome).cluster_of
    return {
        "mentions": frame.num_rows,
        "seconds": round(seconds, 2),
        "subjects": len(set(clusters.values())),
        "timings": {k: round(v, 2) for k, v in outcome.timings.items()},
    }


def measure(engine: str, root: Path, snapshot: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run :func:`child` in a subprocess; sample the RSS of its process tree."""
    import psutil

    cmd = [
        sys.executable,
        __file__,
        "--child",
        engine,
        "--child-root",
        str(root),
        "--child-snapshot",
        snapshot,
        "--master",
        args.master,
        "--driver-memory",
        args.driver_memory,
        "--duckdb-memory",
        args.duckdb_memory,
    ]
    if args.resolve:
        cmd.append("--resolve")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    cpu_before = _children_cpu()
    start = time.perf_counter()
    # The child's stderr (Spark's log, a Java heap error) goes to a file beside the
    # population, so a failed run says why instead of only its exit code.
    errors = root / f"{engine}-stderr.log"
    with errors.open("wb") as err_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err_file, env=env)
    peak = 0
    seen_cpu: dict[int, float] = {}  # pid -> its last user + system CPU seconds
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            parent = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not done.is_set():
            total = 0
            try:
                for p in [parent, *parent.children(recursive=True)]:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        total += p.memory_info().rss
                        times = p.cpu_times()
                        seen_cpu[p.pid] = times.user + times.system
            except psutil.NoSuchProcess:
                return
            peak = max(peak, total)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    # A JVM that outlives its parent is not reaped by it, so it is missing from
    # RUSAGE_CHILDREN: take the larger of that and the sampled per-process sum.
    cpu = max(_children_cpu() - cpu_before, sum(seen_cpu.values()))
    if proc.returncode != 0:
        tail = errors.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise RuntimeError(
            f"{engine} run failed (exit {proc.returncode}); the end of {errors}:\n"
            + "\n".join(tail)
        )
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    result["wall_seconds"] = round(wall, 2)
    result["peak_rss_mib"] = round(peak / 2**20, 1)
    result["cpu_seconds"] = round(cpu, 1)
    return result


def _children_cpu() -> float:
    """User + system CPU seconds of every finished descendant (the child, its JVM
    and Spark's Python workers): on a shared machine, the cost that load does
    not inflate the way it inflates wall-clock seconds."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- main ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument(
        "--duckdb-memory",
        default="2GB",
        help="DuckDB's memory limit (it spills past it); 'none' for DuckDB's default, 80%% of RAM",
    )
    parser.add_argument(
        "--months",
        type=int,
        default=1,
        help="monthly files per furnisher (1: one report per account slot; 12 or 24: "
        "monthly reporting, every slot merged)",
    )
    parser.add_argument("--resolve", action="store_true", help="also time Splink resolution")
    parser.add_argument(
        "--keep", type=Path, help="keep the populations in this folder (and reuse them)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-root", help=argparse.SUPPRESS)
    parser.add_argument("--child-snapshot", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0

    base = args.keep or Path(tempfile.mkdtemp(prefix="xinyong-engines-"))
    per_person = accounts_per_person()
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load {load:.1f}; {per_person:.2f} accounts per person")
    sizes = []
    for n in args.accounts:
        # A population per size and number of months, so --keep reuses the right one.
        root = base / (f"n{n}" if args.months == 1 else f"n{n}-m{args.months}")
        root.mkdir(parents=True, exist_ok=True)
        saved = root / "population.json"
        if args.keep is not None and saved.is_file():  # built by an earlier run
            population = json.loads(saved.read_text())
        else:
            population = build(root, n, per_person, args.months)
            saved.write_text(json.dumps(population))
        slots = population.get("account_slots")  # absent from populations kept by older runs
        print(
            f"N={n:,}, {args.months} month(s): {population['account_rows']:,} account rows "
            f"({f'{slots:,}' if slots is not None else '?'} slots), "
            f"{population['public_record_rows']:,} public records, "
            f"{population['bytes_per_account_row']} Parquet bytes/account row "
            f"(generate {population['generate_seconds']} s, "
            f"ingest {population['ingest_seconds']} s)"
        )
        runs = {}
        for engine in args.engines:
            run = measure(engine, root, population["snapshot"], args)
            runs[engine] = run
            rows_per_s = population["account_rows"] / max(run["pipeline_seconds"], 1e-9)
            run["account_rows_per_cpu_second"] = round(
                population["account_rows"] / max(run["cpu_seconds"], 1e-9)
            )
            line = (
                f"  {engine:<7} pipeline {run['pipeline_seconds']:>8.1f} s "
                f"({rows_per_s:>9,.0f} account rows/s)  start {run['start_seconds']:>5.1f} s  "
                f"cpu {run['cpu_seconds']:>7.1f} s  peak {run['peak_rss_mib']:>7.1f} MiB  "
                f"steps {run['steps']}"
            )
            if "resolve" in run:
                line += f"  resolve {run['resolve']['seconds']} s"
            print(line, flush=True)
        entry: dict[str, Any] = {"accounts": n, "population": population, "runs": runs}
        if "duckdb" in runs and "spark" in runs:
            ratio = runs["spark"]["pipeline_seconds"] / runs["duckdb"]["pipeline_seconds"]
            entry["spark_duckdb_ratio"] = round(ratio, 2)
            cpu_ratio = runs["spark"]["cpu_seconds"] / max(runs["duckdb"]["cpu_seconds"], 1e-9)
            entry["spark_duckdb_cpu_ratio"] = round(cpu_ratio, 2)
            same = runs["spark"]["counts"] == runs["duckdb"]["counts"]
            entry["same_counts"] = same
            print(
                f"  Spark/DuckDB: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
                f"(output row counts equal: {same})"
            )
        sizes.append(entry)
    print(f"load after: {os.getloadavg()[0]:.1f}")
    if args.json:
        report = {"benchmark": "engines", "months": args.months, "load_before": load}
        print(json.dumps({**report, "sizes": sizes}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
