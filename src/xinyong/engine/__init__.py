"""Engines that run the batch pipeline: DuckDB (embedded default) and Spark.

``open_engine("duckdb")`` or ``open_engine("spark", master="local[2]")``. The
Spark engine is imported only when asked for, so pyspark stays an optional
extra (``pip install 'xinyong[spark]'``).
"""

from __future__ import annotations

import importlib.util
from typing import Any, Final

from xinyong.engine.base import (
    Engine,
    EngineUnavailableError,
    Step,
    reason_slots,
    score_record_batch,
    scored_schema,
)
from xinyong.engine.duckdb_engine import DuckDBEngine

__all__ = [
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "EngineUnavailableError",
    "Step",
    "open_engine",
    "reason_slots",
    "score_record_batch",
    "scored_schema",
]

ENGINES: Final = ("duckdb", "spark")


def open_engine(name: str = "duckdb", **options: Any) -> Engine:
    """A new engine by name; ``options`` go to its constructor (e.g. ``master``).

    Raises :class:`EngineUnavailableError` for an unknown name or when Spark is
    asked for and pyspark (or the Spark engine module) is not installed.
    """
    if name == "duckdb":
        return DuckDBEngine(**options)
    if name == "spark":
        if importlib.util.find_spec("pyspark") is None:
            raise EngineUnavailableError(
                "the spark engine needs pyspark: pip install 'xinyong[spark]'"
            )
        try:
            from xinyong.engine.spark_engine import SparkEngine  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise EngineUnavailableError(f"the spark engine cannot be loaded: {exc}") from exc
        engine: Engine = SparkEngine(**options)
        return engine
    raise EngineUnavailableError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
