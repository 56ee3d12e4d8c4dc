"""AUC, KS and calibration written out in NumPy, checked by hand and against scikit-learn."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from xinyong.score.metrics import auc, calibration_by_decile, compute_metrics, ks


def test_hand_examples() -> None:
    assert auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)  # ties count half
    assert ks([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == pytest.approx(1.0)
    assert ks([0, 1], [0.5, 0.5]) == pytest.approx(0.0)


def test_against_scikit_learn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 5000)
    p = np.round(rng.uniform(size=5000) * 0.5 + 0.3 * y, 2)  # rounding makes ties
    assert auc(y, p) == pytest.approx(metrics.roc_auc_score(y, p), abs=1e-12)
    fpr, tpr, _ = metrics.roc_curve(y, p)
    assert ks(y, p) == pytest.approx(float(np.max(tpr - fpr)), abs=1e-12)


def test_calibration_and_summary() -> None:
    rng = np.random.default_rng(2)
    p = rng.uniform(0, 0.4, 1000)
    y = (rng.uniform(size=1000) < p).astype(int)
    bins = calibration_by_decile(y, p)
    assert [b.decile for b in bins] == list(range(1, 11))
    assert sum(b.count for b in bins) == 1000
    assert all(a.predicted_bad_rate <= b.predicted_bad_rate for a, b in itertools.pairwise(bins))
    m = compute_metrics(y, p)
    assert m.gini == pytest.approx(2 * m.auc - 1)
    assert m.n == 1000 and 0 < m.brier < 1


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        auc([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError):
        auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError):
        ks([0, 1], [0.1, float("nan")])
