"""Identity resolution on the synthetic population, whose truth is known.

    python benchmarks/resolve_synth.py [--persons P] [--enterprises E] [--months M]
                                       [--incremental] [--repeat N] [--seed S]
                                       [--keep DIR] [--json]

Generates a population with :func:`xinyong.synth.generate` (furnisher files in
CSV, JSON Lines, Parquet and Metro 2, with the realistic dirt of the generator:
Han names and their pinyin, swapped name order, old addresses, missing
identifiers, passports instead of resident numbers, shortened company names),
ingests every file with :func:`xinyong.ingest.pipeline.ingest_file` into a
fresh SQLite store and ledger (not timed as resolution), then runs
``xinyong resolve`` (:func:`xinyong.resolve.resolve`) over it and scores the
published subjects against ``truth/records.csv``:

* per mention (one furnisher's distinct description of its subject; the unit
  that is linked), the primary figure, and
* per ledger record (every monthly record of every account), which weighs
  subjects by their number of records.

Baseline: plain Splink on the same mentions, with the identity columns as
furnished (no pinyin, no address parsing, no deterministic pass), a
reasonable configuration of Splink's comparison library, timed like ours
from the mentions' identity columns to the clusters. Our time is given twice:
the linking core over the same mentions (comparison keys, deterministic pass,
model, clustering: comparable with the baseline) and the whole ``resolve``
run, which also reads the ledger and writes the store.

Targets (issue 5): F1 >= 0.998 and precision >= 0.999, in no more than 1.5x
the plain Splink time.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

TARGET_F1 = 0.998
TARGET_PRECISION = 0.999
TARGET_RATIO = 1.5
HASH_KEY = b"xinyong-synth-benchmark-key-0001"


def build(out: Path, persons: int, enterprises: int, months: int, seed: int) -> dict[str, Any]:
    """Generate the population and ingest it; returns counts and ingest time."""
    from xinyong.store import repositories
    from xinyong.store.engine import make_engine, transaction
    from xinyong.store.migrate import upgrade
    from xinyong.synth import generate

    start = time.perf_counter()
    summary = generate(persons, enterprises, seed, out / "synth", months=months)
    generated = time.perf_counter() - start
    engine = make_engine(f"sqlite:///{out / 'store.sqlite3'}")
    upgrade(engine)
    with transaction(engine) as conn:
        for org in json.loads((out / "synth" / "furnishers.json").read_text()):
            repositories.add_organisation(
                conn,
                org_id=org["org_id"],
                name=org["name"],
                kind=org["kind"],
                roles=org["roles"],
                country=org["country"],
            )
    engine.dispose()
    files = json.loads((out / "synth" / "manifest.json").read_text())["files"]
    return {
        "persons": persons,
        "enterprises": enterprises,
        "months": months,
        "records_generated": summary.records,
        "files": len(files),
        "generate_seconds": round(generated, 2),
    }


def ingest(out: Path, month: str | None = None) -> float:
    """Ingest the furnisher files (of one month, or all); returns the seconds taken."""
    from xinyong.ingest.pipeline import ingest_file
    from xinyong.ledger import Ledger
    from xinyong.store.engine import make_engine

    engine = make_engine(f"sqlite:///{out / 'store.sqlite3'}")
    ledger = Ledger(out / "ledger")
    start = time.perf_counter()
    for entry in json.loads((out / "synth" / "manifest.json").read_text())["files"]:
        if month is None or entry["month"] == month:
            ingest_file(
                out / "synth" / entry["path"],
                entry["furnisher_id"],
                ledger=ledger,
                engine=engine,
                hash_key=HASH_KEY,
            )
    engine.dispose()
    return time.perf_counter() - start


def record_truth(out: Path) -> dict[tuple[str, str, int], str]:
    """(table, batch_id, record_no) -> true subject, for every record ingest accepted."""
    from xinyong.ledger import Ledger

    ledger = Ledger(out / "ledger")
    batch_of = {(m.furnisher_id, m.source_name): m.batch_id for m in ledger.stored()}
    truth = {}
    with (out / "synth" / "truth" / "records.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["expect"] != "accept":
                continue
            batch = batch_of[(row["furnisher_id"], Path(row["file"]).name)]
            table = "accounts" if row["record_kind"] == "account" else "public_records"
            truth[(table, batch, int(row["record_no"]))] = row["true_subject_id"]
    return truth


def run_splink(mentions: list[dict[str, Any]]) -> tuple[dict[str, str], float]:
    """Plain Splink over the mentions' identity columns as furnished."""
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start = time.perf_counter()
    columns = (
        "unique_id",
        "family_name",
        "given_names",
        "full_name",
        "legal_name",
        "birth_date",
        "id_hash",
        "address_line1",
        "city",
        "postal_code",
        "phone",
    )
    table = pa.Table.from_pylist(
        [{c: (str(m[c]) if m.get(c) is not None else None) for c in columns} for m in mentions]
    )
    settings = SettingsCreator(
        unique_id_column_name="unique_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("id_hash"),
            block_on("family_name", "given_names"),
            block_on("full_name"),
            block_on("legal_name"),
            block_on("birth_date"),
            block_on("phone"),
            block_on("address_line1"),
        ],
        comparisons=[
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("given_names").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("full_name", [0.95, 0.88]),
            cl.JaroWinklerAtThresholds("legal_name", [0.95, 0.88]),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("id_hash"),
            cl.JaroWinklerAtThresholds("address_line1", [0.95, 0.88]),
            cl.ExactMatch("city"),
            cl.PostcodeComparison("postal_code"),
            cl.ExactMatch("phone"),
        ],
    )
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(table), settings, None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_hash"), block_on("family_name", "given_names", "birth_date")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (block_on("birth_date"), block_on("address_line1")):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.9
    ).as_pandas_dataframe()
    elapsed = time.perf_counter() - start
    return dict(zip(clusters["unique_id"], clusters["cluster_id"], strict=True)), elapsed


def benchmark(
    out: Path, meta: dict[str, Any], *, incremental: bool = False, repeat: int = 1
) -> dict[str, Any]:
    """Ingest and resolve the population, score it, and run both timings.

    With ``incremental``, each month is ingested and resolved in turn (the
    first run trains the model, later runs link each new month to the
    existing subjects), as a registry receives its data. ``repeat`` runs the
    core and the baseline that many times, alternately, for the timings.
    """
    from sqlalchemy import select

    from xinyong.ledger import Ledger
    from xinyong.resolve import record_subjects, resolve
    from xinyong.resolve.core import LinkConfig, cluster_frame, link_candidates
    from xinyong.resolve.features import build_frame
    from xinyong.resolve.mentions import read_batch_records
    from xinyong.resolve.quality import pairwise_scores
    from xinyong.resolve.workspace import Workspace
    from xinyong.store.engine import make_engine
    from xinyong.store.resolution_schema import resolution_records

    logging.getLogger("splink").setLevel(logging.ERROR)
    warnings.simplefilter("ignore")
    engine = make_engine(f"sqlite:///{out / 'store.sqlite3'}")
    ledger = Ledger(out / "ledger")
    runs = []
    months = sorted(
        {f["month"] for f in json.loads((out / "synth" / "manifest.json").read_text())["files"]}
    )
    ingest_seconds = 0.0
    for month in months if incremental else [None]:
        ingest_seconds += ingest(out, month)
        summary = resolve(ledger, engine, out / "resolution")
        runs.append(
            {
                "month": month or "all",
                "mode": summary.mode,
                "records": summary.records,
                "new_mentions": summary.new_mentions,
                "seconds": summary.seconds,
                "timings": summary.timings,
            }
        )
    with engine.connect() as conn:
        record_subject = {(t, b, n): s for t, b, n, s in conn.execute(record_subjects())}
        record_mention = {
            (r.table_name, r.batch_id, r.record_no): r.mention_key
            for r in conn.execute(select(resolution_records))
        }
    engine.dispose()
    truth = record_truth(out)
    records = pairwise_scores(record_subject, truth)
    mention_truth = {record_mention[k]: t for k, t in truth.items() if k in record_mention}
    mention_subject = {record_mention[k]: s for k, s in record_subject.items()}
    mentions = pairwise_scores(mention_subject, mention_truth)

    # Same-scope timings, from the mentions' identity columns as furnished to
    # clusters: ours (comparison keys, deterministic pass, model, clustering)
    # and plain Splink.
    keys = set(Workspace(out / "resolution").read_frames()["unique_id"].to_pylist())
    raw = [
        {**r, "unique_id": r["record_key"]}
        for r in read_batch_records(ledger, {k.split(".", 1)[0] for k in keys}).to_pylist()
        if r["record_key"] in keys
    ]

    def run_ours() -> tuple[dict[str, str], float]:
        start = time.perf_counter()
        frame = build_frame([r["unique_id"] for r in raw], raw)
        outcome = link_candidates(frame, config=LinkConfig())
        clusters = dict(cluster_frame(frame, outcome).cluster_of)
        return clusters, time.perf_counter() - start

    # Alternate the two, so that load from other jobs falls on both alike.
    rounds = [(run_splink(raw), run_ours()) for _ in range(repeat)]
    splink_clusters = rounds[0][0][0]
    core_clusters = rounds[0][1][0]
    splink_seconds = statistics.median(r[0][1] for r in rounds)
    core_seconds = statistics.median(r[1][1] for r in rounds)
    ratio = statistics.median(r[1][1] / r[0][1] for r in rounds)
    core = pairwise_scores(core_clusters, mention_truth)
    baseline = pairwise_scores(splink_clusters, mention_truth)
    return {
        **meta,
        "ingest_seconds": round(ingest_seconds, 2),
        "runs": runs,
        "records": len(record_subject),
        "mentions": summary.mentions,
        "subjects": summary.subjects,
        "true_subjects": len(set(truth.values())),
        "review_open": summary.review_open,
        "ours_mentions": mentions.to_dict(),
        "ours_records": records.to_dict(),
        "ours_core": {**core.to_dict(), "seconds": round(core_seconds, 3)},
        "timing_rounds": repeat,
        "splink": {**baseline.to_dict(), "seconds": round(splink_seconds, 3)},
        "time_ratio": round(ratio, 3),
        "meets_targets": mentions.f1 >= TARGET_F1
        and mentions.precision >= TARGET_PRECISION
        and ratio <= TARGET_RATIO,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--enterprises", type=int, default=2_000)
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build in this folder and keep it")
    parser.add_argument(
        "--incremental", action="store_true", help="ingest and resolve month by month"
    )
    parser.add_argument("--repeat", type=int, default=1, help="timing rounds; medians reported")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        meta = build(out, args.persons, args.enterprises, args.months, args.seed)
        result = benchmark(out, meta, incremental=args.incremental, repeat=args.repeat)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"synthetic population: {result['persons']} persons, {result['enterprises']} enterprises,"
        f" {result['months']} month(s): {result['records']} records, {result['mentions']} mentions,"
        f" {result['subjects']} subjects resolved ({result['true_subjects']} true)"
    )
    for label, key in (
        ("ours, per mention", "ours_mentions"),
        ("ours, per record", "ours_records"),
        ("ours, core only", "ours_core"),
        ("plain Splink", "splink"),
    ):
        r = result[key]
        secs = f"  {r['seconds']:.2f} s" if "seconds" in r else ""
        print(
            f"  {label:18s} precision {r['precision']:.5f}  recall {r['recall']:.5f}  "
            f"F1 {r['f1']:.5f}  (fp {r['false_positives']}, fn {r['false_negatives']}){secs}"
        )
    for run in result["runs"]:
        print(
            f"  resolve {run['month']} ({run['mode']}): {run['records']} records,"
            f" {run['new_mentions']} new mentions, {run['seconds']:.2f} s {run['timings']}"
        )
    print(f"  review queue: {result['review_open']} open pairs")
    print(f"  time ratio core/splink {result['time_ratio']:.2f} (target <= {TARGET_RATIO})")
    print(f"  meets targets: {result['meets_targets']}")


if __name__ == "__main__":
    main()
