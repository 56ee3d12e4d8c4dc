"""A joint account reaches both holders' files: Metro 2 J1 through resolution to scores.

The associated consumer shares the ledger row position of the primary one
(``consumer_no`` 1); resolution links each to its own subject and the batch
pipeline files the account under both, each scored on their own file.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from files_testkit import one, rows
from pipeline_testkit import person_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest" / "metro2"))
from metro2_testkit import clean_j1, clean_record, make_file

from xinyong import batch_ops, system
from xinyong.ingest.metro2 import write
from xinyong.pipeline import read_output
from xinyong.score import ModelRegistry
from xinyong.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XINYONG_DB_URL", raising=False)
    monkeypatch.delenv("XINYONG_HASH_KEY", raising=False)
    monkeypatch.setenv("XINYONG_JURISDICTION", "US")
    return Settings()


def test_the_j1_co_holder_is_linked_filed_and_scored(settings: Settings, tmp_path: Path) -> None:
    system.initialise(settings)
    system.register_furnisher(settings, "US Card", "card", "US", org_id="us-card")
    joint = [clean_j1(social_security_number=223454321)]
    path = tmp_path / "joint.dat"
    path.write_bytes(write(make_file([clean_record(segments=joint)]), "fixed"))
    assert system.ingest(settings, path, "us-card").accepted == 1
    assert system.resolve(settings).subjects == 2
    ModelRegistry(batch_ops.models_dir(settings)).save(person_model())

    run = batch_ops.run_batch(settings, as_of=date(2026, 11, 30), require_model=True)
    links = read_output(run.manifest.run_dir, "links")
    assert sorted(links["consumer_no"].to_pylist()) == [0, 1]
    accounts = read_output(run.manifest.run_dir, "file_accounts")
    primary = one(accounts, consumer_no=0)
    joint_row = one(accounts, consumer_no=1)
    assert primary["subject_id"] != joint_row["subject_id"]
    assert primary["account_key"] == joint_row["account_key"]
    assert primary["item_id"] != joint_row["item_id"]
    assert (primary["ecoa_code"], joint_row["ecoa_code"]) == ("1", "2")
    scores = read_output(run.manifest.run_dir, "scores")
    assert {r["subject_id"] for r in scores.to_pylist()} == {
        primary["subject_id"],
        joint_row["subject_id"],
    }
    assert run.stored is not None and run.stored.scores == 2
    for row in rows(scores):
        assert batch_ops.explain(settings, row["score_id"]).matches


def test_todays_run_publishes_the_files_and_takes_the_rescore_queue(
    settings: Settings, tmp_path: Path
) -> None:
    """``xinyong run`` for today publishes to the service and marks queued rescores done;
    the engine's memory bound changes nothing in the run."""
    from datetime import UTC, datetime

    from sqlalchemy import func, insert, select

    from xinyong.store.engine import transaction
    from xinyong.store.schema import subjects
    from xinyong.store.service_schema import rescore_requests

    system.initialise(settings)
    system.register_furnisher(settings, "US Card", "card", "US", org_id="us-card")
    path = tmp_path / "joint.dat"
    joint = [clean_j1(social_security_number=223454321)]
    path.write_bytes(write(make_file([clean_record(segments=joint)]), "fixed"))
    assert system.ingest(settings, path, "us-card").accepted == 1
    assert system.resolve(settings).subjects == 2
    ModelRegistry(batch_ops.models_dir(settings)).save(person_model())
    opened = system.open_system(settings)
    try:
        with transaction(opened.engine) as conn:
            subject = conn.execute(select(func.min(subjects.c.subject_id))).scalar()
            conn.execute(
                insert(rescore_requests).values(
                    request_id="rq1",
                    subject_id=subject,
                    dispute_id=None,
                    reason="test",
                    requested_at=datetime.now(UTC),
                    done_at=None,
                )
            )
    finally:
        opened.engine.dispose()

    past = batch_ops.run_batch(settings, as_of=date(2026, 11, 1), require_model=True)
    assert past.published is None and past.rescored == 0  # a past date serves nothing
    run = batch_ops.run_batch(settings, require_model=True, memory="512MB")
    assert run.published is not None and run.published.subjects == 2
    assert run.published.run_id == run.manifest.run_id
    assert run.rescored == 1
    again = batch_ops.run_batch(settings, require_model=True)
    assert again.manifest.run_id == run.manifest.run_id and again.rescored == 0
