"""One Spark session for every Spark test: the JVM starts once per test run.

Local mode only (``local[2]``, 127.0.0.1, no UI, four shuffle partitions),
configured as :func:`xinyong.engine.spark_engine.local_session` configures it
for the pipeline. Tests that need Spark use the ``spark`` fixture, which skips
with the reason when pyspark or Java is missing.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The shared local Spark session (stopped at the end of the run)."""
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark not installed: pip install 'xinyong[spark]'")
    if shutil.which("java") is None:
        pytest.skip("no java on PATH: Spark needs a Java 17+ runtime")
    from xinyong.engine.spark_engine import local_session

    # Tiny data: compiling whole-stage code costs more than it saves, and two
    # shuffle partitions are plenty (neither changes a result).
    session = local_session(
        "local[2]",
        app_name="xinyong-tests",
        driver_memory="1g",
        shuffle_partitions=2,
        extra={"spark.sql.codegen.wholeStage": "false"},
    )
    try:
        yield session
    finally:
        session.stop()
