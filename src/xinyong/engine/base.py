"""The engine interface: what the batch pipeline needs from DuckDB or Spark.

The pipeline (:mod:`xinyong.pipeline`) is written once, as named SQL steps in
the DuckDB dialect plus one vectorised scoring call; an engine only executes
them, like Splink's database backends. An engine is a small class with the
members of :class:`Engine`; a capability it lacks raises
:class:`EngineUnavailableError` naming the engine.

Contract, for every engine:

* ``register_parquet(name, paths)`` / ``register_arrow(name, table)`` make a
  relation ``name`` readable by later SQL (a view; nothing is copied);
* ``run_steps(steps)`` runs each :class:`~xinyong.files.sql.Step` in order and
  materialises its ``SELECT`` under ``step.name`` (a later step may read an
  earlier one). The SQL is DuckDB's dialect; Spark transpiles it with
  ``sqlglot.transpile(sql, read="duckdb", write="spark")``;
* ``to_arrow(name_or_sql)`` returns a small result as an Arrow table: a bare
  relation name reads the whole relation, anything else is a ``SELECT``;
* ``write_parquet(name_or_sql, path)`` writes a possibly large result as
  Parquet at ``path`` (DuckDB: one file; Spark: a folder of part files; both
  are read back with ``pyarrow.dataset`` or ``read_parquet``) and returns the
  row count;
* ``score(source, model, out)`` scores every row of relation ``source`` (one
  row per subject, one column per attribute, ``subject_id`` among them) with
  the scorecard ``model`` and registers the result as ``out`` with exactly the
  columns of :func:`scored_schema`. Each engine feeds Arrow record batches to
  :func:`score_record_batch` (DuckDB: a record-batch reader; Spark:
  ``mapInArrow`` with ``scored_schema(model)`` as the output schema), so the
  arithmetic is the same code on both;
* ``splink_db_api()`` returns the Splink database API for resolution on this
  engine (``DuckDBAPI`` / ``SparkAPI``);
* ``close()`` releases the connection or session; engines are context managers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, cast, runtime_checkable

import pyarrow as pa

from xinyong.files.sql import Step
from xinyong.score.apply import input_fingerprint, score_table
from xinyong.score.model import ScorecardModel

__all__ = [
    "SCORED_FIXED_COLUMNS",
    "Engine",
    "EngineUnavailableError",
    "Step",
    "reason_slots",
    "score_record_batch",
    "scored_schema",
]

SCORED_FIXED_COLUMNS: Final = pa.schema(
    [
        ("subject_id", pa.string()),
        ("model_id", pa.string()),
        ("score", pa.int32()),
        ("probability_bad", pa.float64()),
        ("raw_points", pa.float64()),
        ("inputs_hash", pa.string()),
    ]
)
"""The leading columns of a scored relation; reason columns follow."""


class EngineUnavailableError(RuntimeError):
    """An engine cannot be opened (e.g. pyspark missing) or lacks a capability."""


def reason_slots(model: ScorecardModel) -> int:
    """How many ranked reasons a score of ``model`` can carry: ``max_reasons``
    key factors plus the extra inquiry factor (FCRA 609(f)(9))."""
    return max(int(model.max_reasons), 0) + 1


def scored_schema(model: ScorecardModel) -> pa.Schema:
    """Columns of ``Engine.score``'s output: the fixed ones, then per reason rank
    ``k`` = 1.. :func:`reason_slots` ``reason_code_k`` (string, null when the
    subject has fewer reasons), ``reason_text_k`` (its plain-language text) and
    ``reason_points_k`` (points lost, float64).

    Flat columns, not a list, so both engines can turn them into rows of
    ``score_reasons`` with plain ``UNION ALL`` SQL.
    """
    fields = list(SCORED_FIXED_COLUMNS)
    for k in range(1, reason_slots(model) + 1):
        fields.append(pa.field(f"reason_code_{k}", pa.string()))
        fields.append(pa.field(f"reason_text_{k}", pa.string()))
        fields.append(pa.field(f"reason_points_{k}", pa.float64()))
    return pa.schema(fields)


@dataclass(frozen=True, slots=True)
class _HashedModel:
    """The two members of a model that :func:`input_fingerprint` reads, id computed once."""

    model_id: str
    characteristics: tuple[Any, ...]


def score_record_batch(model: ScorecardModel, batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
    """Score one Arrow batch of attribute rows into :func:`scored_schema` columns.

    Pure and engine-neutral: the DuckDB engine calls it per record batch, the
    Spark engine inside ``mapInArrow``. The input fingerprint is computed per
    row from the same values the model reads, so ``score explain`` can prove it
    recomputed the score from the same inputs.
    """
    schema = scored_schema(model)
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    n = table.num_rows
    if n == 0:
        return pa.RecordBatch.from_pylist([], schema=schema)
    scored = score_table(model, table)
    names = [ch.name for ch in model.characteristics]
    inputs = table.select(names).to_pylist() if names else [{} for _ in range(n)]
    # ``input_fingerprint`` reads only ``model_id`` and ``characteristics``;
    # hashing the model once, not once per row, is what makes this batch-fast.
    fixed = cast(ScorecardModel, _HashedModel(model.model_id, model.characteristics))
    fingerprints = [input_fingerprint(fixed, row) for row in inputs]
    columns: dict[str, Any] = {
        "subject_id": table["subject_id"],
        "model_id": pa.array([model.model_id] * n, pa.string()),
        "score": pa.array(scored.score.astype("int32"), pa.int32()),
        "probability_bad": pa.array(scored.probability_bad, pa.float64()),
        "raw_points": pa.array(scored.raw_points, pa.float64()),
        "inputs_hash": pa.array(fingerprints, pa.string()),
    }
    index = scored.reason_index
    lost = scored.reason_points_lost
    codes = [*scored.reason_codes_by_feature, None]  # index -1 picks None
    texts = [*scored.reason_texts_by_feature, None]
    for k in range(reason_slots(model)):
        have = k < index.shape[1]
        idx = index[:, k].tolist() if have else [-1] * n
        points = lost[:, k].tolist() if have else [0.0] * n
        columns[f"reason_code_{k + 1}"] = pa.array([codes[i] for i in idx], pa.string())
        columns[f"reason_text_{k + 1}"] = pa.array([texts[i] for i in idx], pa.string())
        columns[f"reason_points_{k + 1}"] = pa.array(
            [float(p) if i >= 0 else None for i, p in zip(idx, points, strict=True)],
            pa.float64(),
        )
    out = pa.table(columns).cast(schema)
    return out.combine_chunks().to_batches()[0]


@runtime_checkable
class Engine(Protocol):
    """A runner of the batch pipeline's SQL steps and scoring (see module docs)."""

    name: str

    def register_parquet(self, name: str, paths: Sequence[Path]) -> None:
        """Make Parquet files readable as relation ``name`` (columns unioned by name)."""
        ...

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table readable as relation ``name``."""
        ...

    def run_steps(self, steps: Sequence[Step]) -> None:
        """Run each step's ``SELECT`` (DuckDB dialect) and materialise it as ``step.name``."""
        ...

    def to_arrow(self, name_or_sql: str) -> pa.Table:
        """A relation (by name) or a ``SELECT`` result as an Arrow table; small results only."""
        ...

    def write_parquet(self, name_or_sql: str, path: Path) -> int:
        """Write a relation or ``SELECT`` result as Parquet at ``path``; returns the row count."""
        ...

    def score(self, source: str, model: ScorecardModel, out: str) -> None:
        """Score relation ``source`` into relation ``out`` (:func:`scored_schema` columns)."""
        ...

    def splink_db_api(self) -> Any:
        """The Splink database API object that runs resolution on this engine."""
        ...

    def close(self) -> None:
        """Release the connection or session."""
        ...
