"""Points-to-double-odds scaling, pinned to the worked example (600 at 50:1, PDO 20)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.score.scaling import DEFAULT_SCALING, PROFILES, Scaling, round_half_up


def score_at_odds(scaling: Scaling, odds_good_bad: float) -> float:
    return float(scaling.raw_from_log_odds(np.array([math.log(odds_good_bad)]))[0])


def test_factor_and_offset_match_the_worked_example() -> None:
    assert DEFAULT_SCALING.factor == pytest.approx(28.8539, abs=1e-4)
    assert DEFAULT_SCALING.offset == pytest.approx(487.1229, abs=1e-4)


@pytest.mark.parametrize(("odds", "score"), [(25, 580), (50, 600), (100, 620), (200, 640)])
def test_score_table_of_the_worked_example(odds: float, score: float) -> None:
    assert score_at_odds(DEFAULT_SCALING, odds) == pytest.approx(score, abs=1e-9)


def test_600_points_is_a_bad_rate_of_one_in_51() -> None:
    p = DEFAULT_SCALING.probability_bad(np.array([600.0]))[0]
    assert p == pytest.approx(1 / 51, rel=1e-12)


@given(st.floats(min_value=1e-3, max_value=1e6))
def test_twenty_more_points_double_the_odds(odds: float) -> None:
    assert score_at_odds(DEFAULT_SCALING, 2 * odds) - score_at_odds(
        DEFAULT_SCALING, odds
    ) == pytest.approx(20.0, abs=1e-9)


@given(st.floats(min_value=200, max_value=1000))
def test_probability_and_points_are_inverse(raw: float) -> None:
    p = DEFAULT_SCALING.probability_bad(np.array([raw]))[0]
    back = DEFAULT_SCALING.raw_from_log_odds(np.array([math.log((1 - p) / p)]))[0]
    assert back == pytest.approx(raw, abs=1e-6)


def test_scores_are_rounded_half_up_and_clipped_to_the_range() -> None:
    raw = np.array([600.5, 601.5, 599.49, 120.0, 2000.0])
    assert DEFAULT_SCALING.score(raw).tolist() == [601, 602, 599, 300, 850]
    assert round_half_up(np.array([-0.5, 0.5, 1.5])).tolist() == [0.0, 1.0, 2.0]


def test_the_350_950_profile() -> None:
    wide = PROFILES["350-950"]
    assert (wide.score_min, wide.score_max) == (350, 950)
    assert score_at_odds(wide, 50) == pytest.approx(650.0)
    assert score_at_odds(wide, 100) - score_at_odds(wide, 50) == pytest.approx(40.0)
    assert PROFILES["300-850"] is DEFAULT_SCALING


def test_round_trip_and_validation() -> None:
    assert Scaling.from_dict(DEFAULT_SCALING.to_dict()) == DEFAULT_SCALING
    with pytest.raises(ValueError, match="unknown"):
        Scaling.from_dict({**DEFAULT_SCALING.to_dict(), "rate": 2})
    with pytest.raises(ValueError):
        Scaling(pdo=0)
    with pytest.raises(ValueError):
        Scaling(score_min=900, score_max=300)
