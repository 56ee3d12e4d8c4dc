"""``xinyong run --engine spark`` resolves on Splink's Spark backend, with DuckDB's links.

One deployment of a small synthetic country is resolved on DuckDB up to a
point (which trains the person model there), more files arrive, and the
deployment is copied. Then the same incremental resolution runs twice: on
the original through :func:`xinyong.system.resolve` (Splink on DuckDB), and
on the copy through :func:`xinyong.batch_ops.run_batch` with the Spark
engine, the path ``xinyong run --engine spark`` takes, which scores the new
pairs with the DuckDB-trained model re-rendered for Spark's SQL dialect.
Both must store the same subjects and the same decisions (match weights to
1e-9: the backends add the same terms in another order).

Training itself is not repeated on Spark here (dozens of small Spark jobs,
minutes on the shared machine): ``test_spark_resolution.py`` does that, opt-in.
The pipeline after resolution is stopped: ``test_engine_equality.py`` covers it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from xinyong import batch_ops, demo, system
from xinyong.ledger import Ledger
from xinyong.resolve import resolve
from xinyong.resolve.core import LinkConfig
from xinyong.resolve.state import record_subjects
from xinyong.settings import Settings
from xinyong.store.engine import make_engine
from xinyong.store.resolution_schema import resolution_decisions
from xinyong.synth import generate

pytest.importorskip(
    "pyspark", reason="the spark engine needs pyspark: pip install 'xinyong[spark]'"
)

#: The furnishers whose files are resolved first (enough persons to train on).
FIRST = ("cn-bank-nanhe", "cn-utility-huadian")


class _PipelineStopped(Exception):
    """Raised in place of the pipeline: this test is about resolution only."""


def _deployment(home: Path, population: Path, furnishers: set[str] | None) -> Settings:
    settings = Settings(home=home, db_url=None, hash_key="spark-resolve-run-key")
    system.initialise(settings)
    demo.register_population_furnishers(settings, population)
    for path, furnisher in demo.population_files(population):
        if furnishers is None or furnisher in furnishers:
            system.ingest(settings, path, furnisher)
    return settings


def _state(settings: Settings) -> tuple[dict[tuple[str, str, int], str], list[tuple[Any, ...]]]:
    """Every record's subject, and every machine decision with its weight."""
    store = make_engine(settings.database_url)
    d = resolution_decisions.c
    try:
        with store.connect() as conn:
            subjects = {(t, b, n): s for t, b, n, s in conn.execute(record_subjects())}
            decisions = sorted(
                conn.execute(
                    select(
                        d.left_key, d.right_key, d.judgement, d.method, d.model_id, d.match_weight
                    ).where(d.deleted_at.is_(None))
                ).all()
            )
    finally:
        store.dispose()
    return subjects, [tuple(r) for r in decisions]


def test_run_on_spark_resolves_as_duckdb_does(
    tmp_path: Path, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinyong.engine.spark_engine import SparkEngine

    population = tmp_path / "population"
    generate(100, 12, 7, population, months=2)
    settings = _deployment(tmp_path / "a", population, set(FIRST))
    store = make_engine(settings.database_url)
    first = resolve(
        Ledger(settings.ledger_dir),
        store,
        settings.home / "resolution",
        config=LinkConfig(max_pairs=1e5, min_train_mentions=50),
    )
    store.dispose()
    assert first.person_model_id, "the first files must be enough to train the person model"
    rest = {f for _, f in demo.population_files(population)} - set(FIRST)
    for path, furnisher in demo.population_files(population):
        if furnisher in rest:
            system.ingest(settings, path, furnisher)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    on_spark = Settings(home=tmp_path / "b", db_url=None, hash_key="spark-resolve-run-key")

    on_duckdb_summary = system.resolve(settings)

    engine = SparkEngine(spark)  # the shared session: run_batch must not stop it
    backends: list[str] = []
    real_db_api = engine.splink_db_api

    def counted_db_api() -> Any:
        api = real_db_api()
        backends.append(api.sql_dialect.sql_dialect_str)
        return api

    def stop(*_args: Any, **_kwargs: Any) -> Any:
        raise _PipelineStopped

    monkeypatch.setattr(engine, "splink_db_api", counted_db_api)
    monkeypatch.setattr(batch_ops, "open_engine", lambda name, **_: engine)
    monkeypatch.setattr(batch_ops, "run_pipeline", stop)
    with pytest.raises(_PipelineStopped):
        batch_ops.run_batch(on_spark, engine="spark", resolve=True, publish=False)

    assert backends and set(backends) == {"spark"}, "resolution must run on Splink's Spark backend"
    duck_subjects, duck_decisions = _state(settings)
    spark_subjects, spark_decisions = _state(on_spark)
    assert on_duckdb_summary.new_mentions > 20 and on_duckdb_summary.probabilistic_links > 0
    assert spark_subjects == duck_subjects
    assert [r[:5] for r in spark_decisions] == [r[:5] for r in duck_decisions]
    for duck, sparky in zip(duck_decisions, spark_decisions, strict=True):
        if duck[5] is not None:
            assert sparky[5] == pytest.approx(duck[5], abs=1e-9), duck[:2]
