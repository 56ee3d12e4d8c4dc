"""The Spark engine: the same pipeline steps on Apache Spark, for a registry that
outgrows one machine.

Every step is the DuckDB-dialect SQL the DuckDB engine runs, transpiled once
with SQLGlot (``read="duckdb", write="spark"``) and registered as a temporary
view; a step that later steps read more than once, or that nothing in its own
batch reads, is persisted (memory and disk) so Spark does not recompute it for
every reader; a step read exactly once is left as a view, which Spark plans
into its reader. An output (the file tables, the attributes, the scores) is
written as Parquet as soon as its step is defined and read back from there by
later steps: each is computed once, its lineage cut, and no global sort is
asked for (each part file is sorted by the output's keys). Parquet batches are
read by Spark itself (schemas merged only when the files differ), with the
shuffle partitions sized to the bytes read; results come back through Arrow
(``DataFrame.toArrow``). Scoring is ``mapInArrow`` over the same
:func:`~xinyong.engine.base.score_record_batch` the DuckDB engine calls, so
the arithmetic is one code path and no Python runs per row.

Tuning, measured (``docs/scaling.md``): these rules took the pipeline's CPU
seconds at 100k accounts from 286 to 148 in local mode; the rest is Spark's
fixed cost per job, which a cluster amortises over far more data.

Semantics kept equal to DuckDB's, by session settings (:func:`local_session`):

* session time zone UTC (DuckDB's ``TIMESTAMPTZ`` is UTC here too), and the
  JVM's default zone UTC so no local time leaks into a ``CAST(ts AS DATE)``;
  timestamps written to Parquet as ``TIMESTAMP_MICROS`` adjusted to UTC (what
  DuckDB writes), not Spark's legacy ``INT96``, which readers take for a
  nanosecond time without a zone;
* ANSI mode on (Spark 4's default, set explicitly): DuckDB 2 raises on
  division by zero, integer overflow and a bad ``CAST``; so does ANSI Spark,
  where legacy Spark would return NULL and hide the error;
* the SQL itself already avoids the known traps (``FLOOR`` before casting a
  double to an integer, explicit ``NULLS`` order in windows, no ``QUALIFY``,
  no dynamic intervals): see :mod:`xinyong.files.sql`. SQLGlot writes the
  remaining differences (``ARG_MAX`` -> ``MAX_BY``, ``//`` -> ``DIV``, the
  DuckDB default ``NULLS LAST`` order made explicit).

What cannot run on Spark is listed in :data:`SPARK_GAPS` (one place); such a
step raises :class:`~xinyong.engine.base.EngineUnavailableError` before any
work starts, never a silent difference.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import sqlglot
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StructField, StructType
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from xinyong.engine.base import (
    EngineUnavailableError,
    Output,
    Step,
    materialised_steps,
    score_record_batch,
    scored_schema,
)
from xinyong.score.model import ScorecardModel

__all__ = ["SPARK_GAPS", "SparkEngine", "local_session", "to_spark_sql"]

SPARK_GAPS: Final[Mapping[str, str]] = {}
"""Step name -> why it cannot run on Spark. Empty: every step of files,
attributes and scoring runs on both engines (the equality test proves it).
Resolution runs on Splink's Spark backend; the comparison frame is built in
Python (Arrow) on the driver on both engines (see docs/scaling.md)."""

_NAME_RE: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

BYTES_PER_PARTITION: Final = 4 * 2**20
"""Ledger Parquet bytes per shuffle partition. Each account report expands to
about 24 history rows in the file step, so 4 MB of compressed reports (some
35,000 accounts) make a shuffle partition of roughly 100-200 MB in memory:
small enough to sort and aggregate without spilling much, large enough that
task overheads stay small. Adaptive execution (on by default) merges
partitions that turn out smaller."""


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name):
        raise ValueError(f"not a plain relation name: {name!r}")
    return name


def _is_name(name_or_sql: str) -> bool:
    return bool(_NAME_RE.match(name_or_sql.strip()))


_BIGINT_IN_DUCKDB: Final = (exp.Year, exp.Month, exp.Day, exp.Length, exp.Extract)
"""Functions that return BIGINT in DuckDB and INT in Spark: cast, so a column
such as ``YEAR(d) * 12 + MONTH(d)`` has the same type on both engines."""


def _as_duckdb_bigint(node: exp.Expression) -> exp.Expression:
    if isinstance(node, _BIGINT_IN_DUCKDB) and not isinstance(node.parent, exp.Cast):
        return exp.Cast(this=node.copy(), to=exp.DataType.build("BIGINT"))
    return node


def to_spark_sql(sql: str, *, step: str = "query") -> str:
    """One DuckDB-dialect statement as Spark SQL; an untranslatable construct
    raises (naming the step) instead of being passed through."""
    try:
        trees = sqlglot.parse(sql, read="duckdb")
        if len(trees) != 1 or trees[0] is None:
            raise ValueError(f"step {step!r} must be exactly one statement, got {len(trees)}")
        tree = trees[0].transform(_as_duckdb_bigint)
        return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as exc:
        raise EngineUnavailableError(
            f"spark engine: step {step!r} cannot be transpiled to Spark SQL: {exc}"
        ) from exc


def _nullable(table: pa.Table) -> pa.Table:
    """DuckDB marks every result column nullable; Spark knows some are not.
    Same schema on both engines: drop Spark's non-null marks."""
    if all(f.nullable for f in table.schema):
        return table
    schema = pa.schema(
        [f.with_nullable(True) for f in table.schema], metadata=table.schema.metadata
    )
    return table.cast(schema)


def local_session(
    master: str = "local[2]",
    *,
    app_name: str = "xinyong",
    shuffle_partitions: int = 4,
    driver_memory: str = "1g",
    local_dir: Path | None = None,
    extra: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session configured for the pipeline (or the running one, reused).

    Local mode binds to 127.0.0.1 with the web UI off, so nothing listens on
    the network. Splink's similarity UDF jar is put on the class path here:
    resolution on Spark needs it and a running JVM cannot add it later.
    """
    from splink.internals.spark.jar_location import similarity_jar_location

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.adaptive.coalescePartitions.enabled", "true")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.pyspark.fallback.enabled", "false")
        .config("spark.jars", similarity_jar_location())
    )
    if local_dir is not None:
        builder = builder.config("spark.local.dir", str(local_dir))
    for key, value in (extra or {}).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _parquet_bytes(path: Path) -> int:
    """Bytes of a Parquet file, or of the part files of a Parquet folder."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*.parquet"))
    return path.stat().st_size if path.exists() else 0


def _same_schemas(files: Sequence[str]) -> bool:
    """Whether every file's footer has the same schema (read from footers only;
    a folder or a remote path is assumed to differ, so Spark merges)."""
    first: pa.Schema | None = None
    for name in files:
        path = Path(name)
        if not path.is_file():
            return False
        schema = pq.read_schema(path).remove_metadata()
        if first is None:
            first = schema
        elif not schema.equals(first):
            return False
    return True


class SparkEngine:
    """Runs pipeline steps on a Spark session (a local one by default).

    ``spark``: an existing session (tests share one; it is not stopped on
    ``close``). Otherwise one is started with :func:`local_session` on
    ``master`` and stopped on ``close``. ``break_lineage``: how Splink's Spark
    backend cuts long query plans during EM (``"persist"`` in memory and disk,
    or ``"parquet"`` files under the engine's scratch folder, for data larger
    than the cluster's memory).
    """

    name = "spark"

    def __init__(
        self,
        spark: SparkSession | None = None,
        *,
        master: str = "local[2]",
        shuffle_partitions: int = 4,
        driver_memory: str = "1g",
        break_lineage: str = "persist",
    ) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="xinyong-spark-"))
        self._owns = spark is None
        self._spark = (
            spark
            if spark is not None
            else local_session(
                master,
                shuffle_partitions=shuffle_partitions,
                driver_memory=driver_memory,
                local_dir=self._scratch,
            )
        )
        self._spark.sparkContext.setCheckpointDir(str(self._scratch / "checkpoints"))
        self._break_lineage = break_lineage
        self._min_partitions = int(self._spark.conf.get("spark.sql.shuffle.partitions") or 1)
        self._partitions = self._min_partitions
        self._views: dict[str, DataFrame] = {}
        self._persisted: dict[str, DataFrame] = {}

    @property
    def session(self) -> SparkSession:
        """The Spark session (for Spark-only callers such as tests)."""
        return self._spark

    # -- inputs ----------------------------------------------------------------

    def _register(self, name: str, df: DataFrame, *, persist: bool = False) -> None:
        _check_name(name)
        old = self._persisted.pop(name, None)
        if persist:
            df = df.persist(StorageLevel.MEMORY_AND_DISK)
            self._persisted[name] = df
        df.createOrReplaceTempView(name)
        self._views[name] = df
        if old is not None:
            old.unpersist()

    def register_parquet(self, name: str, paths: Sequence[Path]) -> None:
        """Spark reads the batch files itself. Schemas are merged by column name
        (a column added in a later batch reads as NULL in earlier ones) only
        when the files' footers differ: merging costs a job over every footer.
        The shuffle partitions grow with the bytes read (:data:`BYTES_PER_PARTITION`)."""
        if not paths:
            raise ValueError(f"no Parquet files to register as {name!r}")
        files = [str(Path(p).absolute()) for p in paths]
        reader = self._spark.read
        if not _same_schemas(files):
            reader = reader.option("mergeSchema", "true")
        self._register(name, reader.parquet(*files))
        self._size_partitions(sum(_parquet_bytes(Path(f)) for f in files))

    def _size_partitions(self, input_bytes: int) -> None:
        wanted = max(self._min_partitions, -(-input_bytes // BYTES_PER_PARTITION))
        if wanted > self._partitions:
            self._partitions = wanted
            self._spark.conf.set("spark.sql.shuffle.partitions", str(wanted))

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """The Arrow table copied into Spark (small inputs: links, inquiries)."""
        df = self._spark.createDataFrame(table)
        self._register(name, df, persist=True)

    # -- steps -----------------------------------------------------------------

    def run_steps(
        self, steps: Sequence[Step], outputs: Mapping[str, Output] | None = None
    ) -> dict[str, int]:
        """Transpile every step first (so a gap fails before any work), then
        register each as a view, persisted where
        :func:`~xinyong.engine.base.materialised_steps` says. A step in
        ``outputs`` is written as Parquet and read back from there (Spark's
        "checkpoint to Parquet": computed once, its lineage cut, nothing held
        in executor memory), before any later step is planned against it."""
        outputs = outputs or {}
        for step in steps:
            if step.name in SPARK_GAPS:
                raise EngineUnavailableError(
                    f"spark engine: step {step.name!r} cannot run on Spark: {SPARK_GAPS[step.name]}"
                )
        translated = [(step.name, to_spark_sql(step.sql, step=step.name)) for step in steps]
        keep = materialised_steps(steps, outputs.keys())
        written: dict[str, int] = {}
        for name, sql in translated:
            try:
                df = self._spark.sql(sql)
            except Exception as exc:
                raise RuntimeError(f"spark engine: step {name!r} failed: {exc}") from exc
            self._register(name, df, persist=name in keep)
            if name in outputs:
                out = outputs[name]
                written[name] = self.write_parquet(name, out.path, out.order)
                self._register(name, self._spark.read.parquet(str(out.path.absolute())))
        return written

    def _frame(self, name_or_sql: str) -> DataFrame:
        if _is_name(name_or_sql):
            return self._spark.table(name_or_sql.strip())
        return self._spark.sql(to_spark_sql(name_or_sql))

    # -- outputs ---------------------------------------------------------------

    def to_arrow(self, name_or_sql: str) -> pa.Table:
        """The whole result through Arrow (no row-by-row conversion)."""
        try:
            return _nullable(self._frame(name_or_sql).toArrow())
        except Exception as exc:
            raise RuntimeError(f"spark engine: reading {name_or_sql[:80]!r} failed: {exc}") from exc

    def _nullable_frame(self, df: DataFrame) -> DataFrame:
        """``df`` with every column nullable, as DuckDB writes them: Spark marks
        columns it proves non-null ``required`` in Parquet, and the two engines'
        files would differ in schema. No public PySpark call relaxes
        nullability, so the frame is rebuilt inside the JVM over its internal
        rows with the relaxed schema (no conversion to ``Row`` objects and
        back, which cost seconds per million rows)."""
        if all(f.nullable for f in df.schema.fields):
            return df
        schema = StructType([StructField(f.name, f.dataType, True, f.metadata) for f in df.schema])
        session = self._spark._jsparkSession
        jschema = session.parseDataType(schema.json())
        rows = df._jdf.queryExecution().toRdd()
        return DataFrame(session.internalCreateDataFrame(rows, jschema, False), self._spark)

    def write_parquet(self, name_or_sql: str, path: Path, order: Sequence[str] = ()) -> int:
        """A folder of Parquet part files at ``path`` (replaced if present), each
        part sorted by ``order``: no global sort (a range-partitioning job and
        a full shuffle for an order that is not part of the run's content)."""
        df = self._frame(name_or_sql)
        if order:
            df = df.sortWithinPartitions(*(_check_name(c) for c in order))
        df = self._nullable_frame(df)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            df.write.mode("overwrite").parquet(str(path.absolute()))
        except Exception as exc:
            raise RuntimeError(f"spark engine: writing {path} failed: {exc}") from exc
        return int(ds.dataset(path, format="parquet").count_rows())

    def score(self, source: str, model: ScorecardModel, out: str) -> None:
        """``mapInArrow``: each Arrow batch of attribute rows through the scorecard."""
        names = list(dict.fromkeys(["subject_id", *(ch.name for ch in model.characteristics)]))
        schema = scored_schema(model)

        def score_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                yield score_record_batch(model, batch)

        df = self._spark.table(_check_name(source)).select(*names)
        self._register(out, df.mapInArrow(score_batches, from_arrow_schema(schema)), persist=True)

    # -- resolution --------------------------------------------------------------

    def splink_db_api(self) -> Any:
        """A fresh Splink Spark backend on this session (one per linker: Splink
        refuses two tables registered under one name in one backend)."""
        from splink import SparkAPI

        return SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=self._spark, break_lineage_method=self._break_lineage
        )

    # -- lifetime ----------------------------------------------------------------

    def close(self) -> None:
        """Drop this engine's views and cached data; stop a session it started."""
        for df in self._persisted.values():
            df.unpersist()
        for name in self._views:
            self._spark.catalog.dropTempView(name)
        self._persisted.clear()
        self._views.clear()
        if self._owns:
            self._spark.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
