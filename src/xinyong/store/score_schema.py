"""Score runs: which batch run, ledger snapshot and inputs each stored score came from.

A stored score names its run (``scores.run_id``) and the SHA-256 of the inputs
the model read for that subject (``scores.inputs_hash``); the run row
names the ledger snapshot, the links' content hash, the as-of date, the
jurisdiction profile and the model. That is everything ``xinyong score
explain`` needs to rebuild the subject's file from the ledger and recompute
the same number (DESIGN: reproducible scores).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, Index, Integer, String, Table, Text

from xinyong.store.schema import HASH, ID, metadata, scores
from xinyong.store.types import UTCDateTime

__all__ = ["score_runs"]

score_runs = Table(
    "score_runs",
    metadata,
    # Hash of the run's inputs: the same inputs are the same run.
    Column("run_id", String(ID), primary_key=True),
    Column("engine", String(16), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("ledger_snapshot", String(128), nullable=False),
    Column("jurisdiction", String(2), nullable=False),
    Column("model_id", String(ID), nullable=False),
    Column("links_hash", String(HASH), nullable=False),
    Column("suppressed_hash", String(HASH), nullable=False),
    # Where the run's Parquet outputs (links, files, attributes, scores) are kept.
    Column("run_dir", Text, nullable=False),
    Column("scores", Integer, nullable=False),
    Column("manifest", JSON, nullable=False),
    Column("stored_at", UTCDateTime, nullable=False),
)

# No foreign key on purpose: SQLite cannot add one to an existing table without
# rebuilding it, and the run row is written in the same transaction.
scores.append_column(Column("run_id", String(ID), nullable=True))
scores.append_column(Column("inputs_hash", String(HASH), nullable=True))
Index("ix_scores_run_id", scores.c.run_id)
