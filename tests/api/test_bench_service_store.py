"""The service benchmark's seeded SQLite store survives a migration: a copy of a store
seeded the same way at an earlier revision is upgraded instead of seeded again (seeding
a million subjects takes minutes, and every migration changes the cache key)."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import service as bench  # benchmarks/service.py
from service_seed import NOW

from xinyong.api.context import Principal
from xinyong.api.recorder import Attempt, Recorder
from xinyong.store.migrate import current_revision, downgrade, head_revision
from xinyong.store.schema import audit_events, inquiries, inquiry_events, subjects
from xinyong.store.service_schema import inquiry_requests, rate_counters

SUBJECTS = 20


def test_an_earlier_revisions_store_is_upgraded_not_seeded_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, token = bench.sqlite_store(SUBJECTS, tmp_path)
    assert "seeding" in capsys.readouterr().out
    # The same seed at the revision before the head, under the key it had then.
    previous = str(int(head_revision()) - 1).zfill(4)
    downgrade(url, previous)
    seeded = Path(url.removeprefix("sqlite:///"))
    earlier = seeded.with_name("service-earlier.sqlite3")
    seeded.rename(earlier)

    def must_not_seed(*_: object) -> str:
        raise AssertionError("seeded again")

    monkeypatch.setattr(bench, "_seed_into", must_not_seed)
    again_url, again_token = bench.sqlite_store(SUBJECTS, tmp_path)
    assert "upgrading a copy" in capsys.readouterr().out
    assert (again_url, again_token) == (url, token)
    assert current_revision(again_url) == head_revision()
    assert current_revision(f"sqlite:///{earlier}") == previous  # the original is kept
    # Another subject count is not the same seed: seeded anew.
    with pytest.raises(AssertionError, match="seeded again"):
        bench.sqlite_store(SUBJECTS + 1, tmp_path)


def _recorded(url: str, subject_id: str, n: int) -> None:
    """``n`` inquiries recorded as the service records them (requests, rate counts,
    the inquiry chain)."""
    engine = bench.make_engine(url)
    recorder = Recorder(engine)
    try:
        principal = Principal(role="inquirer", credential_id="k-bench", org_id="lender-a")
        for i in range(n):
            attempt = Attempt(
                principal=principal,
                at=NOW + timedelta(seconds=i),  # one rate window
                subject_id=subject_id,
                purpose="credit_application",
                kind="hard",
                consent_id=None,
                inquiry_id=f"inq-{i}",
                refusal=None,
                allowance=100,
            )
            recorder.submit(attempt).result(timeout=30)
    finally:
        recorder.close()
        engine.dispose()


def _counts(url: str) -> dict[str, int]:
    engine = bench.make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (inquiries, inquiry_requests, rate_counters, inquiry_events)
            }
    finally:
        engine.dispose()


def test_a_reset_deletes_what_runs_recorded_and_keeps_the_seed(
    backend: str, store_url: str, tmp_path: Path
) -> None:
    """Every run starts from the seeded store: what earlier runs recorded is gone
    (on PostgreSQL partly by ``TRUNCATE``), the seed's audit events stay."""
    if backend == "sqlite":
        url, _ = bench.sqlite_store(SUBJECTS, tmp_path)
    else:
        url, _ = bench.postgres_store(SUBJECTS, store_url)
    try:
        _reset_after_runs(url)
    finally:
        if backend == "postgresql":  # the benchmark's own schema, not the test's
            schema = make_url(url).query["options"].removeprefix("-csearch_path=")
            engine = bench.make_engine(store_url)
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            engine.dispose()


def _reset_after_runs(url: str) -> None:
    engine = bench.make_engine(url)
    try:
        with engine.connect() as conn:
            subject_id = conn.execute(select(subjects.c.subject_id).limit(1)).scalar_one()
            seeded_audit = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
    finally:
        engine.dispose()
    _recorded(url, subject_id, 3)
    assert _counts(url) == {
        "inquiries": 3,
        "inquiry_requests": 3,
        "rate_counters": 1,
        "inquiry_events": 3,
    }
    assert bench.reset_store(url) == 3 + 3 + 1 + 3
    assert _counts(url) == dict.fromkeys(
        ("inquiries", "inquiry_requests", "rate_counters", "inquiry_events"), 0
    )
    engine = bench.make_engine(url)
    try:
        with engine.connect() as conn:
            kept = conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
    finally:
        engine.dispose()
    assert kept == seeded_audit
