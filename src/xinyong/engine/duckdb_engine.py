"""The DuckDB engine: the embedded default, one process, one in-memory database.

How steps are kept depends on the engine's memory limit:

* without one (small jobs: one subject's file, tests), a step read by exactly
  one later step is a view, planned into its reader, and the others (read
  more than once, or outputs) are in-memory temporary tables: the fastest,
  and DuckDB may then take up to 80 % of the RAM;
* with one (``memory_limit``; ``xinyong run`` always sets one), every step
  but those marked :attr:`~xinyong.files.sql.Step.view` (filters and
  expansions that stream into their reader) is written as Parquet into a
  scratch folder of the engine's own by DuckDB's streaming ``COPY`` and read
  back through a view, outputs too (then sorted from there into their own
  file), and DuckDB spills sorts and hash tables into the same folder past
  the limit. Storing the steps, not only those read twice, is what keeps the
  bound: DuckDB 2.0 ran out of memory grouping the history points (25M rows
  at 1M accounts) straight from the view that expands them even under 4 GB,
  and grouped the same rows read back from Parquet under 2 GB; the history
  is now grouped only for slots reported more than once
  (:mod:`xinyong.files.sql`), and its sort for the output file ran out of
  memory under 2 GB when fed by the joins directly, not from a file scan.
  The folder is removed on ``close`` (DuckDB's default spill folder, ``.tmp``
  in the working directory, would not be).

Parquet inputs are views over ``read_parquet`` (nothing copied); outputs are
written by streaming record batches and read back from their Parquet; scoring
streams the source relation as Arrow record batches through
:func:`~xinyong.engine.base.score_record_batch`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from xinyong.engine.base import (
    Output,
    Step,
    materialised_steps,
    score_record_batch,
    scored_schema,
)
from xinyong.ledger.query import quote_identifier, sql_string
from xinyong.score.model import ScorecardModel

__all__ = ["DuckDBEngine", "default_memory_limit"]

_NAME_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BATCH_ROWS: Final = 65_536


def default_memory_limit() -> str:
    """The batch pipeline's DuckDB memory limit when none is given: a quarter
    of the machine's RAM, between 1 and 4 GiB. The pipeline streams and
    spills, so more mostly buys fewer spills; DuckDB's own default, 80 % of
    RAM, starves everything else on a shared machine."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        return "4GiB"
    return f"{max(1024, min(4096, ram // 4 // 2**20))}MiB"


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"not a plain relation name: {name!r}")
    return name


def _is_name(name_or_sql: str) -> bool:
    return bool(_NAME_RE.match(name_or_sql.strip()))


class DuckDBEngine:
    """Runs pipeline steps on one DuckDB connection (a fresh in-memory one by default).

    ``memory_limit`` (e.g. ``"2GB"``) bounds DuckDB's memory and stores steps
    as Parquet in the engine's scratch folder (see the module docs); without
    it DuckDB may take 80 % of the machine's RAM, and did: 20 GiB at 1M
    accounts. ``connection``: an existing connection (closed on ``close``).
    """

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
        self._scratch = Path(tempfile.gettempdir()) / f"xinyong-duckdb-{uuid.uuid4().hex[:12]}"
        self._bounded = memory_limit is not None
        self._stored = 0  # numbers the scratch files, so a replaced step never reuses one
        # Calendar days of instants are UTC days on every machine and engine
        # (Spark's session runs in UTC too), whatever the host's zone.
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute("SET enable_progress_bar = false")  # callers report progress
        if threads is not None:
            self._con.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            self._con.execute(f"SET memory_limit = {sql_string(memory_limit)}")
            # DuckDB creates the spill folder when it first spills, but not its
            # parent: without the scratch folder it could not spill at all.
            self._scratch.mkdir(parents=True)
            spill = str(self._scratch / "spill")
            self._con.execute(f"SET temp_directory = {sql_string(spill)}")

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The underlying connection (for DuckDB-only callers such as tests)."""
        return self._con

    def register_parquet(self, name: str, paths: Sequence[Path]) -> None:
        """A view over the Parquet files, columns unioned by name across files."""
        if not paths:
            raise ValueError(f"no Parquet files to register as {name!r}")
        files = ", ".join(sql_string(str(Path(p).absolute())) for p in paths)
        self._release(name)
        self._con.execute(
            f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet("
            f"[{files}], union_by_name = true, hive_partitioning = false)"
        )

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Register the Arrow table itself (zero copy) under ``name``."""
        self._release(name)
        self._arrow[name] = table
        self._con.register(name, table)

    def _release(self, name: str) -> None:
        """Free ``name`` for a new relation, whatever it is now (view, table, Arrow)."""
        _check_name(name)
        if name in self._arrow:
            self._con.unregister(name)
            del self._arrow[name]
        for kind in ("VIEW", "TABLE"):
            # DROP VIEW on a table (and the reverse) is an error, not a no-op.
            with contextlib.suppress(duckdb.CatalogException):
                self._con.execute(f"DROP {kind} IF EXISTS {name}")

    def run_steps(
        self, steps: Sequence[Step], outputs: Mapping[str, Output] | None = None
    ) -> dict[str, int]:
        """Each step, in order, stored (Parquet under a memory limit, else a
        temporary table where :func:`~xinyong.engine.base.materialised_steps`
        says) or a view; a step in ``outputs`` is written by streaming its view
        (under a memory limit: its stored Parquet) into Parquet in its order,
        then read back from that file."""
        outputs = outputs or {}
        if self._bounded:  # every step but views stored as Parquet: see the module docs
            keep = frozenset(s.name for s in steps if s.name not in outputs and not s.view)
        else:
            keep = materialised_steps(steps, outputs.keys())
        written: dict[str, int] = {}
        for step in steps:
            if step.name in keep:
                self._materialise(step.name, step.sql)
                continue
            if step.name in outputs and self._bounded:
                # Stored first, then sorted from its Parquet: a sort fed straight
                # by the history's joins ran out of memory under 2 GB (two runs
                # of three at 300k accounts); a sort fed by a file scan did not.
                self._materialise(step.name, step.sql)
            else:
                self._view(step.name, step.sql)
            if step.name in outputs:
                out = outputs[step.name]
                written[step.name] = self.write_parquet(step.name, out.path, out.order)
                self.register_parquet(step.name, [out.path])
        return written

    def _view(self, name: str, sql: str) -> None:
        self._release(name)
        try:
            self._con.execute(f"CREATE TEMP VIEW {name} AS {sql}")
        except duckdb.Error as exc:
            raise RuntimeError(f"duckdb engine: step {name!r} failed: {exc}") from exc

    def _materialise(self, name: str, sql: str) -> None:
        self._release(name)
        try:
            if not self._bounded:
                self._con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
                return
            self._stored += 1
            path = self._scratch / "steps" / f"{self._stored:04d}-{name}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            # A stored step is read back only by later steps, never in its row
            # order (outputs are sorted when written), so its COPY need not keep
            # the query's order: DuckDB then writes without buffering batches to
            # reorder them (the history step at 300k accounts: 4.8 -> 3.9 CPU-s).
            with self._insertion_order(keep=False):
                self._con.execute(f"COPY ({sql}) TO {sql_string(str(path))} (FORMAT parquet)")
        except duckdb.Error as exc:
            raise RuntimeError(f"duckdb engine: step {name!r} failed: {exc}") from exc
        self._con.execute(
            f"CREATE TEMP VIEW {name} AS SELECT * FROM read_parquet({sql_string(str(path))})"
        )

    @contextlib.contextmanager
    def _insertion_order(self, *, keep: bool) -> Iterator[None]:
        """DuckDB's ``preserve_insertion_order`` set to ``keep`` for a block, then
        put back as it was (a caller's connection may have its own value)."""
        row = self._con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
        before = bool(row[0][0])
        self._con.execute(f"SET preserve_insertion_order = {str(keep).lower()}")
        try:
            yield
        finally:
            self._con.execute(f"SET preserve_insertion_order = {str(before).lower()}")

    def _select(self, name_or_sql: str) -> str:
        return f"SELECT * FROM {name_or_sql.strip()}" if _is_name(name_or_sql) else name_or_sql

    def to_arrow(self, name_or_sql: str) -> pa.Table:
        """The whole result in memory."""
        result: pa.Table = self._con.sql(self._select(name_or_sql)).to_arrow_table()
        return result

    def write_parquet(self, name_or_sql: str, path: Path, order: Sequence[str] = ()) -> int:
        """One Parquet file at ``path``, in ``order``, written by streaming record
        batches (DuckDB's sort spills past the memory limit)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        sql = self._select(name_or_sql)
        if order:
            keys = ", ".join(quote_identifier(_check_name(c)) for c in order)
            sql = f"SELECT * FROM ({sql}) AS o ORDER BY {keys}"
        reader = self._con.sql(sql).to_arrow_reader(_BATCH_ROWS)
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
        """Close the connection and remove the scratch folder."""
        self._arrow.clear()
        self._con.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
