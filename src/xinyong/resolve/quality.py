"""Pairwise precision, recall and F1 of a clustering against a known truth.

The measure record-linkage papers and Splink's FEBRL examples use: every pair
of items put in one cluster is a predicted link; it is right when the truth
puts them in one cluster too. Counted from cluster intersections, never by
listing pairs, so a cluster of ten thousand costs nothing extra.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

__all__ = ["PairScores", "pairwise_scores"]


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


@dataclass(frozen=True, slots=True)
class PairScores:
    """Pair counts and the scores derived from them."""

    true_positives: int
    predicted_pairs: int
    true_pairs: int

    @property
    def false_positives(self) -> int:
        return self.predicted_pairs - self.true_positives

    @property
    def false_negatives(self) -> int:
        return self.true_pairs - self.true_positives

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            false_positives=self.false_positives,
            false_negatives=self.false_negatives,
            precision=round(self.precision, 6),
            recall=round(self.recall, 6),
            f1=round(self.f1, 6),
        )
        return out


Item = TypeVar("Item", bound=Hashable)


def pairwise_scores(
    predicted: Mapping[Item, Hashable], truth: Mapping[Item, Hashable]
) -> PairScores:
    """Scores of ``predicted`` (item -> cluster) against ``truth`` (item -> true entity).

    Only items present in both mappings count.
    """
    items = [i for i in predicted if i in truth]
    both = Counter((predicted[i], truth[i]) for i in items)
    pred = Counter(predicted[i] for i in items)
    true = Counter(truth[i] for i in items)
    return PairScores(
        true_positives=sum(_pairs(n) for n in both.values()),
        predicted_pairs=sum(_pairs(n) for n in pred.values()),
        true_pairs=sum(_pairs(n) for n in true.values()),
    )
