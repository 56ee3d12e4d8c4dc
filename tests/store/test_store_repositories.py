"""Repository round trips on both backends."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from xinyong.store import repositories as repo
from xinyong.store.engine import transaction
from xinyong.store.schema import metadata, rejects

AT = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def bank(engine: Engine) -> str:
    with transaction(engine) as conn:
        repo.add_organisation(
            conn,
            org_id="icbc",
            name="工商银行",
            kind="bank",
            roles=["inquirer", "furnisher", "furnisher"],
            country="CN",
            created_at=AT,
        )
    return "icbc"


def test_organisation_round_trip(engine: Engine, bank: str) -> None:
    with engine.connect() as conn:
        org = repo.get_organisation(conn, bank)
        assert repo.get_organisation(conn, "unknown") is None
    assert org == {
        "org_id": "icbc",
        "name": "工商银行",
        "kind": "bank",
        "roles": ["furnisher", "inquirer"],
        "country": "CN",
        "created_at": AT,
        "address": None,
        "telephone": None,
    }


def test_subject_and_identifier_round_trip(engine: Engine) -> None:
    value_hash = _hash("110101199003074477")
    with transaction(engine) as conn:
        sid = repo.add_subject(conn, kind="person", created_at=AT)
        other = repo.add_subject(conn, kind="enterprise", subject_id="ent-1")
        repo.add_identifier(
            conn,
            subject_id=sid,
            scheme="cn_ric",
            value_hash=value_hash,
            value_masked="**************4477",
            country="CN",
        )
    assert len(sid) == 32 and other == "ent-1"
    with engine.connect() as conn:
        subject = repo.get_subject(conn, sid)
        assert repo.subjects_with_identifier(conn, "cn_ric", value_hash) == [sid]
        assert repo.subjects_with_identifier(conn, "lei", value_hash) == []
        assert repo.get_subject(conn, "missing") is None
    assert subject == {
        "subject_id": sid,
        "kind": "person",
        "created_at": AT,
        "status": "active",
        "merged_into": None,
    }


@pytest.mark.parametrize(
    ("value_hash", "value_masked", "message"),
    [
        ("110101199003074477", "**************4477", "HMAC"),  # clear value as the "hash"
        ("A" * 64, "****4477", "HMAC"),
        ("a" * 64, "110101199003074477", "at most 4"),  # clear value as the "mask"
        ("a" * 64, "11010119******4477", "at most 4"),
    ],
)
def test_identifier_in_clear_is_refused(
    engine: Engine, value_hash: str, value_masked: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message), transaction(engine) as conn:
        sid = repo.add_subject(conn, kind="person")
        repo.add_identifier(
            conn, subject_id=sid, scheme="cn_ric", value_hash=value_hash, value_masked=value_masked
        )
    with engine.connect() as conn:
        assert repo.counts(conn)["subject_identifiers"] == 0


def test_ledger_batch_duplicate_and_rejects(engine: Engine, bank: str) -> None:
    content = _hash("file bytes")
    with transaction(engine) as conn:
        repo.record_ledger_batch(
            conn,
            batch_id="b1",
            furnisher_id=bank,
            content_hash=content,
            format="metro2",
            records_received=3,
            records_accepted=2,
            records_rejected=1,
            status="stored",
            received_at=AT,
        )
        written = repo.add_rejects(
            conn,
            "b1",
            [
                {"record_no": 2, "rule": "M2-017", "message": "bad date", "field": "date_opened"},
                {"record_no": 2, "rule": "M2-030", "message": "bad status", "raw": "2  x"},
            ],
        )
        assert repo.add_rejects(conn, "b1", []) == 0
        assert repo.find_stored_batch(conn, bank, content) == "b1"
        repo.record_ledger_batch(
            conn,
            batch_id="b2",
            furnisher_id=bank,
            content_hash=content,
            format="metro2",
            records_received=3,
            records_accepted=0,
            records_rejected=0,
            status="duplicate",
            duplicate_of="b1",
        )
    assert written == 2
    with engine.connect() as conn:
        assert repo.find_stored_batch(conn, bank, content) == "b1"
        assert repo.find_stored_batch(conn, bank, _hash("other")) is None
        batch = repo.get_ledger_batch(conn, "b1")
        dup = repo.get_ledger_batch(conn, "b2")
        stored = conn.execute(
            select(rejects.c.record_no, rejects.c.rule, rejects.c.field, rejects.c.raw).order_by(
                rejects.c.reject_id
            )
        ).all()
    assert batch is not None and batch["records_accepted"] == 2 and batch["received_at"] == AT
    assert dup is not None and dup["duplicate_of"] == "b1"
    assert [tuple(r) for r in stored] == [
        (2, "M2-017", "date_opened", None),
        (2, "M2-030", None, "2  x"),
    ]


def test_ledger_batch_counts_must_reconcile(engine: Engine, bank: str) -> None:
    with pytest.raises(ValueError, match="received 3"), transaction(engine) as conn:
        repo.record_ledger_batch(
            conn,
            batch_id="b1",
            furnisher_id=bank,
            content_hash=_hash("x"),
            format="csv",
            records_received=3,
            records_accepted=1,
            records_rejected=1,
            status="stored",
        )
    with pytest.raises(ValueError, match="duplicate_of"), transaction(engine) as conn:
        repo.record_ledger_batch(
            conn,
            batch_id="b1",
            furnisher_id=bank,
            content_hash=_hash("x"),
            format="csv",
            records_received=0,
            records_accepted=0,
            records_rejected=0,
            status="duplicate",
        )


def test_database_itself_refuses_unreconciled_counts(engine: Engine, bank: str) -> None:
    """The CHECK constraint holds even for a writer that bypasses the repository."""
    from xinyong.store.schema import ledger_batches

    with pytest.raises(IntegrityError), transaction(engine) as conn:
        conn.execute(
            ledger_batches.insert().values(
                batch_id="b1",
                furnisher_id=bank,
                received_at=AT,
                content_hash=_hash("x"),
                format="csv",
                records_received=3,
                records_accepted=3,
                records_rejected=1,
                status="stored",
            )
        )


def test_unknown_reject_fields_are_refused(engine: Engine, bank: str) -> None:
    with pytest.raises(ValueError, match="unknown reject fields"), transaction(engine) as conn:
        repo.add_rejects(conn, "b1", [{"record_no": 1, "rule": "r", "message": "m", "oops": 1}])


def test_meta_set_and_get(engine: Engine) -> None:
    with transaction(engine) as conn:
        repo.set_meta(conn, "jurisdiction", "CN")
        repo.set_meta(conn, "jurisdiction", "EU")
    with engine.connect() as conn:
        assert repo.get_meta(conn, "jurisdiction") == "EU"
        assert repo.get_meta(conn, "missing") is None


def test_counts_cover_every_table(engine: Engine, bank: str) -> None:
    with transaction(engine) as conn:
        repo.add_subject(conn, kind="person")
        repo.add_subject(conn, kind="enterprise")
    with engine.connect() as conn:
        result = repo.counts(conn)
    assert list(result) == sorted(metadata.tables)
    assert result["organisations"] == 1
    assert result["subjects"] == 2
    assert result["store_meta"] == 1  # created_at, written by the migration
    assert sum(result.values()) == 4
