"""The pipeline's own SQL after scoring: stored score rows and their reasons.

Plain strings in the DuckDB dialect that SQLGlot transpiles to Spark (``MD5``,
``||``, ``UNION ALL``, date literals), like :mod:`xinyong.files.sql`. They read
``scored`` (:func:`xinyong.engine.base.scored_schema`).
"""

from __future__ import annotations

from datetime import date

from xinyong.files.sql import Step
from xinyong.ledger.query import sql_string
from xinyong.policy.sql import date_literal

__all__ = ["score_id_sql", "score_steps"]


def score_id_sql(run_id: str, subject: str = "subject_id") -> str:
    """A stored score's id: ``'S'`` + MD5 of run id and subject id (deterministic,
    so a re-run of the same inputs names the same rows)."""
    return f"('S' || MD5({sql_string(run_id + '|')} || {subject}))"


def _scores(run_id: str, as_of: date, snapshot_id: str) -> str:
    return (
        f"SELECT {score_id_sql(run_id, 's.subject_id')} AS score_id, s.subject_id, s.model_id, "
        f"{date_literal(as_of)} AS as_of, {sql_string(snapshot_id)} AS ledger_snapshot, "
        f"{sql_string(run_id)} AS run_id, s.score, s.probability_bad, s.raw_points, "
        "s.inputs_hash FROM scored AS s"
    )


def _reasons(run_id: str, slots: int) -> str:
    parts = [
        f"SELECT {score_id_sql(run_id, 's.subject_id')} AS score_id, CAST({k} AS INT) AS rank, "
        f"s.reason_code_{k} AS code, s.reason_text_{k} AS text, "
        f"s.reason_points_{k} AS points_lost FROM scored AS s "
        f"WHERE s.reason_code_{k} IS NOT NULL"
        for k in range(1, slots + 1)
    ]
    return " UNION ALL ".join(parts)


def score_steps(run_id: str, as_of: date, snapshot_id: str, slots: int) -> list[Step]:
    """``scores`` (one row per scored subject) and ``score_reasons`` (one per reason)."""
    return [
        Step("scores", _scores(run_id, as_of, snapshot_id)),
        Step("score_reasons", _reasons(run_id, slots)),
    ]
