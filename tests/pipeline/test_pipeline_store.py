"""Stored scores: loaded in bulk from a run, once, atomically, and explained from the ledger.

Runs on SQLite and PostgreSQL (the ``engine`` fixture of tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_testkit import AS_OF, PipelineKit, person_model
from sqlalchemy import Engine, func, insert, select, update

from xinyong.engine import DuckDBEngine
from xinyong.errors import UserError
from xinyong.pipeline import RunManifest, explain_score, run_pipeline, store_run_scores
from xinyong.pipeline import store_scores as loader
from xinyong.policy import cn
from xinyong.score import ModelRegistry
from xinyong.store.schema import score_reasons, scores, subjects
from xinyong.store.score_schema import score_runs
from xinyong.store.types import utc_now


def _subjects(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(subjects),
            [
                {"subject_id": s, "kind": kind, "created_at": utc_now(), "status": "active"}
                for s, kind in (("P1", "person"), ("P2", "person"), ("P3", "person"),
                                ("E1", "enterprise"))
            ],
        )  # fmt: skip


def _run(country: PipelineKit, out: Path) -> RunManifest:
    with DuckDBEngine() as engine:
        return run_pipeline(
            engine, country.kit.ledger, country.links, AS_OF, cn.PROFILE, person_model(), out,
            snapshot_id=country.snapshot_id,
        )  # fmt: skip


def _count(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (score_runs, scores, score_reasons)
        )


def test_scores_are_stored_once_with_their_run(
    engine: Engine, country: PipelineKit, tmp_path: Path
) -> None:
    _subjects(engine)
    run = _run(country, tmp_path / "runs")
    model = person_model()
    stored = store_run_scores(engine, run, model)
    assert (stored.scores, stored.reasons, stored.already_stored) == (
        run.counts["scores"],
        run.counts["score_reasons"],
        False,
    )
    with engine.connect() as conn:
        row = conn.execute(select(scores).where(scores.c.subject_id == "P1")).mappings().one()
    assert row["run_id"] == run.run_id and row["ledger_snapshot"] == run.snapshot_id
    assert row["model_id"] == model.model_id and row["as_of"] == AS_OF
    assert len(row["inputs_hash"]) == 64
    assert (row["score_min"], row["score_max"]) == (300, 850)
    before = _count(engine)
    again = store_run_scores(engine, _run(country, tmp_path / "runs"), model)
    assert again.already_stored and (again.scores, again.reasons) == (0, 0)
    assert _count(engine) == before


def test_a_crash_while_loading_leaves_the_store_as_it_was(
    engine: Engine, country: PipelineKit, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _subjects(engine)
    run = _run(country, tmp_path / "runs")
    calls = {"n": 0}
    real = loader._chunks

    def failing(table):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:  # after the run row and the scores, before the reasons
            raise RuntimeError("disk full")
        return real(table)

    monkeypatch.setattr(loader, "_chunks", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        store_run_scores(engine, run, person_model())
    assert _count(engine) == (0, 0, 0)
    monkeypatch.setattr(loader, "_chunks", real)
    assert store_run_scores(engine, run, person_model()).scores == run.counts["scores"]


def test_explain_recomputes_the_stored_score_and_reasons(
    engine: Engine, country: PipelineKit, tmp_path: Path
) -> None:
    _subjects(engine)
    run = _run(country, tmp_path / "runs")
    model = person_model()
    registry = ModelRegistry(tmp_path / "models")
    registry.save(model)
    store_run_scores(engine, run, model)
    with engine.connect() as conn:
        ids = dict(conn.execute(select(scores.c.subject_id, scores.c.score_id)).all())
    for subject in ("P1", "P2", "P3"):
        check = explain_score(engine, country.kit.ledger, registry, ids[subject])
        assert check.matches, check.differences
        assert check.recomputed is not None and check.recomputed.score == check.stored_score
        assert [(r.rank, r.code, r.points_lost) for r in check.stored_reasons] == [
            (r.rank, r.code, r.points_lost) for r in check.recomputed.reasons
        ]
        assert check.recomputed_inputs_hash == check.stored_inputs_hash

    with engine.begin() as conn:  # a stored number that the data does not give
        conn.execute(update(scores).where(scores.c.score_id == ids["P2"]).values(score=301))
    check = explain_score(engine, country.kit.ledger, registry, ids["P2"])
    assert not check.matches
    assert any("score: stored 301" in d for d in check.differences)

    with pytest.raises(UserError, match="no stored score"):
        explain_score(engine, country.kit.ledger, registry, "S-nope")
