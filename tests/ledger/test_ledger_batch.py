"""Batch manifests, ids and snapshot ids: pure functions, no files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.ledger.batch import (
    BatchFormat,
    BatchManifest,
    BatchStatus,
    RecordCounts,
    TableFile,
    batch_id_time,
    content_hash,
    make_batch_id,
    next_batch_time,
    snapshot_id_of,
)

AT = datetime(2024, 3, 1, 8, 30, 0, 123456, tzinfo=UTC)
BATCH = make_batch_id(AT, "0123abcd")


def manifest(**changes: object) -> BatchManifest:
    values: dict[str, object] = {
        "batch_id": BATCH,
        "furnisher_id": "bank-001",
        "received_at": AT - timedelta(minutes=5),
        "stored_at": AT,
        "content_hash": content_hash(b"x"),
        "format": BatchFormat.METRO2,
        "status": BatchStatus.STORED,
        "counts": {"base": RecordCounts(3, 2, 1)},
        "tables": {"accounts": TableFile(rows=2, sha256="a" * 64)},
        "source_name": "jan.dat",
    }
    values.update(changes)
    return BatchManifest(**values)  # type: ignore[arg-type]


def test_json_round_trip() -> None:
    original = manifest()
    text = original.to_json()
    assert BatchManifest.from_json(text) == original
    assert BatchManifest.from_json(text).to_json() == text
    assert '"received_at": "2024-03-01T08:25:00.123456Z"' in text
    assert '"file": "accounts.parquet"' in text


def test_manifest_is_immutable_and_normalised_to_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    m = manifest(received_at=AT.astimezone(beijing))
    assert m.received_at.tzinfo is UTC and m.received_at == AT
    with pytest.raises(AttributeError):
        m.status = BatchStatus.REJECTED  # type: ignore[misc]
    with pytest.raises(TypeError):
        m.counts["base"] = RecordCounts(0, 0, 0)  # type: ignore[index]
    assert hash(m) == hash(manifest(received_at=AT.astimezone(beijing)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": BatchStatus.DUPLICATE, "tables": {}}, "must name the batch"),
        ({"duplicate_of": BATCH}, "only for duplicates"),
        ({"status": BatchStatus.REJECTED}, "stores no tables"),
        ({"received_at": datetime(2024, 1, 1)}, "timezone-aware"),
        ({"content_hash": "ABC"}, "SHA-256"),
        ({"batch_id": "b1"}, "malformed"),
        ({"furnisher_id": " "}, "furnisher_id"),
    ],
)
def test_inconsistent_manifests_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        manifest(**changes)


def test_newer_manifest_layout_is_refused() -> None:
    data = manifest().to_dict()
    data["manifest_version"] = 99
    with pytest.raises(ValueError, match="manifest_version"):
        BatchManifest.from_dict(data)


def test_batch_ids_encode_time_and_sort_by_it() -> None:
    assert BATCH == "b20240301T083000123456Z-0123abcd"
    assert batch_id_time(BATCH) == AT
    later = make_batch_id(AT + timedelta(microseconds=1), "00000000")
    assert later > BATCH


def test_next_batch_time_never_goes_back() -> None:
    assert next_batch_time(AT, None) == AT
    assert next_batch_time(AT + timedelta(seconds=1), BATCH) == AT + timedelta(seconds=1)
    assert next_batch_time(AT - timedelta(days=1), BATCH) == AT + timedelta(microseconds=1)
    assert next_batch_time(AT, BATCH) == AT + timedelta(microseconds=1)


def test_snapshot_id_ignores_order_and_names_the_set() -> None:
    other = make_batch_id(AT + timedelta(seconds=1), "ffffffff")
    assert snapshot_id_of([BATCH, other]) == snapshot_id_of([other, BATCH])
    assert snapshot_id_of([BATCH]) != snapshot_id_of([BATCH, other])
    assert len(snapshot_id_of([])) == 64


instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)
counts = st.builds(
    lambda a, r: RecordCounts(a + r, a, r), st.integers(0, 10**9), st.integers(0, 10**9)
)


@given(
    stored_at=instants,
    suffix=st.text("0123456789abcdef", min_size=8, max_size=8),
    furnisher=st.text(min_size=1).filter(lambda s: s == s.strip()),
    source=st.none() | st.text(),
    kinds=st.dictionaries(st.text(min_size=1), counts, max_size=4),
    fmt=st.sampled_from(BatchFormat),
)
def test_any_manifest_survives_json(
    stored_at: datetime,
    suffix: str,
    furnisher: str,
    source: str | None,
    kinds: dict[str, RecordCounts],
    fmt: BatchFormat,
) -> None:
    m = BatchManifest(
        batch_id=make_batch_id(stored_at, suffix),
        furnisher_id=furnisher,
        received_at=stored_at,
        stored_at=stored_at,
        content_hash=content_hash(furnisher.encode("utf-8", "surrogatepass")),
        format=fmt,
        status=BatchStatus.STORED,
        counts=kinds,
        source_name=source,
    )
    assert BatchManifest.from_json(m.to_json()) == m
    assert batch_id_time(m.batch_id) == stored_at
