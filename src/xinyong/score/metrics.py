"""Discrimination and calibration of a score, in plain NumPy.

Kept free of scikit-learn so that a model can be evaluated wherever it can be
applied, and so that the figures in a model card are reproducible from the
formulas written here: AUC by the rank-sum (Mann-Whitney) identity with ties
counted half, KS as the widest gap between the bad and good cumulative
distributions, Gini = 2 AUC - 1, and calibration as observed against mean
predicted bad rate in ten equal-count groups of predicted probability.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["CalibrationBin", "Metrics", "auc", "calibration_by_decile", "compute_metrics", "ks"]

FloatArray = npt.NDArray[np.float64]


def _check(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[npt.NDArray[np.int8], FloatArray]:
    ya = np.asarray(y)
    pa = np.asarray(p, dtype=np.float64)
    if ya.shape != pa.shape or ya.ndim != 1:
        raise ValueError(f"outcomes {ya.shape} and predictions {pa.shape} must be 1-d, same size")
    if not np.isin(ya, (0, 1)).all():
        raise ValueError("outcomes must be 0 (good) or 1 (bad)")
    if not np.isfinite(pa).all():
        raise ValueError("predictions must be finite")
    return ya.astype(np.int8), pa


def auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Area under the ROC curve of predictions ``p`` of the bad outcome ``y == 1``."""
    ya, pa = _check(y, p)
    n_bad = int(ya.sum())
    n_good = ya.size - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValueError("AUC needs both good and bad outcomes")
    order = np.argsort(pa, kind="mergesort")
    sorted_p = pa[order]
    ranks = np.empty(pa.size, dtype=np.float64)
    # Average ranks over ties: start and end position of each run of equal values.
    _, first, counts = np.unique(sorted_p, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    rank_sum_bad = float(ranks[ya == 1].sum())
    return (rank_sum_bad - n_bad * (n_bad + 1) / 2.0) / (n_bad * n_good)


def ks(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Kolmogorov-Smirnov statistic: the largest gap between bad and good score CDFs."""
    ya, pa = _check(y, p)
    n_bad = int(ya.sum())
    n_good = ya.size - n_bad
    if n_bad == 0 or n_good == 0:
        raise ValueError("KS needs both good and bad outcomes")
    order = np.argsort(pa, kind="mergesort")
    sorted_p = pa[order]
    sorted_y = ya[order]
    cum_bad = np.cumsum(sorted_y) / n_bad
    cum_good = np.cumsum(1 - sorted_y) / n_good
    # Only compare at the end of each run of tied predictions.
    last = np.r_[sorted_p[1:] != sorted_p[:-1], True]
    return float(np.max(np.abs(cum_bad[last] - cum_good[last])))


@dataclass(frozen=True, slots=True)
class CalibrationBin:
    """One group of predictions: its size, mean predicted and observed bad rate."""

    decile: int
    count: int
    predicted_bad_rate: float
    observed_bad_rate: float


def calibration_by_decile(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[CalibrationBin, ...]:
    """Observed against predicted bad rate in ten equal-count groups, lowest risk first.

    Rows are sorted by prediction (stable, so ties keep input order) and cut in
    ten near-equal parts; a decile is never split by anything but position.
    """
    ya, pa = _check(y, p)
    order = np.argsort(pa, kind="mergesort")
    bins: list[CalibrationBin] = []
    for i, part in enumerate(np.array_split(order, 10), start=1):
        if part.size == 0:
            continue
        bins.append(
            CalibrationBin(
                decile=i,
                count=int(part.size),
                predicted_bad_rate=float(pa[part].mean()),
                observed_bad_rate=float(ya[part].mean()),
            )
        )
    return tuple(bins)


@dataclass(frozen=True, slots=True)
class Metrics:
    """How well a model separates and calibrates on one labelled sample."""

    n: int
    bad_rate: float
    auc: float
    ks: float
    gini: float
    brier: float
    calibration: tuple[CalibrationBin, ...]
    sample: str = "holdout"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form, stored beside the model."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Metrics:
        """Inverse of :meth:`to_dict`."""
        return cls(
            n=int(data["n"]),
            bad_rate=float(data["bad_rate"]),
            auc=float(data["auc"]),
            ks=float(data["ks"]),
            gini=float(data["gini"]),
            brier=float(data["brier"]),
            calibration=tuple(CalibrationBin(**b) for b in data["calibration"]),
            sample=str(data.get("sample", "holdout")),
        )


def compute_metrics(y: npt.ArrayLike, p_bad: npt.ArrayLike, *, sample: str = "holdout") -> Metrics:
    """All the figures of a model card from outcomes and predicted bad probabilities."""
    ya, pa = _check(y, p_bad)
    a = auc(ya, pa)
    return Metrics(
        n=int(ya.size),
        bad_rate=float(ya.mean()),
        auc=a,
        ks=ks(ya, pa),
        gini=2.0 * a - 1.0,
        brier=float(np.mean((pa - ya) ** 2)),
        calibration=calibration_by_decile(ya, pa),
        sample=sample,
    )
