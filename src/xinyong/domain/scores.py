"""A served score with everything needed to explain and to reproduce it.

A score without its reasons, model version and ledger snapshot is not served
(STYLE rule 5): the subject must learn why, and a regulator must be able to
recompute the same number from the same snapshot and model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from xinyong.domain._checks import non_blank, plain_date, require, utc_instant

__all__ = ["MAX_REASONS", "Score", "ScoreReason"]

MAX_REASONS: Final = 5
"""Key factors disclosed with a score: FCRA 609(f) allows four, plus inquiries as a fifth."""


@dataclass(frozen=True, slots=True)
class ScoreReason:
    """One key factor: its rank (1 = most important), code, words, and points lost.

    ``points_lost`` is ``None`` for models that rank factors without additive
    points (e.g. an enterprise rating); a scorecard always fills it.
    """

    rank: int
    code: str
    text: str
    points_lost: float | None

    def __post_init__(self) -> None:
        require(
            isinstance(self.rank, int) and not isinstance(self.rank, bool) and self.rank >= 1,
            "rank",
            "rank",
            f"must be a positive integer, got {self.rank!r}",
        )
        non_blank(self.code, "code")
        non_blank(self.text, "text")
        require(
            self.points_lost is None
            or (
                isinstance(self.points_lost, int | float)
                and math.isfinite(self.points_lost)
                and self.points_lost >= 0
            ),
            "points_lost",
            "non_negative",
            f"must be a finite number >= 0, got {self.points_lost!r}",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Score:
    """A score as served, with its explanation and reproduction keys.

    ``as_of`` is the date the subject's data is taken at; ``ledger_snapshot``
    names the exact ledger state read; ``model_id`` and ``model_version`` name
    the frozen model. Reasons are ranked 1..n in order, n between 1 and
    :data:`MAX_REASONS`, with distinct codes.
    """

    score_id: str
    subject_id: str
    model_id: str
    model_version: str
    as_of: date
    ledger_snapshot: str
    score: int
    score_min: int
    score_max: int
    probability_bad: float | None
    computed_at: datetime
    reasons: tuple[ScoreReason, ...]

    def __post_init__(self) -> None:
        for name in ("score_id", "subject_id", "model_id", "model_version", "ledger_snapshot"):
            non_blank(getattr(self, name), name)
        plain_date(self.as_of, "as_of")
        utc_instant(self.computed_at, "computed_at")
        require(
            self.score_min < self.score_max,
            "score_max",
            "range",
            f"score range [{self.score_min}, {self.score_max}] is empty",
        )
        require(
            self.score_min <= self.score <= self.score_max,
            "score",
            "range",
            f"{self.score} is outside [{self.score_min}, {self.score_max}]",
        )
        if self.probability_bad is not None:
            require(
                0.0 <= self.probability_bad <= 1.0,
                "probability_bad",
                "range",
                f"must be a probability in [0, 1], got {self.probability_bad!r}",
            )
        object.__setattr__(self, "reasons", tuple(self.reasons))
        require(bool(self.reasons), "reasons", "required", "a score is served with its reasons")
        require(
            len(self.reasons) <= MAX_REASONS,
            "reasons",
            "too_many",
            f"{len(self.reasons)} reasons; at most {MAX_REASONS} are disclosed",
        )
        ranks = [reason.rank for reason in self.reasons]
        require(
            ranks == list(range(1, len(ranks) + 1)),
            "reasons",
            "rank_order",
            f"reasons must be ranked 1..{len(ranks)} in order, got {ranks}",
        )
        codes = [reason.code for reason in self.reasons]
        require(
            len(set(codes)) == len(codes), "reasons", "duplicate_code", f"repeated code in {codes}"
        )

    @property
    def range(self) -> tuple[int, int]:
        """The model's score scale, ``(score_min, score_max)``."""
        return (self.score_min, self.score_max)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        """Reason codes in rank order, as an adverse-action notice lists them."""
        return tuple(reason.code for reason in self.reasons)
