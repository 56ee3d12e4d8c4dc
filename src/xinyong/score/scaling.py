"""Points-to-double-odds scaling: how a log-odds becomes a score on a published range.

A scorecard's points mean nothing without the scale they were drawn on, and a
reloaded model that forgot its scale serves different numbers to the same people
(toad#110). So the scale is a frozen value saved inside every model and hashed
into its id: ``score = offset + factor * ln(odds good:bad)`` with
``factor = pdo / ln 2`` and ``offset = points0 - factor * ln(odds0)``.

The default puts 600 points at 50:1 good:bad odds with 20 points to double the
odds (factor 28.8539, offset 487.1229, Siddiqi 2012), clipped to 300-850.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_SCALING",
    "PROFILES",
    "Scaling",
    "round_half_up",
]

FloatArray = npt.NDArray[np.float64]


def round_half_up(values: FloatArray) -> FloatArray:
    """Round to whole points with halves going up, the same way for every input.

    ``np.rint`` rounds halves to even, which makes 600.5 and 601.5 move in
    different directions; a published score rounds one way only.
    """
    return np.floor(values + 0.5)


@dataclass(frozen=True, slots=True)
class Scaling:
    """One score scale: anchor points at anchor odds, points to double the odds, range.

    ``odds0`` is good:bad (50 means 50 goods per bad, a 1.96 % bad rate).
    """

    name: str = "300-850"
    points0: float = 600.0
    odds0: float = 50.0
    pdo: float = 20.0
    score_min: int = 300
    score_max: int = 850

    def __post_init__(self) -> None:
        if not (self.pdo > 0 and math.isfinite(self.pdo)):
            raise ValueError(f"pdo must be a positive number, got {self.pdo!r}")
        if not (self.odds0 > 0 and math.isfinite(self.odds0)):
            raise ValueError(f"odds0 must be positive good:bad odds, got {self.odds0!r}")
        if not math.isfinite(self.points0):
            raise ValueError(f"points0 must be finite, got {self.points0!r}")
        if not self.score_min < self.score_max:
            raise ValueError(f"empty score range [{self.score_min}, {self.score_max}]")

    @property
    def factor(self) -> float:
        """Points per unit of natural-log odds: ``pdo / ln 2``."""
        return self.pdo / math.log(2.0)

    @property
    def offset(self) -> float:
        """Points at even odds (1:1): ``points0 - factor * ln(odds0)``."""
        return self.points0 - self.factor * math.log(self.odds0)

    def raw_from_log_odds(self, log_odds_good: FloatArray) -> FloatArray:
        """Unrounded, unclipped points for natural-log good:bad odds."""
        return self.offset + self.factor * np.asarray(log_odds_good, dtype=np.float64)

    def log_odds_from_raw(self, raw: FloatArray) -> FloatArray:
        """Natural-log good:bad odds that a raw points total stands for."""
        return (np.asarray(raw, dtype=np.float64) - self.offset) / self.factor

    def probability_bad(self, raw: FloatArray) -> FloatArray:
        """Probability of the bad outcome for a raw (unclipped) points total."""
        z = self.log_odds_from_raw(raw)
        return 1.0 / (1.0 + np.exp(z))

    def score(self, raw: FloatArray) -> npt.NDArray[np.int64]:
        """Published scores: raw points rounded half up, then clipped to the range."""
        rounded = round_half_up(np.asarray(raw, dtype=np.float64))
        return np.clip(rounded, self.score_min, self.score_max).astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form, saved inside the model (numbers normalised for hashing)."""
        return {
            "name": str(self.name),
            "points0": float(self.points0),
            "odds0": float(self.odds0),
            "pdo": float(self.pdo),
            "score_min": int(self.score_min),
            "score_max": int(self.score_max),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scaling:
        """Inverse of :meth:`to_dict`; unknown keys are an error, not silently dropped."""
        unknown = set(data) - {"name", "points0", "odds0", "pdo", "score_min", "score_max"}
        if unknown:
            raise ValueError(f"unknown scaling keys {sorted(unknown)}")
        return cls(
            name=str(data["name"]),
            points0=float(data["points0"]),
            odds0=float(data["odds0"]),
            pdo=float(data["pdo"]),
            score_min=int(data["score_min"]),
            score_max=int(data["score_max"]),
        )


DEFAULT_SCALING: Final = Scaling()
"""300-850, 600 points at 50:1 good:bad, 20 points to double the odds."""

PROFILES: Final[dict[str, Scaling]] = {
    "300-850": DEFAULT_SCALING,
    "350-950": Scaling(
        name="350-950", points0=650.0, odds0=50.0, pdo=40.0, score_min=350, score_max=950
    ),
}
"""Named scales. 350-950 (the range Chinese consumer scores publish on) puts 650
points at 50:1 and spends 40 points per doubling, so a typical population's odds
(1:1 to 1000:1) spread over 424-823 instead of crowding one end."""
