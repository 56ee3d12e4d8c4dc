"""The DuckDB engine: the embedded default, one process, one in-memory database.

Steps become temporary tables (materialised once, read by later steps); Parquet
inputs are views over ``read_parquet`` (nothing copied); scoring streams the
source relation as Arrow record batches through
:func:`~xinyong.engine.base.score_record_batch` and registers the result.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.engine.base import Step, score_record_batch, scored_schema
from xinyong.ledger.query import sql_string
from xinyong.score.model import ScorecardModel

__all__ = ["DuckDBEngine"]

_NAME_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BATCH_ROWS: Final = 65_536


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"not a plain relation name: {name!r}")
    return name


def _is_name(name_or_sql: str) -> bool:
    return bool(_NAME_RE.match(name_or_sql.strip()))


class DuckDBEngine:
    """Runs pipeline steps on one DuckDB connection (a fresh in-memory one by default)."""

    name = "duckdb"

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection | None = None,
        *,
        threads: int | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self._con = connection if connection is not None else duckdb.connect()
        self._arrow: dict[str, pa.Table] = {}  # keeps registered tables alive
        # Calendar days of instants are UTC days on every machine and engine
        # (Spark's session runs in UTC too), whatever the host's zone.
        self._con.execute("SET TimeZone = 'UTC'")
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            self._con.execute(f"SET memory_limit = {sql_string(memory_limit)}")

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The underlying connection (for DuckDB-only callers such as tests)."""
        return self._con

    def register_parquet(self, name: str, paths: Sequence[Path]) -> None:
        """A view over the Parquet files, columns unioned by name across files."""
        if not paths:
            raise ValueError(f"no Parquet files to register as {name!r}")
        files = ", ".join(sql_string(str(Path(p).absolute())) for p in paths)
        self._con.execute(
            f"CREATE OR REPLACE VIEW {_check_name(name)} AS SELECT * FROM read_parquet("
            f"[{files}], union_by_name = true, hive_partitioning = false)"
        )

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Register the Arrow table itself (zero copy) under ``name``."""
        self._con.execute(f"DROP VIEW IF EXISTS {_check_name(name)}")
        self._con.execute(f"DROP TABLE IF EXISTS {name}")
        self._arrow[name] = table
        self._con.register(name, table)

    def run_steps(self, steps: Sequence[Step]) -> None:
        """Each step as a temporary table, in order."""
        for step in steps:
            self._materialise(step.name, step.sql)

    def _materialise(self, name: str, sql: str) -> None:
        _check_name(name)
        if name in self._arrow:
            self._con.unregister(name)
            del self._arrow[name]
        self._con.execute(f"DROP VIEW IF EXISTS {name}")
        try:
            self._con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        except duckdb.Error as exc:
            raise RuntimeError(f"duckdb engine: step {name!r} failed: {exc}") from exc

    def _select(self, name_or_sql: str) -> str:
        return f"SELECT * FROM {name_or_sql.strip()}" if _is_name(name_or_sql) else name_or_sql

    def to_arrow(self, name_or_sql: str) -> pa.Table:
        """The whole result in memory."""
        result: pa.Table = self._con.sql(self._select(name_or_sql)).to_arrow_table()
        return result

    def write_parquet(self, name_or_sql: str, path: Path) -> int:
        """One Parquet file at ``path``, written by streaming record batches."""
        path.parent.mkdir(parents=True, exist_ok=True)
        reader = self._con.sql(self._select(name_or_sql)).to_arrow_reader(_BATCH_ROWS)
        rows = 0
        with pq.ParquetWriter(path, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
        return rows

    def score(self, source: str, model: ScorecardModel, out: str) -> None:
        """Stream ``source`` in record batches through the scorecard into ``out``."""
        names = ["subject_id", *(ch.name for ch in model.characteristics)]
        cols = ", ".join(dict.fromkeys(names))
        reader = self._con.sql(f"SELECT {cols} FROM {_check_name(source)}").to_arrow_reader(
            _BATCH_ROWS
        )
        batches = [score_record_batch(model, batch) for batch in reader]
        table = pa.Table.from_batches(batches, schema=scored_schema(model))
        self._con.execute(f"DROP TABLE IF EXISTS {_check_name(out)}")
        self._con.register(f"{out}_arrow", table)
        try:
            self._materialise(out, f"SELECT * FROM {out}_arrow")
        finally:
            self._con.unregister(f"{out}_arrow")

    def splink_db_api(self) -> Any:
        """Splink's DuckDB backend on this engine's connection."""
        from splink import DuckDBAPI

        return DuckDBAPI(connection=self._con)

    def close(self) -> None:
        """Close the connection."""
        self._arrow.clear()
        self._con.close()

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
