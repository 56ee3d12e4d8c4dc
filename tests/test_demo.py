"""The README's main job, end to end: generated files through the real ingest."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xinyong import batch_ops, demo, system
from xinyong.cli import app
from xinyong.pipeline import read_output
from xinyong.settings import Settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XINYONG_DB_URL", raising=False)
    monkeypatch.delenv("XINYONG_HASH_KEY", raising=False)
    return Settings()


def test_ingest_rejects_exactly_the_planted_records(settings: Settings) -> None:
    result = demo.run(settings, persons=400, enterprises=40, seed=5)
    assert result.synth is not None
    assert result.received == result.synth.records
    assert result.accepted + result.rejected == result.received
    planted = sum(result.expected_rejects.values())
    assert planted == result.synth.expected_rejects > 0
    assert result.rejects_as_planted, (
        result.expected_rejects - result.actual_rejects,
        result.actual_rejects - result.expected_rejects,
    )
    formats = {b.format for b in result.batches}
    assert formats == {"csv", "jsonl", "parquet", "metro2"}
    # The population's furnishers are registered with their (fictional) contact details.
    furnishers = system.list_furnishers(settings)
    assert furnishers and all(f["address"] and f["telephone"] for f in furnishers)

    again = demo.run(settings, persons=400, enterprises=40, seed=5)
    assert again.synth is None
    assert {b.status for b in again.batches} == {"duplicate"}
    assert again.rejects_as_planted

    # Then resolution, the population scorecard, and the batch pipeline's stored scores.
    system.resolve(settings)
    scored = demo.score(settings, result)
    assert scored.subjects_scored > 300 and scored.run.stored is not None
    assert scored.run.stored.scores == scored.subjects_scored
    assert 0.55 < scored.population.holdout_auc <= scored.population.ceiling_auc + 0.05
    assert len(scored.run.deciles) == 9 and list(scored.run.deciles) == sorted(scored.run.deciles)
    twice = demo.score(settings, again)
    assert twice.run.manifest.run_id == scored.run.manifest.run_id
    assert twice.run.stored is not None and twice.run.stored.already_stored

    stored = read_output(scored.run.manifest.run_dir, "scores").slice(0, 3).to_pylist()
    for row in stored:
        check = batch_ops.explain(settings, row["score_id"])
        assert check.matches, check.differences
        assert check.stored_score == row["score"]
    values = batch_ops.attributes_of(settings, stored[0]["subject_id"], scored.run.manifest.as_of)
    assert len(values) > 30 and all(v.meaning and v.unit for v in values)


def test_demo_and_synth_commands(settings: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app, ["synth", "--out", str(tmp_path / "pop"), "--persons", "50", "--enterprises", "5"]
    )
    assert made.exit_code == 0, made.output
    assert (tmp_path / "pop" / "truth" / "rejects.csv").is_file()
    bad = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), "--formats", "xml"])
    assert bad.exit_code == 1
    ascii_only = runner.invoke(app, ["synth", "--out", str(tmp_path / "y"), "--formats", "metro2"])
    assert ascii_only.exit_code == 1 and "Metro 2" in ascii_only.output

    result = runner.invoke(app, ["demo", "--persons", "200", "--enterprises", "20"])
    assert result.exit_code == 0, result.output
    assert "ingest rejected exactly the planted ones" in result.stdout
    assert "3. identity resolution" in result.stdout
    assert "4. population scorecard" in result.stdout and "persons scored" in result.stdout
