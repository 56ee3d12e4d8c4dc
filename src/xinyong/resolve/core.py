"""The linking engine in memory: comparison frame in, candidate decisions out.

No store and no ledger here, so the same code serves ``xinyong resolve`` (which
adds the decisions already stored and writes the result) and the benchmarks
(which score the result against a known truth). Per subject kind:

1. deterministic candidates (:mod:`~xinyong.resolve.deterministic`);
2. the Splink model, trained on the frame (a full run, or no model yet) or
   the one trained before (an incremental run);
3. scored pairs: at or above ``link_weight`` a positive candidate, between
   ``review_weight`` and ``link_weight`` an *unsure* one for the review queue.

One candidate per pair survives, the deterministic one first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from xinyong.resolve.clustering import Clustering, Edge, MentionFacts, cluster
from xinyong.resolve.deterministic import Candidate, deterministic_candidates
from xinyong.resolve.model import (
    DbApiFactory,
    TrainedModel,
    predict,
    spec_for,
    train,
    train_and_predict,
)

__all__ = [
    "KINDS",
    "DbApiFactory",
    "LinkConfig",
    "LinkOutcome",
    "ProgressFn",
    "candidate_edges",
    "cluster_frame",
    "facts_from_frame",
    "link_candidates",
    "probability_to_weight",
]

KINDS: Final = ("person", "enterprise")

#: ``progress(stage, done, total)``: what is running and how far it is.
ProgressFn = Callable[[str, int, int], None]


def probability_to_weight(probability: float) -> float:
    """Splink's match weight (log2 Bayes factor) of a match probability."""
    import math

    return math.log2(probability / (1.0 - probability))


@dataclass(frozen=True)
class LinkConfig:
    """Thresholds and training parameters of a run.

    ``link_weight``: a model score at or above it links (default: match
    probability 0.8, see ``docs/resolution.md`` for why). ``review_weight``:
    from here up to ``link_weight`` a pair goes to the review queue (default:
    probability 0.2). ``max_pairs``: the random pairs behind the u
    estimates, shared between the person and enterprise models in proportion
    to their mentions (at least ``min_pairs`` each), so that the cost of
    training does not double with a second kind. ``min_train_mentions``:
    below this, a kind's first batch is too small to train on and is linked
    by the deterministic rules only until more data arrives.
    """

    link_weight: float = field(default_factory=lambda: probability_to_weight(0.8))
    review_weight: float = field(default_factory=lambda: probability_to_weight(0.2))
    max_pairs: float = 5e5
    min_pairs: float = 5e4
    seed: int = 1
    min_train_mentions: int = 100


@dataclass(frozen=True)
class LinkOutcome:
    """Candidates of one linking pass, the models used, and where the time went."""

    candidates: list[Candidate]
    models: dict[str, TrainedModel]
    timings: dict[str, float]


def _kind(frame: pa.Table, kind: str) -> pa.Table:
    return frame.filter(pc.equal(frame["kind"], kind))


def _splink_candidates(pairs: pa.Table, config: LinkConfig) -> Iterable[Candidate]:
    for left, right, weight, probability in zip(
        pairs["left_key"].to_pylist(),
        pairs["right_key"].to_pylist(),
        pairs["match_weight"].to_pylist(),
        pairs["match_probability"].to_pylist(),
        strict=True,
    ):
        linked = weight >= config.link_weight
        yield Candidate.make(
            left,
            right,
            "positive" if linked else "unsure",
            "splink",
            f"match weight {weight:.2f}" + ("" if linked else ": uncertain, for review"),
            match_weight=weight,
            match_probability=probability,
        )


def link_candidates(
    frame: pa.Table,
    *,
    config: LinkConfig,
    models: Mapping[str, TrainedModel] | None = None,
    new: Collection[str] | None = None,
    retrain: bool = False,
    progress: ProgressFn | None = None,
    db_api: DbApiFactory | None = None,
) -> LinkOutcome:
    """Candidate decisions over ``frame`` (all mentions), per subject kind.

    With ``new`` (keys of the mentions added since the last run) only pairs
    touching a new mention are proposed, scored with ``models`` unless
    ``retrain`` or there is no model for the kind yet.

    ``db_api`` makes the Splink backend each linker runs on (default: a new
    in-memory DuckDB; ``SparkEngine.splink_db_api`` for Spark). The settings,
    blocking rules and training steps are the same on every backend; a model
    trained on one backend is re-rendered for another's SQL dialect
    (:func:`~xinyong.resolve.model.render_for`) and scores the same there.
    """
    timings: dict[str, float] = {}
    used: dict[str, TrainedModel] = {}
    found: dict[tuple[str, str], Candidate] = {}

    def tick(stage: str, start: float) -> float:
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - start
        return now

    for step, kind in enumerate(KINDS):
        sub = _kind(frame, kind)
        if sub.num_rows == 0:
            continue
        budget = max(config.min_pairs, config.max_pairs * sub.num_rows / frame.num_rows)
        t = time.perf_counter()
        if progress is not None:
            progress(f"{kind}: deterministic links", step * 3, len(KINDS) * 3)
        for c in deterministic_candidates(sub, new):
            found.setdefault((c.left, c.right), c)
        t = tick("deterministic", t)
        model = None if models is None else models.get(kind)
        pairs: pa.Table | None = None
        if model is None or retrain:
            model = None
            if sub.num_rows >= config.min_train_mentions:
                if progress is not None:
                    progress(f"{kind}: training the model", step * 3 + 1, len(KINDS) * 3)
                if new is None:
                    model, pairs = train_and_predict(
                        sub,
                        spec_for(kind),
                        seed=config.seed,
                        max_pairs=budget,
                        threshold_weight=config.review_weight,
                        db_api=db_api,
                    )
                else:
                    model = train(
                        sub, spec_for(kind), seed=config.seed, max_pairs=budget, db_api=db_api
                    )
            t = tick("train", t)
        if model is None:
            continue
        used[kind] = model
        if progress is not None:
            progress(f"{kind}: scoring pairs", step * 3 + 2, len(KINDS) * 3)
        if pairs is not None:
            pass  # a full run scored its pairs with the training linker
        elif new is None:
            pairs = predict(model, sub, threshold_weight=config.review_weight, db_api=db_api)
        else:
            is_new = pc.is_in(sub["unique_id"], value_set=pa.array(sorted(new), pa.string()))
            pairs = predict(
                model,
                sub.filter(pc.invert(is_new)),
                new=sub.filter(is_new),
                threshold_weight=config.review_weight,
                db_api=db_api,
            )
        for c in _splink_candidates(pairs, config):
            found.setdefault((c.left, c.right), c)
        tick("predict", t)
    if progress is not None:
        progress("linking done", len(KINDS) * 3, len(KINDS) * 3)
    return LinkOutcome(list(found.values()), used, timings)


def facts_from_frame(frame: pa.Table) -> list[MentionFacts]:
    """Clustering facts (kind, identifier, birth date) of every frame row."""
    cols = frame.select(["unique_id", "kind", "id_scheme", "id_hash", "dob"]).to_pydict()
    return [
        MentionFacts(key, kind, scheme, digest, dob)
        for key, kind, scheme, digest, dob in zip(
            cols["unique_id"],
            cols["kind"],
            cols["id_scheme"],
            cols["id_hash"],
            cols["dob"],
            strict=True,
        )
    ]


def candidate_edges(candidates: Iterable[Candidate]) -> list[Edge]:
    """Positive candidates as clustering edges (``ref``: index in the list given)."""
    return [
        Edge(c.left, c.right, c.method, c.match_weight, i)
        for i, c in enumerate(candidates)
        if c.judgement == "positive"
    ]


def cluster_frame(frame: pa.Table, outcome: LinkOutcome) -> Clustering:
    """Subjects of a frame from one pass's candidates alone (benchmarks, first runs)."""
    return cluster(facts_from_frame(frame), candidate_edges(outcome.candidates))
