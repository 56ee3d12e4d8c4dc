"""``score explain``: recompute one stored score from the ledger and compare.

The stored score names its run; the run names the ledger snapshot, the as-of
date, the jurisdiction and the model, and its folder keeps the links, the
suppressed items and the inquiries it used. From those alone the subject's
file is rebuilt, its attributes recomputed and the score worked out again
with the scalar :func:`~xinyong.score.apply.score_one` (a second
implementation, not the batch kernel that stored it). Any difference in the
number, the reasons or the hash of the inputs is reported, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, select

from xinyong.attributes.compute import compute_attributes
from xinyong.domain.scores import ScoreReason
from xinyong.errors import UserError
from xinyong.files.build import build_files
from xinyong.ledger import Ledger
from xinyong.pipeline.manifest import read_output
from xinyong.policy import get_profile
from xinyong.score.apply import Explanation, input_fingerprint, score_one
from xinyong.score.registry import ModelRegistry
from xinyong.store.schema import score_reasons, scores
from xinyong.store.score_schema import score_runs

__all__ = ["ScoreCheck", "explain_score"]


@dataclass(frozen=True, slots=True)
class ScoreCheck:
    """A stored score beside its recomputation, and every way they differ."""

    score_id: str
    subject_id: str
    run_id: str
    model_id: str
    as_of: date
    ledger_snapshot: str
    stored_score: int
    stored_reasons: tuple[ScoreReason, ...]
    stored_inputs_hash: str | None
    attributes: dict[str, Any]
    recomputed: Explanation | None
    recomputed_inputs_hash: str | None
    differences: tuple[str, ...]

    @property
    def matches(self) -> bool:
        """The recomputation gave the same number, reasons and inputs."""
        return not self.differences


def _only(table: pa.Table, subject_id: str) -> pa.Table:
    return table.filter(pc.equal(table["subject_id"], pa.scalar(subject_id)))


def _differences(
    stored: tuple[int, tuple[ScoreReason, ...], str | None, str],
    got: Explanation,
    fingerprint: str,
) -> list[str]:
    score, reasons, stored_fp, model_id = stored
    out = []
    if got.model_id != model_id:
        out.append(f"model: stored {model_id}, recomputed with {got.model_id}")
    if got.score != score:
        out.append(f"score: stored {score}, recomputed {got.score}")
    want = [(r.rank, r.code, r.points_lost) for r in reasons]
    have = [(r.rank, r.code, r.points_lost) for r in got.reasons]
    if want != have:
        out.append(f"reasons: stored {want}, recomputed {have}")
    if stored_fp is not None and stored_fp != fingerprint:
        out.append(f"inputs: stored hash {stored_fp}, recomputed {fingerprint}")
    return out


def explain_score(
    engine: Engine, ledger: Ledger, registry: ModelRegistry, score_id: str
) -> ScoreCheck:
    """Recompute stored score ``score_id`` from the ledger snapshot and the run's links."""
    with engine.connect() as conn:
        row = conn.execute(select(scores).where(scores.c.score_id == score_id)).mappings().first()
        if row is None:
            raise UserError(f"no stored score {score_id!r}")
        if row["run_id"] is None:
            raise UserError(f"score {score_id} was not stored by a pipeline run: no run to replay")
        run = (
            conn.execute(select(score_runs).where(score_runs.c.run_id == row["run_id"]))
            .mappings()
            .one()
        )
        reason_rows = conn.execute(
            select(score_reasons)
            .where(score_reasons.c.score_id == score_id)
            .order_by(score_reasons.c.rank)
        ).mappings()
        stored_reasons = tuple(
            ScoreReason(int(r["rank"]), r["code"], r["text"], r["points_lost"]) for r in reason_rows
        )
    run_dir = Path(run["run_dir"])
    if not run_dir.is_dir():
        raise UserError(f"the folder of run {run['run_id']} is gone ({run_dir}): cannot replay it")
    subject_id = str(row["subject_id"])
    model = registry.load(str(row["model_id"]))
    as_of: date = row["as_of"]
    files = build_files(
        ledger,
        _only(read_output(run_dir, "links"), subject_id),
        as_of,
        get_profile(run["jurisdiction"]),
        snapshot_id=row["ledger_snapshot"],
        suppressed=read_output(run_dir, "suppressed"),
        inquiries=_only(read_output(run_dir, "file_inquiries"), subject_id),
    )
    table = _only(compute_attributes(files), subject_id)
    attributes = table.to_pylist()[0] if table.num_rows else {}
    recomputed: Explanation | None = None
    fingerprint: str | None = None
    if not attributes:
        differences = [f"subject {subject_id} has no file in snapshot {row['ledger_snapshot']}"]
    else:
        recomputed = score_one(model, attributes)
        fingerprint = input_fingerprint(model, attributes)
        stored = (int(row["score"]), stored_reasons, row["inputs_hash"], row["model_id"])
        differences = _differences(stored, recomputed, fingerprint)
    return ScoreCheck(
        score_id=score_id,
        subject_id=subject_id,
        run_id=str(row["run_id"]),
        model_id=str(row["model_id"]),
        as_of=as_of,
        ledger_snapshot=str(row["ledger_snapshot"]),
        stored_score=int(row["score"]),
        stored_reasons=stored_reasons,
        stored_inputs_hash=row["inputs_hash"],
        attributes=attributes,
        recomputed=recomputed,
        recomputed_inputs_hash=fingerprint,
        differences=tuple(differences),
    )
