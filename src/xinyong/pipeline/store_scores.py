"""Load a run's scores into the serving store, in bulk and in one transaction.

The run row (``score_runs``), every score and every reason go in together or
not at all: a crash part-way leaves the store as it was. A run already stored
(same run id, hence same inputs) adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa
from sqlalchemy import Engine, insert, select

from xinyong.api.report_facts import scores_in_bulk
from xinyong.pipeline.manifest import RunManifest, read_output
from xinyong.score.model import ScorecardModel
from xinyong.store.engine import transaction
from xinyong.store.schema import score_reasons, scores
from xinyong.store.score_schema import score_runs
from xinyong.store.types import utc_now

__all__ = ["StoredScores", "store_run_scores"]

_CHUNK: Final = 5_000


@dataclass(frozen=True, slots=True)
class StoredScores:
    """How many rows a load added (zero for a run stored before)."""

    run_id: str
    scores: int
    reasons: int
    already_stored: bool


def _chunks(table: pa.Table) -> Iterator[list[dict[str, Any]]]:
    for batch in table.to_batches(max_chunksize=_CHUNK):
        yield batch.to_pylist()


def store_run_scores(engine: Engine, manifest: RunManifest, model: ScorecardModel) -> StoredScores:
    """Store the scores and reasons of ``manifest``'s run, scored with ``model``."""
    if manifest.model_id != model.model_id:
        raise ValueError(
            f"run {manifest.run_id} was scored with model {manifest.model_id}, not {model.model_id}"
        )
    scored = read_output(manifest.run_dir, "scores")
    reasons = read_output(manifest.run_dir, "score_reasons")
    now = utc_now()
    fixed = {
        "model_version": model.model_id[:12],
        "score_min": int(model.scaling.score_min),
        "score_max": int(model.scaling.score_max),
        "computed_at": now,
    }
    rows = scored.select(
        [
            "score_id",
            "subject_id",
            "model_id",
            "as_of",
            "ledger_snapshot",
            "run_id",
            "score",
            "probability_bad",
            "inputs_hash",
        ]
    )
    with transaction(engine) as conn:
        done = conn.execute(
            select(score_runs.c.run_id).where(score_runs.c.run_id == manifest.run_id)
        ).first()
        if done is not None:
            return StoredScores(manifest.run_id, 0, 0, already_stored=True)
        conn.execute(
            insert(score_runs).values(
                run_id=manifest.run_id,
                engine=manifest.engine,
                as_of=manifest.as_of,
                ledger_snapshot=manifest.snapshot_id,
                jurisdiction=manifest.jurisdiction,
                model_id=model.model_id,
                links_hash=manifest.links_hash,
                suppressed_hash=manifest.suppressed_hash,
                run_dir=str(manifest.run_dir.resolve()),
                scores=scored.num_rows,
                manifest=manifest.to_dict(),
                stored_at=now,
            )
        )
        # The stored report copies of the run's subjects are cleared once, at the end,
        # not by a trigger per score and reason (``report_facts.scores_in_bulk``).
        with scores_in_bulk(conn, manifest.run_id):
            for chunk in _chunks(rows):
                conn.execute(insert(scores), [{**row, **fixed} for row in chunk])
            for chunk in _chunks(
                reasons.select(["score_id", "rank", "code", "text", "points_lost"])
            ):
                conn.execute(insert(score_reasons), chunk)
    return StoredScores(manifest.run_id, scored.num_rows, reasons.num_rows, already_stored=False)
