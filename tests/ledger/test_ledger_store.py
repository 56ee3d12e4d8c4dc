"""The ledger store: round trip, dedup, atomicity, locking, snapshots, immutability."""

from __future__ import annotations

import multiprocessing
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ledger_testkit import (
    FURNISHER,
    accounts,
    crash_after_first_file,
    submit,
    write_same_after_barrier,
)

from xinyong import __version__
from xinyong.ledger import (
    BatchFormat,
    BatchNotFoundError,
    BatchStatus,
    Ledger,
    RecordCounts,
    UnknownSnapshotError,
    content_hash,
    fsio,
)
from xinyong.ledger import store as store_module


def data_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.parquet"))


def test_round_trip(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    manifest = submit(ledger, b"file-1", [("A1", 100), ("A2", 250)], public=["P1"], rejected=1)

    assert manifest.status is BatchStatus.STORED
    assert manifest.furnisher_id == FURNISHER
    assert manifest.content_hash == content_hash(b"file-1")
    assert manifest.format is BatchFormat.CSV
    assert manifest.source_name == "accounts.csv"
    assert manifest.xinyong_version == __version__
    assert manifest.received_at.tzinfo is UTC
    assert (manifest.records_received, manifest.records_accepted) == (4, 3)
    assert manifest.records_rejected == 1
    assert {k: t.rows for k, t in manifest.tables.items()} == {
        "accounts": 2,
        "public_records": 1,
    }

    # A fresh instance reads the same manifest back from disk.
    again = Ledger(tmp_path)
    assert again.get(manifest.batch_id) == manifest
    assert again.batches() == [manifest]
    assert again.find_by_hash(content_hash(b"file-1")) == manifest
    assert again.find_by_hash(content_hash(b"other")) is None
    assert again.tables() == ["accounts", "public_records"]

    [path] = again.paths("accounts")
    assert path == tmp_path / "batches" / manifest.batch_id / "accounts.parquet"
    table = pq.read_table(path)
    assert table.column_names[:3] == ["batch_id", "furnisher_id", "record_no"]
    assert table.column("batch_id").to_pylist() == [manifest.batch_id] * 2
    assert table.column("furnisher_id").to_pylist() == [FURNISHER] * 2
    assert table.column("record_no").to_pylist() == [1, 2]
    assert table.column("account_id").to_pylist() == ["A1", "A2"]
    assert table.column("current_balance_minor").to_pylist() == [100, 250]

    meta = pq.read_metadata(path).metadata
    assert meta[b"batch_id"] == manifest.batch_id.encode()
    assert meta[b"furnisher_id"] == FURNISHER.encode()
    assert meta[b"content_hash"] == content_hash(b"file-1").encode()
    assert meta[b"format"] == b"csv"
    assert again.verify() == []


def test_caller_record_no_is_kept_and_foreign_batch_id_refused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    history = pa.table({"account_id": ["A1", "A1"], "record_no": pa.array([7, 7], pa.int32())})
    manifest = ledger.write_batch(
        FURNISHER, content_hash(b"h"), "metro2", {"account_history": history}, {}
    )
    [path] = ledger.paths("account_history")
    table = pq.read_table(path)
    assert table.column("record_no").type == pa.int64()
    assert table.column("record_no").to_pylist() == [7, 7]
    assert manifest.format is BatchFormat.METRO2

    wrong = pa.table({"account_id": ["A1"], "batch_id": ["b-someone-else"]})
    with pytest.raises(ValueError, match="batch_id"):
        ledger.write_batch(FURNISHER, content_hash(b"w"), "csv", {"accounts": wrong}, {})
    assert len(ledger.batches()) == 1
    assert not list((tmp_path / "batches").glob(".tmp-*"))


def test_bad_input_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    good = {"accounts": accounts([("A1", 1)])}
    with pytest.raises(ValueError, match="content_hash"):
        ledger.write_batch(FURNISHER, "not-a-hash", "csv", good, {})
    with pytest.raises(ValueError, match="table name"):
        ledger.write_batch(FURNISHER, content_hash(b"x"), "csv", {"../evil": accounts([])}, {})
    with pytest.raises(ValueError, match="timezone"):
        ledger.write_batch(
            FURNISHER, content_hash(b"x"), "csv", good, {}, received_at=datetime(2024, 1, 1)
        )
    with pytest.raises(ValueError, match="reconcile"):
        RecordCounts(received=3, accepted=1, rejected=1)
    with pytest.raises(ValueError):
        ledger.write_batch(FURNISHER, content_hash(b"x"), "xml", good, {})
    assert ledger.batches() == []
    assert data_files(tmp_path) == []


def test_duplicate_content_stores_nothing_new(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    original = submit(ledger, b"same bytes", [("A1", 100)])
    files_before = data_files(tmp_path)
    snapshot_before = ledger.snapshot_id()

    duplicate = submit(ledger, b"same bytes", [("A1", 100)])

    assert duplicate.status is BatchStatus.DUPLICATE
    assert duplicate.duplicate_of == original.batch_id
    assert duplicate.batch_id != original.batch_id
    assert dict(duplicate.tables) == {}
    assert data_files(tmp_path) == files_before
    assert ledger.paths("accounts") == [files_before[0]]
    assert ledger.snapshot_id() == snapshot_before
    assert [m.status for m in Ledger(tmp_path).batches()] == [
        BatchStatus.STORED,
        BatchStatus.DUPLICATE,
    ]
    assert ledger.find_by_hash(content_hash(b"same bytes")) == original
    assert sorted(p.name for p in (tmp_path / "batches" / duplicate.batch_id).iterdir()) == [
        "manifest.json"
    ]


def test_write_that_raises_halfway_leaves_no_visible_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(tmp_path)
    real = fsio.write_parquet
    written: list[Path] = []

    def write_then_fail(path: Path, table: pa.Table) -> None:
        real(path, table)
        written.append(path)
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "write_parquet", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        submit(ledger, b"payload", [("A1", 1)], public=["P1"])

    assert len(written) == 1 and written[0].parent.name.startswith(".tmp-")
    assert ledger.batches() == []
    assert ledger.paths("accounts") == []
    assert ledger.find_by_hash(content_hash(b"payload")) is None
    assert not list((tmp_path / "batches").iterdir())  # cleaned up on the way out

    monkeypatch.setattr(store_module, "write_parquet", real)
    stored = submit(ledger, b"payload", [("A1", 1)], public=["P1"])
    assert stored.status is BatchStatus.STORED


def test_crashed_writer_is_invisible_and_recover_removes_its_temp(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=crash_after_first_file, args=(str(tmp_path), b"payload"))
    child.start()
    child.join(60)
    assert child.exitcode == 3

    ledger = Ledger(tmp_path)
    [temp] = list((tmp_path / "batches").glob(".tmp-*"))
    assert len(list(temp.glob("*.parquet"))) == 1
    assert ledger.batches() == []
    assert ledger.paths("accounts") == []
    assert ledger.find_by_hash(content_hash(b"payload")) is None

    report = ledger.recover()
    assert report.removed_temp == (temp.name,)
    assert not temp.exists()
    assert ledger.recover().removed_temp == ()
    # The same file can now be stored; the crash left nothing that blocks it.
    assert submit(ledger, b"payload", [("A1", 1)]).status is BatchStatus.STORED


def test_concurrent_writers_of_the_same_content_store_one_batch(tmp_path: Path) -> None:
    writers = 4
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(writers)
    procs = [
        ctx.Process(target=write_same_after_barrier, args=(str(tmp_path), b"race", barrier))
        for _ in range(writers)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [p.exitcode for p in procs] == [0] * writers

    ledger = Ledger(tmp_path)
    manifests = ledger.batches()
    stored = [m for m in manifests if m.status is BatchStatus.STORED]
    assert len(manifests) == writers
    assert len(stored) == 1
    assert {m.duplicate_of for m in manifests if m is not stored[0]} == {stored[0].batch_id}
    assert len(data_files(tmp_path)) == 1
    assert ledger.verify() == []


def test_batch_ids_sort_in_storage_order_even_if_the_clock_steps_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(tmp_path)
    first = submit(ledger, b"1", [("A1", 1)])
    monkeypatch.setattr(store_module, "_now", lambda: datetime(2001, 1, 1, tzinfo=UTC))
    second = submit(ledger, b"2", [("A1", 2)])
    assert second.batch_id > first.batch_id
    assert second.stored_at > first.stored_at
    assert [m.batch_id for m in ledger.batches()] == [first.batch_id, second.batch_id]


def test_snapshot_id_is_stable_and_changes_when_a_batch_is_added(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    empty = ledger.snapshot_id()
    first = submit(ledger, b"1", [("A1", 1)])
    s1 = ledger.snapshot_id()
    assert s1 == ledger.snapshot_id() == Ledger(tmp_path).snapshot_id()
    assert s1 != empty

    ledger.reject_batch(FURNISHER, content_hash(b"junk"), "csv", {}, reason="no header")
    assert ledger.snapshot_id() == s1  # a rejection adds no records

    second = submit(ledger, b"2", [("A1", 2)], public=["P1"])
    s2 = ledger.snapshot_id()
    assert s2 != s1

    assert ledger.as_of_snapshot(empty) == []
    assert [m.batch_id for m in ledger.as_of_snapshot(s1)] == [first.batch_id]
    assert [m.batch_id for m in ledger.as_of_snapshot(s2)] == [first.batch_id, second.batch_id]
    assert ledger.paths("accounts", snapshot_id=s1) == ledger.paths("accounts")[:1]
    assert ledger.tables(s1) == ["accounts"]
    assert ledger.snapshot_id(as_of=first.stored_at) == s1
    assert ledger.as_of(first.stored_at - timedelta(microseconds=1)) == []
    with pytest.raises(UnknownSnapshotError):
        ledger.as_of_snapshot("0" * 64)


def test_rejected_batch_is_recorded_without_data(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    counts = {"file": RecordCounts(10, 0, 10)}
    manifest = ledger.reject_batch(
        FURNISHER, content_hash(b"bad"), "metro2", counts, reason="header segment missing"
    )
    assert manifest.status is BatchStatus.REJECTED
    assert manifest.reason == "header segment missing"
    assert Ledger(tmp_path).get(manifest.batch_id) == manifest
    assert ledger.find_by_hash(content_hash(b"bad")) is None
    assert data_files(tmp_path) == []


def test_stored_files_are_read_only_and_tampering_is_detected(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    manifest = submit(ledger, b"1", [("A1", 1)], public=["P1"])
    folder = tmp_path / "batches" / manifest.batch_id
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o444, path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o555
    assert not hasattr(ledger, "delete_batch") and not hasattr(ledger, "update_batch")

    # Tampering needs deliberate chmod; verify() then names the altered file.
    target = folder / "accounts.parquet"
    os.chmod(folder, 0o755)
    os.chmod(target, 0o644)
    pq.write_table(accounts([("A1", 999)]), target)
    os.chmod(target, 0o444)
    assert ledger.verify() == [f"{manifest.batch_id}: accounts.parquet altered (sha256 differs)"]


def test_get_unknown_and_malformed_ids(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    with pytest.raises(BatchNotFoundError):
        ledger.get("b20240101T000000000000Z-0000abcd")
    with pytest.raises(ValueError, match="malformed"):
        ledger.get("../../etc")
    assert ledger.batches() == [] and ledger.tables() == []
    assert ledger.recover().removed_temp == ()


def test_recover_rebuilds_a_lost_index(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    original = submit(ledger, b"1", [("A1", 1)])
    index_file = tmp_path / "index" / "sha256" / original.content_hash
    index_file.unlink()
    (tmp_path / "index" / "sha256" / ("f" * 64)).write_text(original.batch_id)
    assert ledger.verify() == [f"{original.batch_id}: content hash not indexed (run recover)"]

    report = ledger.recover()
    assert (report.index_added, report.index_removed) == (1, 1)
    assert ledger.verify() == []
    assert submit(ledger, b"1", [("A1", 1)]).duplicate_of == original.batch_id
