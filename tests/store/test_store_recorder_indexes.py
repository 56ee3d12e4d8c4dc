"""Migration 0016: what every recorded inquiry writes has no index on a random key
that nobody reads, and what is read still finds its index.

The recorder writes an ``inquiry_requests`` row and an audit event per inquiry.
The audit chain has no unique index on its hash any more (nothing reads by it,
and the chain cannot repeat a hash), and requests are indexed by subject only
where they are the subject's own: the free-report count reads those, through the
partial index. On SQLite and PostgreSQL; the plan is checked on SQLite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, inspect

from xinyong.api.subject_service import own_requests
from xinyong.audit import chain
from xinyong.domain.inquiries import Purpose
from xinyong.store import inquiry_log
from xinyong.store.engine import transaction
from xinyong.store.migrate import downgrade, upgrade
from xinyong.store.schema import subjects
from xinyong.store.service_schema import SUBJECT_REQUESTS, inquiry_requests

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_the_partial_index_states_the_subjects_own_purpose() -> None:
    assert f"purpose = '{Purpose.SUBJECT_REQUEST.value}'" == SUBJECT_REQUESTS


def _indexes(engine: Engine) -> dict[str, list[str | None]]:
    found = inspect(engine)
    # Since 0017 the table is in the inquiry log's own file on a SQLite store file.
    schema = inquiry_log.SCHEMA if "inquiry_requests" not in found.get_table_names() else None
    indexes = found.get_indexes("inquiry_requests", schema=schema)
    return {str(ix["name"]): list(ix["column_names"]) for ix in indexes}


def _hash_is_unique(engine: Engine) -> bool:
    found = inspect(engine)
    unique = [u["column_names"] for u in found.get_unique_constraints("audit_events")]
    indexed = [i["column_names"] for i in found.get_indexes("audit_events") if i["unique"]]
    return ["hash"] in unique + indexed


def test_the_recorders_tables_lose_their_random_indexes_and_get_them_back(engine: Engine) -> None:
    assert not _hash_is_unique(engine)
    indexes = _indexes(engine)
    assert indexes["ix_inquiry_requests_subject_requests"] == ["subject_id", "at"]
    assert "ix_inquiry_requests_subject_id_at" not in indexes
    downgrade(engine, "0015")
    assert _hash_is_unique(engine)
    assert "ix_inquiry_requests_subject_id_at" in _indexes(engine)
    upgrade(engine)
    assert not _hash_is_unique(engine)


def test_the_audit_chain_still_appends_and_verifies(engine: Engine) -> None:
    with transaction(engine) as conn:
        for n in range(3):
            chain.append(conn, "op", "test.event", None, None, {"n": n}, NOW)
    with engine.connect() as conn:
        assert chain.verify(conn).ok


def _request(request_id: str, purpose: str, at: datetime) -> dict[str, object]:
    return {
        "request_id": request_id,
        "subject_id": "s-1",
        "purpose": purpose,
        "kind": "soft",
        "outcome": "served",
        "at": at,
    }


def test_the_free_report_count_reads_the_subjects_own_requests(engine: Engine) -> None:
    with transaction(engine) as conn:
        conn.execute(insert(subjects).values(subject_id="s-1", kind="person", created_at=NOW))
        conn.execute(
            insert(inquiry_requests),
            [
                _request("r-1", Purpose.SUBJECT_REQUEST.value, NOW - timedelta(days=400)),
                _request("r-2", Purpose.SUBJECT_REQUEST.value, NOW - timedelta(days=30)),
                _request("r-3", Purpose.SUBJECT_REQUEST.value, NOW - timedelta(days=1)),
                _request("r-4", Purpose.ACCOUNT_REVIEW.value, NOW - timedelta(days=1)),
            ],
        )
    with engine.connect() as conn:
        assert conn.execute(own_requests("s-1", NOW - timedelta(days=365))).scalar_one() == 2
        if engine.dialect.name == "sqlite":
            query = own_requests("s-1", NOW - timedelta(days=365))
            compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").fetchall()
            assert "ix_inquiry_requests_subject_requests" in " ".join(str(r[-1]) for r in plan)
