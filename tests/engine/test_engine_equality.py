"""The whole batch pipeline on DuckDB and on Spark gives the same outputs, bit for bit.

A small synthetic country (two monthly files per furnisher, so later reports
supersede earlier ones) is ingested once and linked by its truth; a handful of
inquiries (one a few minutes before midnight UTC, to catch a time zone slip)
and a scorecard built in code are added. Then :func:`run_pipeline` runs on
both engines over the same ledger snapshot, and every output it writes
(links, files, attributes, scores, reasons) must be equal on both: same
columns, same types, same rows, floats to the last bit. Row order is not part
of a run's content (Spark sorts within each part file, with no global sort),
so both sides are sorted by every column before they are compared.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from typing import Any

import pyarrow as pa
import pytest

from xinyong import demo, system
from xinyong.engine import DuckDBEngine
from xinyong.files import LINKS_SCHEMA
from xinyong.ledger import Ledger, connect
from xinyong.pipeline.manifest import OUTPUTS, RunManifest, read_output
from xinyong.pipeline.run import run_pipeline
from xinyong.policy import cn
from xinyong.score.model import Characteristic, ScorecardModel, TrainingInfo
from xinyong.score.scaling import DEFAULT_SCALING
from xinyong.settings import Settings
from xinyong.synth import generate

OBSERVATION = date(2026, 6, 30)
PERSONS, ENTERPRISES, SEED, MONTHS = 80, 10, 20261129, 2


def _numerical(
    name: str, splits: tuple[float, ...], points: tuple[float, ...], *, inquiry: bool = False
) -> Characteristic:
    n = len(splits) + 3  # the regular bins, then special, then missing
    counts = tuple(10 if i <= len(splits) else 0 for i in range(n))
    return Characteristic(
        name=name,
        kind="numerical",
        label=name.replace("_", " "),
        reason_code=name[:6].upper(),
        reason_text=f"{name.replace('_', ' ')} lowered the score",
        inquiry=inquiry,
        splits=splits,
        groups=(),
        special_codes=(),
        points=points,
        woe=tuple(0.1 * i for i in range(n)),
        count_good=counts,
        count_bad=counts,
        coefficient=0.7,
        iv=0.2,
    )


def scorecard() -> ScorecardModel:
    """A scorecard over real attribute names, a double among them, and an inquiry factor."""
    return ScorecardModel(
        name="engine-equality",
        characteristics=(
            _numerical(
                "revolving_utilisation", (0.3, 0.7, 1.0), (31.5, 20.25, 9.75, 0.0, 12.0, 7.0)
            ),
            _numerical("times_30_59_late_12m", (0.5, 1.5), (40.0, 15.0, 0.0, 2.0, 20.0)),
            _numerical("oldest_account_age_months", (12.0, 60.0), (0.0, 8.5, 16.0, 8.0, 0.0)),
            _numerical("accounts_open", (0.5, 2.5), (3.0, 12.0, 6.0, 6.0, 6.0)),
            _numerical("inquiries_6m", (0.5, 2.5), (20.0, 12.0, 0.0, 10.0, 10.0), inquiry=True),
        ),
        intercept=-2.5,
        base_points=400.0,
        scaling=DEFAULT_SCALING,
        points_decimals=None,
        training=TrainingInfo(
            data_sha256="0" * 64,
            data_name="in code",
            target="bad",
            id_column="subject_id",
            n_rows=100,
            n_train=70,
            n_holdout=30,
            bad_rate=0.1,
            settings={},
        ),
    )


def _inquiries(subjects: list[str]) -> pa.Table:
    """A few inquiries, one just before midnight UTC (the next day in Beijing)."""
    times = [
        datetime(2026, 6, 29, 23, 55, tzinfo=UTC),
        datetime(2026, 3, 1, 0, 5, tzinfo=UTC),
        datetime(2025, 12, 31, 12, 0, tzinfo=UTC),
        datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC),
    ]
    rows = [
        {
            "inquiry_id": f"q{i:03d}",
            "subject_id": subject,
            "inquirer_org_id": "lender-x",
            "purpose": "credit_application",
            "at": times[i % len(times)],
        }
        for i, subject in enumerate(subjects[: 3 * len(times)])
    ]
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The ledger, the truth links, the snapshot and the inquiries of a small country."""
    home = tmp_path_factory.mktemp("equality")
    settings = Settings(home=home, db_url=None, hash_key="engine-equality-key")
    population = home / "population"
    generate(PERSONS, ENTERPRISES, SEED, population, observation_date=OBSERVATION, months=MONTHS)
    system.initialise(settings)
    demo.register_population_furnishers(settings, population)
    batch_of: dict[str, str] = {}
    for path, furnisher in demo.population_files(population):
        report = system.ingest(settings, path, furnisher)
        if report.status == "stored":
            batch_of[report.batch_id] = path.relative_to(population).as_posix()
    truth: dict[tuple[str, int], str] = {}
    with (population / "truth" / "records.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            truth[(row["file"], int(row["record_no"]))] = row["true_subject_id"]
    ledger = Ledger(settings.ledger_dir)
    links = []
    with connect(ledger) as con:
        for table, consumer in (("accounts", "consumer_no"), ("public_records", "NULL")):
            query = f"SELECT batch_id, record_no, {consumer} FROM {table}"
            for batch_id, record_no, consumer_no in con.execute(query).fetchall():
                links.append(
                    {
                        "table_name": table,
                        "batch_id": batch_id,
                        "record_no": record_no,
                        "consumer_no": consumer_no,
                        "subject_id": truth[(batch_of[batch_id], record_no)],
                    }
                )
    subjects = sorted({str(r["subject_id"]) for r in links})
    return {
        "ledger": ledger,
        "links": pa.Table.from_pylist(links, schema=LINKS_SCHEMA),
        "snapshot": ledger.snapshot_id(datetime.now(UTC)),
        "inquiries": _inquiries(subjects),
        "out": home / "runs",
    }


def _run(engine: Any, country: dict[str, Any]) -> RunManifest:
    return run_pipeline(
        engine,
        country["ledger"],
        country["links"],
        OBSERVATION,
        cn.PROFILE,
        scorecard(),
        country["out"] / engine.name,
        snapshot_id=country["snapshot"],
        inquiries=country["inquiries"],
    )


@pytest.fixture(scope="module")
def runs(country: dict[str, Any], spark: Any) -> dict[str, RunManifest]:
    from xinyong.engine.spark_engine import SparkEngine

    with DuckDBEngine(memory_limit="1GB") as duck:  # bounded, as `xinyong run` opens it
        on_duckdb = _run(duck, country)
    with SparkEngine(spark) as sparky:
        on_spark = _run(sparky, country)
    return {"duckdb": on_duckdb, "spark": on_spark}


def test_both_engines_run_the_same_run(runs: dict[str, RunManifest]) -> None:
    duck, spark = runs["duckdb"], runs["spark"]
    assert (duck.engine, spark.engine) == ("duckdb", "spark")
    assert duck.run_id == spark.run_id  # same inputs, same run
    assert duck.counts == spark.counts
    assert duck.counts["file_subjects"] > PERSONS // 2
    assert duck.counts["scores"] > 0 and duck.counts["score_reasons"] > 0
    assert duck.counts["file_inquiries"] > 0


_UTC_NAMES = ("UTC", "Etc/UTC")


def _read(manifest: RunManifest, name: str) -> pa.Table:
    """An output with its UTC timestamps labelled ``UTC``: DuckDB names its zone
    by the machine's setting (``Etc/UTC``), Spark's Parquet says ``UTC``; both
    are the same instants. Any other zone is left as it is, and fails."""
    table = read_output(manifest.run_dir, name).combine_chunks()
    table = table.sort_by([(c, "ascending") for c in table.column_names])
    fields = [
        f.with_type(pa.timestamp(f.type.unit, tz="UTC"))
        if pa.types.is_timestamp(f.type) and f.type.tz in _UTC_NAMES
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


@pytest.mark.parametrize("name", OUTPUTS)
def test_every_output_is_identical(runs: dict[str, RunManifest], name: str) -> None:
    """Same schema (types included), same rows (as sets: sorted alike), same bits."""
    duck = _read(runs["duckdb"], name)
    spark = _read(runs["spark"], name)
    assert spark.schema.equals(duck.schema, check_metadata=False), (
        f"{name}: schemas differ\nduckdb: {duck.schema}\nspark:  {spark.schema}"
    )
    assert spark.num_rows == duck.num_rows
    for column in duck.column_names:
        left, right = duck[column], spark[column]
        if not left.equals(right):
            diffs = [
                (i, a, b)
                for i, (a, b) in enumerate(zip(left.to_pylist(), right.to_pylist(), strict=True))
                if a != b
            ]
            pytest.fail(f"{name}.{column}: {len(diffs)} rows differ, first {diffs[:3]}")


def test_scores_spread_and_carry_reasons(runs: dict[str, RunManifest]) -> None:
    """Not an empty equality: the scores vary and reasons are ranked."""
    scores = read_output(runs["spark"].run_dir, "scores")
    assert len(set(scores["score"].to_pylist())) > 3
    reasons = read_output(runs["spark"].run_dir, "score_reasons")
    assert set(reasons["rank"].to_pylist()) >= {1, 2}
