"""Through the pipeline: the fast path stores what the reference path stores.

Each realistic file (the benchmark's generator: many people, valid and broken
identifiers, about 1% broken records) is ingested twice, once with the fast
path and once with it switched off, into separate ledgers and stores; the
reports, the ledger rows (all but the batch id) and the store's reject rows
must be the same. The pipeline's guarantees still hold on the fast path:
counts reconcile, a crash stores nothing, a file refused as a whole gets the
reference's message.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from xinyong.ingest import fast, pipeline
from xinyong.ingest.pipeline import BatchReport, ingest_bytes
from xinyong.ledger import Ledger, connect
from xinyong.store import repositories, schema
from xinyong.store.engine import transaction

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
import ingest as bench  # benchmarks/ingest.py: the file generators

FURNISHER = "bench-bank"
KEY = b"pipeline-fast-key"
N = 1500


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    with transaction(engine) as conn:
        repositories.add_organisation(
            conn, org_id=FURNISHER, name="Bank", kind="bank", roles=["furnisher"], country="CN"
        )
    yield engine


def generated(fmt: str, tmp_path: Path) -> bytes:
    path = tmp_path / f"file.{fmt}"
    if fmt == "csv":
        bench.write_csv(path, bench.canonical_records(N, N // 3))
    elif fmt == "jsonl":
        bench.write_jsonl(path, bench.canonical_records(N, N // 3))
    elif fmt == "parquet":
        bench.write_parquet(path, bench.canonical_records(N, N // 3))
    else:
        bench.metro2_file(path, N, N // 3)
    return path.read_bytes()


def ingest(data: bytes, ledger: Ledger, engine: Engine, **kw: Any) -> BatchReport:
    return ingest_bytes(
        data, FURNISHER, source_name="f", ledger=ledger, engine=engine, hash_key=KEY, **kw
    )


def stored(ledger: Ledger, engine: Engine, report: BatchReport) -> dict[str, Any]:
    con = connect(ledger)
    tables = {}
    for table in ledger.tables():
        rows = con.sql(f"select * exclude (batch_id) from {table} order by record_no").fetchall()
        tables[table] = rows
    with engine.connect() as conn:
        rejects = [
            {k: v for k, v in r._mapping.items() if k not in ("batch_id", "id", "reject_id")}
            for r in conn.execute(
                select(schema.rejects).where(schema.rejects.c.batch_id == report.batch_id)
            )
        ]
    return {
        "report": (
            report.status,
            report.received,
            report.accepted,
            report.rejected,
            dict(report.rules),
            report.warnings,
            {
                k: tuple(v.__dict__.values()) if hasattr(v, "__dict__") else v
                for k, v in report.by_kind.items()
            },
        ),
        "tables": tables,
        "rejects": sorted(rejects, key=lambda r: tuple(str(v) for v in r.values())),
    }


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "metro2"])
def test_fast_and_reference_store_the_same(
    fmt: str, tmp_path: Path, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = generated(fmt, tmp_path)
    fast_ledger = Ledger(tmp_path / "fast")
    used: list[bool] = []
    real = fast.check_file

    def spy(*args: Any, **kwargs: Any) -> Any:
        pieces = real(*args, **kwargs)
        if pieces is None:
            used.append(False)
            return None

        def counted() -> Iterator[Any]:
            by_reference = 0
            for piece in pieces:
                by_reference += piece.by_reference
                yield piece
            # Taken by the fast path, every record checked in SQL (none left to the reference).
            used.append(by_reference == 0)

        return counted()

    monkeypatch.setattr(fast, "check_file", spy)
    report = ingest(data, fast_ledger, store)
    assert used == [True]
    assert report.reconciles and report.status == "stored"
    assert report.rejected > 0 and report.accepted > 0
    got = stored(fast_ledger, store, report)

    monkeypatch.setattr(fast, "check_file", lambda *a, **k: None)
    # Another ledger: the same bytes in the same ledger would be a duplicate.
    reference_ledger = Ledger(tmp_path / "reference")
    want_report = ingest(data, reference_ledger, store)
    want = stored(reference_ledger, store, want_report)
    assert got["report"] == want["report"]
    assert got["tables"] == want["tables"]
    assert got["rejects"] == want["rejects"]


def test_progress_reaches_the_last_record(tmp_path: Path, store: Engine) -> None:
    seen: list[int] = []
    report = ingest(generated("csv", tmp_path), Ledger(tmp_path / "l"), store, progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == report.received


def test_a_crash_in_the_fast_path_stores_nothing(
    tmp_path: Path, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinyong.ingest.fast import outcome

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed mid-batch")

    monkeypatch.setattr(outcome, "_reject_rows", explode)
    ledger = Ledger(tmp_path / "l")
    with pytest.raises(RuntimeError, match="killed mid-batch"):
        ingest(generated("csv", tmp_path), ledger, store)
    assert ledger.batches() == []
    with store.connect() as conn:
        assert conn.execute(select(schema.ledger_batches)).fetchall() == []


def test_a_refused_metro2_file_gets_the_reference_message(tmp_path: Path, store: Engine) -> None:
    data = generated("metro2", tmp_path)
    broken = data[:-526] + data[-526:].replace(b"TRAILER000001500", b"TRAILER000001499")
    report = ingest(broken, Ledger(tmp_path / "l"), store)
    assert report.status == "rejected"
    assert "trailer totals do not match" in (report.reason or "")


def test_fast_path_is_used_only_for_its_formats() -> None:
    assert set(fast.FORMATS) <= set(pipeline.formats())
    assert "metro2_packed" not in fast.FORMATS
