"""The engine interface: what the batch pipeline needs from DuckDB or Spark.

The pipeline (:mod:`xinyong.pipeline`) is written once, as named SQL steps in
the DuckDB dialect plus one vectorised scoring call; an engine only executes
them, like Splink's database backends. An engine is a small class with the
members of :class:`Engine`; a capability it lacks raises
:class:`EngineUnavailableError` naming the engine.

Contract, for every engine:

* ``register_parquet(name, paths)`` / ``register_arrow(name, table)`` make a
  relation ``name`` readable by later SQL (a view; nothing is copied);
* ``run_steps(steps, outputs)`` runs each :class:`~xinyong.files.sql.Step` in
  order and makes its ``SELECT`` readable as ``step.name`` (a later step may
  read an earlier one): stored where :func:`materialised_steps` says, a view
  otherwise. A step named in ``outputs`` is written as Parquet at its
  :class:`Output` path instead and read back from there by later steps (so it
  is computed once and held on disk, compressed, not in the engine's memory);
  returns the rows written per output. The SQL is DuckDB's dialect; Spark
  transpiles it with ``sqlglot.transpile(sql, read="duckdb", write="spark")``;
* ``to_arrow(name_or_sql)`` returns a small result as an Arrow table: a bare
  relation name reads the whole relation, anything else is a ``SELECT``;
* ``write_parquet(name_or_sql, path, order)`` writes a possibly large result
  as Parquet at ``path`` (DuckDB: one file, in ``order``; Spark: a folder of
  part files, each sorted by ``order``, with no global sort; both are read
  back with ``pyarrow.dataset`` or ``read_parquet``; row order is not part of
  a run's content) and returns the row count;
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

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from xinyong.files.sql import FILE_TABLES, Step
from xinyong.score.apply import input_fingerprints, score_table
from xinyong.score.model import ScorecardModel

__all__ = [
    "READ_AGAIN",
    "SCORED_FIXED_COLUMNS",
    "Engine",
    "EngineUnavailableError",
    "Output",
    "Step",
    "materialised_steps",
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


READ_AGAIN: Final = frozenset(FILE_TABLES)
"""Steps read once within their own batch of steps but again afterwards (the
file tables feed the attribute steps and are written out)."""


def _references(name: str, sql: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", sql) is not None


@dataclass(frozen=True, slots=True)
class Output:
    """Where ``run_steps`` writes a step (Parquet), and the columns each file is sorted by."""

    path: Path
    order: tuple[str, ...] = ()


def materialised_steps(
    steps: Sequence[Step], written: Collection[str] = frozenset()
) -> frozenset[str]:
    """The steps an engine stores rather than leaves as views: those read more
    than once by later steps of the batch, those nothing in the batch reads
    (outputs, read afterwards) and the file tables (:data:`READ_AGAIN`), unless
    they are ``written`` as Parquet (and read back from there) or marked
    :attr:`~xinyong.files.sql.Step.view`.

    A step read exactly once stays a view, planned into its reader, so a long
    chain (history points -> merged history -> ...) streams through one query
    instead of storing every link: what keeps the engines' memory bounded. A
    view step is planned into each of its readers, so a step it reads counts
    once per reader of the view.
    """
    readers: dict[str, int] = {}
    for i in range(len(steps) - 1, -1, -1):
        step = steps[i]
        readers[step.name] = sum(
            readers[later.name] if later.view else 1
            for later in steps[i + 1 :]
            if _references(step.name, later.sql)
        )
    keep = set()
    for step in steps:
        if step.view or step.name in written:
            continue
        if readers[step.name] != 1 or step.name in READ_AGAIN:
            keep.add(step.name)
    return frozenset(keep)


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


def _reason_column(labels: Sequence[str], index: Any) -> pa.Array:
    """The label of each row's reason (``index`` -1: no reason, null), by Arrow ``take``."""
    none = len(labels)
    picks = pa.array(np.where(index < 0, none, index), pa.int64())
    return pa.array([*labels, None], pa.string()).take(picks)


def score_record_batch(model: ScorecardModel, batch: pa.RecordBatch | pa.Table) -> pa.RecordBatch:
    """Score one Arrow batch of attribute rows into :func:`scored_schema` columns.

    Pure and engine-neutral: the DuckDB engine calls it per record batch, the
    Spark engine inside ``mapInArrow``. Column-wise throughout: the scorecard
    kernel, the input fingerprints (:func:`~xinyong.score.apply.input_fingerprints`,
    the same strings ``score explain`` recomputes for one subject) and the
    reason columns (Arrow ``take`` over the ranked reason indexes).
    """
    schema = scored_schema(model)
    table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
    n = table.num_rows
    if n == 0:
        return pa.RecordBatch.from_pylist([], schema=schema)
    scored = score_table(model, table)
    columns: dict[str, Any] = {
        "subject_id": table["subject_id"],
        "model_id": pa.array([scored.model_id] * n, pa.string()),
        "score": pa.array(scored.score.astype("int32"), pa.int32()),
        "probability_bad": pa.array(scored.probability_bad, pa.float64()),
        "raw_points": pa.array(scored.raw_points, pa.float64()),
        "inputs_hash": pa.array(input_fingerprints(model, table), pa.string()),
    }
    index, lost = scored.reason_index, scored.reason_points_lost
    for k in range(reason_slots(model)):
        have = k < index.shape[1]
        idx = index[:, k] if have else np.full(n, -1, dtype=np.int64)
        points = lost[:, k] if have else np.zeros(n, dtype=np.float64)
        columns[f"reason_code_{k + 1}"] = _reason_column(scored.reason_codes_by_feature, idx)
        columns[f"reason_text_{k + 1}"] = _reason_column(scored.reason_texts_by_feature, idx)
        columns[f"reason_points_{k + 1}"] = pa.array(
            points.astype(np.float64), pa.float64(), mask=idx < 0
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

    def run_steps(
        self, steps: Sequence[Step], outputs: Mapping[str, Output] | None = None
    ) -> dict[str, int]:
        """Run each step's ``SELECT`` (DuckDB dialect) as relation ``step.name``;
        write those in ``outputs``; returns their row counts."""
        ...

    def to_arrow(self, name_or_sql: str) -> pa.Table:
        """A relation (by name) or a ``SELECT`` result as an Arrow table; small results only."""
        ...

    def write_parquet(self, name_or_sql: str, path: Path, order: Sequence[str] = ()) -> int:
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
