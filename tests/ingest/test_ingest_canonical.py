"""Canonical CSV, JSON Lines and Parquet ingest: nothing lost, nothing doubled.

Runs on both store backends, because the reject table and the batch row live
in the serving store while the records live in the ledger.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select

from xinyong.audit import chain
from xinyong.identifiers import keyed_hash
from xinyong.ingest import pipeline
from xinyong.ingest.pipeline import ingest_bytes, sync_store
from xinyong.ledger import Ledger, connect, current
from xinyong.store import repositories, schema
from xinyong.store.engine import transaction

KEY = b"test-deployment-key"
FURNISHER = "bank-a"

GOOD_PERSON: dict[str, Any] = {
    "record_kind": "account",
    "account_number": "6222000011112222",
    "subject_kind": "person",
    "family_name": "王",
    "given_names": "小明",
    "birth_date": "1949-12-31",
    "id_scheme": "cn_ric",
    "id_value": "11010519491231002X",
    "portfolio_type": "R",
    "account_type": "18",
    "ecoa_code": "1",
    "date_opened": "2020-01-15",
    "date_reported": "2026-05-31",
    "currency": "CNY",
    "current_balance": 120000,
    "credit_limit": 500000,
    "account_status": "11",
    "payment_history_profile": "000000000000",
}
GOOD_PENALTY: dict[str, Any] = {
    "record_kind": "public_record",
    "record_ref": "SAMR-2025-001",
    "subject_kind": "enterprise",
    "legal_name": "北京示例科技有限公司",
    "id_scheme": "cn_uscc",
    "id_value": "91110108551385082Q",
    "kind": "administrative_penalty",
    "authority": "北京市海淀区市场监督管理局",
    "document_number": "京海市监罚〔2025〕1号",
    "event_date": "2025-03-01",
    "currency": "CNY",
    "amount": 5000000,
    "status": "active",
    "expires_on": "2028-03-01",
}
# Three faults in one record: all three must be reported.
BAD_THREE: dict[str, Any] = {
    **GOOD_PERSON,
    "account_number": "A-BAD",
    "id_value": "11010519491231002Y",
    "current_balance": -5,
    "account_status": "13",
}
BAD_DATES: dict[str, Any] = {
    **GOOD_PERSON,
    "account_number": "A-DATES",
    "date_opened": "2023-02-30",
    "account_status": "97",
    "id_scheme": None,
    "id_value": None,
}


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger(tmp_path / "ledger")


@pytest.fixture
def store(engine: Engine) -> Iterator[Engine]:
    with transaction(engine) as conn:
        repositories.add_organisation(
            conn, org_id=FURNISHER, name="Bank A", kind="bank", roles=["furnisher"], country="CN"
        )
    yield engine


def as_jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def as_csv(records: list[dict[str, Any]]) -> bytes:
    names: list[str] = []
    for record in records:
        names += [k for k in record if k not in names]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue().encode()


def as_parquet(records: list[dict[str, Any]]) -> bytes:
    names: list[str] = []
    for record in records:
        names += [k for k in record if k not in names]
    columns = {n: [None if r.get(n) is None else str(r[n]) for r in records] for n in names}
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer)
    return buffer.getvalue()


ENCODERS = {"csv": as_csv, "jsonl": as_jsonl, "parquet": as_parquet}


def ingest(data: bytes, ledger: Ledger, engine: Engine, **kwargs: Any) -> pipeline.BatchReport:
    return ingest_bytes(
        data, FURNISHER, source_name="test", ledger=ledger, engine=engine, hash_key=KEY, **kwargs
    )


def store_rejects(engine: Engine, batch_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(schema.rejects).where(schema.rejects.c.batch_id == batch_id)
        ).all()
    return [dict(r._mapping) for r in rows]


def store_count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(schema.metadata.tables[table])
            ).scalar_one()
        )


@pytest.mark.parametrize("fmt", sorted(ENCODERS))
def test_every_record_is_stored_or_rejected_and_counts_reconcile(
    fmt: str, ledger: Ledger, store: Engine
) -> None:
    data = ENCODERS[fmt]([GOOD_PERSON, BAD_THREE, GOOD_PENALTY, BAD_DATES])
    report = ingest(data, ledger, store)

    assert report.format == fmt
    assert (report.received, report.accepted, report.rejected) == (4, 2, 2)
    assert report.by_kind["accounts"].received == 3
    assert report.by_kind["public_records"].accepted == 1

    rejects = store_rejects(store, report.batch_id)
    three = {(r["field"], r["rule"]) for r in rejects if r["record_no"] == 2}
    assert three == {
        ("id_value", "format"),
        ("current_balance", "non_negative"),
        ("payment_rating", "payment_rating_required"),
    }
    dates = {(r["field"], r["rule"]) for r in rejects if r["record_no"] == 4}
    assert ("date_opened", "date") in dates
    assert ("first_delinquency_date", "dofd_required") in dates
    assert all(r["raw"] and r["location"] for r in rejects)

    with store.connect() as conn:
        batch = repositories.get_ledger_batch(conn, report.batch_id)
    assert batch is not None
    assert (batch["records_received"], batch["records_accepted"], batch["records_rejected"]) == (
        4,
        2,
        2,
    )

    con = connect(ledger)
    accounts = con.sql("select * from accounts").to_arrow_table().to_pylist()
    assert len(accounts) == 1
    row = accounts[0]
    assert row["id_masked"].endswith("002X") and "11010519491231" not in row["id_masked"]
    assert row["account_key"] == keyed_hash(KEY, "account", FURNISHER, "6222000011112222")
    assert row["current_balance_minor"] == 120000
    assert "11010519491231002X" not in json.dumps(row, default=str)
    penalties = con.execute("select kind, amount_minor from public_records").fetchall()
    assert penalties == [("administrative_penalty", 5000000)]


def test_same_file_twice_stores_nothing_new(ledger: Ledger, store: Engine) -> None:
    data = as_jsonl([GOOD_PERSON])
    first = ingest(data, ledger, store)
    second = ingest(data, ledger, store)
    assert first.status == "stored"
    assert second.status == "duplicate" and second.duplicate_of == first.batch_id
    assert len(ledger.stored()) == 1
    assert connect(ledger).execute("select count(*) from accounts").fetchone() == (1,)
    with store.connect() as conn:
        assert chain.verify(conn).ok


def test_a_later_report_supersedes_without_deleting(ledger: Ledger, store: Engine) -> None:
    ingest(as_jsonl([GOOD_PERSON]), ledger, store)
    corrected = {**GOOD_PERSON, "current_balance": 99000, "compliance_condition": "XB"}
    ingest(as_jsonl([corrected]), ledger, store)
    con = connect(ledger)
    assert con.execute("select count(*) from accounts").fetchone() == (2,)
    latest = con.execute(
        current(
            "accounts",
            ["furnisher_id", "account_key", "date_reported"],
            columns=["current_balance_minor", "compliance_condition"],
        )
    ).fetchall()
    assert latest == [(99000, "XB")]


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"record_kind,account_number\naccount,\xff\xfe\n", "auto", "not UTF-8"),
        (as_jsonl([GOOD_PERSON]), "csv", "is not csv"),
        (b"record_kind,colour\naccount,red\n", "auto", "unknown columns"),
        (b"\x00\x01\x02 nothing we know", "auto", "not in any format"),
    ],
)
def test_whole_file_errors_store_nothing(
    data: bytes, fmt: str, message: str, ledger: Ledger, store: Engine
) -> None:
    report = ingest(data, ledger, store, format=fmt)
    assert report.status == "rejected"
    assert message in (report.reason or "")
    assert ledger.stored() == []
    rejects = store_rejects(store, report.batch_id)
    assert [(r["record_no"], r["rule"]) for r in rejects] == [(0, "file")]


def test_crash_while_writing_the_ledger_leaves_everything_as_it_was(
    ledger: Ledger, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {t: store_count(store, t) for t in ("ledger_batches", "rejects", "audit_events")}

    def explode(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", explode)  # pieces are streamed
    with pytest.raises(OSError, match="disk full"):
        ingest(as_jsonl([GOOD_PERSON, BAD_THREE]), ledger, store)
    monkeypatch.undo()

    assert ledger.batches() == []
    assert {t: store_count(store, t) for t in before} == before
    report = ingest(as_jsonl([GOOD_PERSON, BAD_THREE]), ledger, store)
    assert report.status == "stored" and report.accepted == 1


def test_store_failure_after_the_ledger_write_is_healed_by_sync(
    ledger: Ledger, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = repositories.add_rejects

    def fail_once(*args: Any, **kwargs: Any) -> int:
        monkeypatch.setattr(repositories, "add_rejects", real)
        raise RuntimeError("store went away")

    monkeypatch.setattr(repositories, "add_rejects", fail_once)
    with pytest.raises(RuntimeError, match="store went away"):
        ingest(as_jsonl([GOOD_PERSON, BAD_THREE]), ledger, store)
    # The ledger holds the whole batch; the store holds none of it (rolled back).
    assert len(ledger.stored()) == 1
    assert store_count(store, "ledger_batches") == 0
    assert sync_store(ledger, store) == 1
    assert store_count(store, "ledger_batches") == 1
    assert store_count(store, "rejects") == 3
    with store.connect() as conn:
        assert chain.verify(conn).ok


def test_unknown_furnisher_is_refused(ledger: Ledger, store: Engine) -> None:
    with pytest.raises(pipeline.UnknownFurnisher, match="nobody"):
        ingest_bytes(
            as_jsonl([GOOD_PERSON]),
            "nobody",
            source_name="x",
            ledger=ledger,
            engine=store,
            hash_key=KEY,
        )


def test_control_characters_are_rejected_and_the_report_survives_postgres(
    ledger: Ledger, store: Engine
) -> None:
    record = {**GOOD_PERSON, "given_names": "小\x00明"}
    report = ingest(as_jsonl([record]), ledger, store)
    assert report.rejected == 1
    rejects = store_rejects(store, report.batch_id)
    assert [(r["field"], r["rule"]) for r in rejects] == [("given_names", "control_character")]
    assert "\\x00" in rejects[0]["raw"] or "\\u0000" in rejects[0]["raw"]


# --- streamed into the ledger, piece by piece -----------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_pieces_of_the_reference_path_store_what_one_table_would(
    fmt: str, ledger: Ledger, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small pieces (3 records) and the fast path declined: the rows of the oracle, in order."""
    from xinyong.ingest import fast
    from xinyong.ingest.pipeline import _Collector, formats

    monkeypatch.setattr(pipeline, "REFERENCE_PIECE_RECORDS", 3)
    monkeypatch.setattr(fast, "check_file", lambda *a, **k: None)
    records = [{**GOOD_PERSON, "account_number": f"622200001111{i:04d}"} for i in range(8)] + [
        BAD_THREE,
        GOOD_PENALTY,
        BAD_DATES,
    ]
    data = ENCODERS[fmt](records)
    report = ingest(data, ledger, store)
    assert (report.received, report.accepted, report.rejected) == (11, 9, 2)

    oracle = _Collector()
    module = formats()[fmt]
    for record in module.read(data):
        oracle.add(record, module.check(record, FURNISHER, KEY))
    want = oracle.tables()
    (manifest,) = ledger.stored()
    for name in ("accounts", "public_records", "rejects"):
        (path,) = (ledger.batches_dir / manifest.batch_id).glob(f"{name}.parquet")
        stored = pq.read_table(path).drop_columns(["batch_id", "furnisher_id"])
        assert stored.to_pylist() == want[name].to_pylist(), name
        assert manifest.tables[name].rows == want[name].num_rows


def test_a_late_whole_file_error_stores_nothing(
    ledger: Ledger, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pieces already written when the file turns out bad are never published."""
    from xinyong.ingest import fast, jsonl_format
    from xinyong.ingest.records import FileRejected

    real_read = jsonl_format.read

    def read_then_refuse(data: bytes) -> Iterator[Any]:
        yield from real_read(data)
        raise FileRejected("the trailer says 9 records, the file has 5", rule="trailer")

    monkeypatch.setattr(pipeline, "REFERENCE_PIECE_RECORDS", 2)
    monkeypatch.setattr(fast, "check_file", lambda *a, **k: None)
    monkeypatch.setattr(jsonl_format, "read", read_then_refuse)
    report = ingest(as_jsonl([GOOD_PERSON] * 5), ledger, store)
    assert report.status == "rejected" and "trailer" in (report.reason or "")
    assert ledger.stored() == []
    assert not list(ledger.batches_dir.glob(".tmp-*"))
