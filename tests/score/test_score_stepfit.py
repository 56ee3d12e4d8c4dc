"""The joint bin fit: monotone by construction, pulled back to the WoE card, CV-chosen."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

pytest.importorskip("scipy", reason="the joint bin fit needs SciPy")

from xinyong.score.stepfit import Block, choose_penalty, fit_steps


def _u_shaped(n: int = 6000, seed: int = 3) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int8]]:
    """Five regular bins whose true bad rate falls, then rises again in the last bin."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, 5, n).astype(np.int64)
    log_odds = np.array([-1.0, -1.5, -2.0, -2.5, -1.0])[idx]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-log_odds))).astype(np.int8)
    return idx, y


def test_effects_keep_the_trend_even_where_the_data_turn() -> None:
    idx, y = _u_shaped()
    base = np.array([0.5, 0.3, 0.1, -0.1, -0.3, 0.0, 0.0])  # a falling WoE card
    fit = fit_steps([Block(idx, 5, -1, base)], y, penalty=1e-6)
    regular = fit.effects[0][:5]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(regular))
    # the last bin cannot rise above its neighbour: the turn is flattened, not followed
    assert regular[4] == pytest.approx(regular[3], abs=1e-6)


def test_a_strong_penalty_gives_back_the_woe_card() -> None:
    idx, y = _u_shaped()
    base = np.array([0.4, 0.2, 0.0, -0.2, -0.4, 0.0, 0.0])
    fit = fit_steps([Block(idx, 5, -1, base)], y, penalty=1e6)
    assert np.allclose(fit.effects[0][:5], base[:5], atol=1e-4)


def test_empty_special_and_missing_bins_get_the_average_effect() -> None:
    idx, y = _u_shaped()
    base = np.array([0.4, 0.2, 0.0, -0.2, -0.4, 0.0, 0.0])
    effects = fit_steps([Block(idx, 5, -1, base)], y, penalty=1e-3).effects[0]
    counts = np.bincount(idx, minlength=7)
    average = float(np.sum(effects[:5] * counts[:5]) / counts.sum())
    assert effects[5] == pytest.approx(average) and effects[6] == pytest.approx(average)


def test_categorical_groups_are_free() -> None:
    idx, y = _u_shaped()
    fit = fit_steps([Block(idx, 5, 0, np.zeros(7))], y, penalty=1e-6)
    regular = fit.effects[0][:5]
    assert regular[4] > regular[3] + 0.5  # the turn the data show is kept for categories


def test_the_penalty_is_chosen_by_cross_validation_deterministically() -> None:
    idx, y = _u_shaped(n=3000)
    base = np.zeros(7)
    blocks = [Block(idx, 5, 0, base)]
    grid = (1e-4, 1e-2, 10.0)
    chosen = choose_penalty(blocks, y, grid, folds=3, seed=1)
    assert chosen in grid and chosen != 10.0  # real signal: no card of zeros
    assert choose_penalty(blocks, y, grid, folds=3, seed=1) == chosen
    assert choose_penalty(blocks, y, (0.5,), folds=3, seed=1) == 0.5
