"""Small files take the reference path, which is cheaper below a few thousand records."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine
from test_ingest_canonical import BAD_THREE, FURNISHER, GOOD_PERSON, KEY, as_csv

from xinyong.ingest import fast
from xinyong.ingest.pipeline import ingest_bytes
from xinyong.ledger import Ledger
from xinyong.store import repositories
from xinyong.store.engine import transaction


def _csv(lines: int) -> bytes:
    return b"kind,a\n" + b"account,1\n" * lines


def _parquet(rows: int) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"a": list(range(rows))}), sink)
    return sink.getvalue()


@pytest.mark.parametrize(
    ("fmt", "small", "large"),
    [
        ("csv", _csv(100), _csv(fast.MIN_RECORDS)),
        ("jsonl", b'{"a": 1}\n' * 100, b'{"a": 1}\n' * fast.MIN_RECORDS),
        ("parquet", _parquet(100), _parquet(fast.MIN_RECORDS)),
        ("metro2", b"x" * 426 * 100, b"x" * 426 * fast.MIN_RECORDS),
    ],
)
def test_the_fast_path_pays_off_from_min_records(
    fmt: str, small: bytes, large: bytes, tmp_path: Path
) -> None:
    assert not fast.pays_off(fmt, small)
    assert fast.pays_off(fmt, large)
    path = tmp_path / f"file.{fmt}"
    path.write_bytes(large)
    assert fast.pays_off(fmt, path)  # from a path as from bytes


def test_big_files_and_unknown_formats() -> None:
    assert fast.pays_off("csv", b"a" * (5 << 20))  # no lines counted past a few MiB
    assert not fast.pays_off("metro2_packed", b"x" * (5 << 20))  # no fast path at all
    assert fast.pays_off("parquet", b"not parquet" * 10)  # the loader says why, as before


def test_a_small_file_is_stored_by_the_reference_path(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with transaction(engine) as conn:
        repositories.add_organisation(
            conn, org_id=FURNISHER, name="Bank A", kind="bank", roles=["furnisher"], country="CN"
        )
    asked: list[str] = []
    real = fast.check_file

    def spy(fmt: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(fmt)
        return real(fmt, *args, **kwargs)

    monkeypatch.setattr(fast, "check_file", spy)
    records = [{**GOOD_PERSON, "account_number": f"62220000{i:08d}"} for i in range(20)]
    report = ingest_bytes(
        as_csv([*records, BAD_THREE]),
        FURNISHER,
        source_name="small.csv",
        ledger=Ledger(tmp_path / "ledger"),
        engine=engine,
        hash_key=KEY,
    )
    assert asked == []  # the reference path, record by record
    assert report.status == "stored" and report.reconciles
    assert (report.received, report.accepted, report.rejected) == (21, 20, 1)
