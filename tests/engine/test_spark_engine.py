"""The Spark engine's own rules: the dialect fixes it applies, and failing loudly.

The transpiler tests need no JVM; the others share the session fixture.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa
import pytest

pytest.importorskip(
    "pyspark", reason="the spark engine needs pyspark: pip install 'xinyong[spark]'"
)

from xinyong.attributes.compute import attribute_steps
from xinyong.engine.base import EngineUnavailableError, Step
from xinyong.engine.spark_engine import SPARK_GAPS, SparkEngine, to_spark_sql
from xinyong.files.sql import file_steps
from xinyong.policy import cn, eu, us


def test_every_pipeline_step_transpiles_or_is_listed_as_a_gap() -> None:
    for profile in (cn.PROFILE, us.PROFILE, eu.PROFILE):
        steps, final = attribute_steps(date(2026, 6, 30))
        for step in [*file_steps(profile, date(2026, 6, 30)), *steps, Step("final", final)]:
            if step.name in SPARK_GAPS:
                continue
            assert to_spark_sql(step.sql, step=step.name).startswith("SELECT")


def test_date_parts_keep_duckdbs_bigint() -> None:
    """DuckDB's YEAR/MONTH/DAY are BIGINT, Spark's INT: cast, so columns match."""
    sql = to_spark_sql("SELECT YEAR(d) * 12 + MONTH(d) - 1 AS i, CAST(DAY(d) AS INT) AS k FROM t")
    assert "CAST(YEAR(d) AS BIGINT)" in sql and "CAST(MONTH(d) AS BIGINT)" in sql
    assert "CAST(CAST(DAY(d)" not in sql  # an explicit cast is left alone


def test_untranslatable_sql_names_the_step() -> None:
    with pytest.raises(EngineUnavailableError, match="'bad_step'"):
        to_spark_sql("SELECT * FROM t WHERE", step="bad_step")


@pytest.fixture
def engine(spark: Any) -> Any:
    with SparkEngine(spark) as e:
        yield e


def test_duckdb_semantics_on_spark(engine: SparkEngine) -> None:
    """The traps listed in xinyong.files.sql, checked on the real engine."""
    engine.register_arrow(
        "t",
        pa.table(
            {
                "x": pa.array([7, -7, None], pa.int64()),
                "s": pa.array(["a", "B", None]),
                "ts": pa.array([1719791940_000000, 0, None], pa.timestamp("us", tz="UTC")),
            }
        ),
    )
    engine.run_steps(
        [
            Step(
                "r",
                "SELECT x, x // 2 AS idiv, x % 3 AS m, CAST(FLOOR(x / 2) AS INT) AS fl, "
                "s < 'b' AS lt, MD5(s) AS h, CAST(ts AS DATE) AS d, "
                "ROW_NUMBER() OVER (ORDER BY x) AS rn FROM t",
            )
        ]
    )
    rows = {r["rn"]: r for r in engine.to_arrow("SELECT * FROM r ORDER BY rn").to_pylist()}
    assert [rows[i]["x"] for i in (1, 2, 3)] == [-7, 7, None]  # NULLS LAST, as in DuckDB
    assert (rows[1]["idiv"], rows[1]["m"], rows[1]["fl"]) == (-3, -1, -4)  # truncates
    assert (rows[2]["idiv"], rows[2]["m"], rows[2]["fl"]) == (3, 1, 3)
    assert rows[2]["lt"] is True and rows[1]["lt"] is True  # binary collation: 'B' < 'b'
    assert rows[2]["h"] == "0cc175b9c0f1b6a831c399e269772661"
    assert str(rows[2]["d"]) == "2024-06-30"  # 23:59 UTC is still the 30th


def test_a_step_listed_as_a_gap_fails_before_any_work(
    engine: SparkEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xinyong.engine.spark_engine as module

    monkeypatch.setattr(module, "SPARK_GAPS", {"needs_duckdb": "uses a DuckDB-only function"})
    with pytest.raises(EngineUnavailableError, match=r"needs_duckdb.*DuckDB-only"):
        engine.run_steps([Step("first", "SELECT 1 AS a"), Step("needs_duckdb", "SELECT 2 AS b")])
    assert not engine.session.catalog.tableExists("first")


def test_a_failing_step_is_named(engine: SparkEngine) -> None:
    with pytest.raises(RuntimeError, match="'broken'"):
        engine.run_steps([Step("broken", "SELECT no_such_column FROM (SELECT 1 AS a) AS t")])
