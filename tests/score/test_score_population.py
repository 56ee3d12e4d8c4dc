"""The population scorecard against the truth: a small synthetic country, end to end.

The country is generated, its furnisher files ingested, its records linked to
their true subjects from ``truth/records.csv`` (identity resolution is not
used here), filed and turned into attributes. The scorecard trained on them
must rank persons by their true default well above chance. The enterprise
rating must put riskier enterprises in worse grades.
"""

from __future__ import annotations

import csv
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from population_testkit import reference_ingest
from xinyong import demo, system
from xinyong.attributes import BY_NAME, compute_attributes
from xinyong.files import LINKS_SCHEMA, build_files
from xinyong.ledger import Ledger, connect
from xinyong.policy import cn
from xinyong.score import ModelRegistry, score_table
from xinyong.score.enterprise import rate_enterprises
from xinyong.score.population import (
    PopulationModel,
    population_frame,
    score_population,
    train_population_model,
)
from xinyong.settings import Settings
from xinyong.synth import generate

pytest.importorskip("optbinning", reason="training needs optbinning")

OBSERVATION = date(2026, 6, 30)
PERSONS, ENTERPRISES, SEED = 2000, 300, 20260630


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    """(population folder, attributes of every subject with a file)."""
    home = tmp_path_factory.mktemp("country")
    settings = Settings(home=home, db_url=None, hash_key="population-test-key")
    population = home / "population"
    generate(
        PERSONS,
        ENTERPRISES,
        SEED,
        population,
        formats=("csv",),
        observation_date=OBSERVATION,
        workers=1,
    )
    system.initialise(settings)
    demo.register_population_furnishers(settings, population)
    file_of: dict[str, str] = {}
    with reference_ingest():
        for path, furnisher in demo.population_files(population):
            report = system.ingest(settings, path, furnisher)
            if report.status == "stored":
                file_of[report.batch_id] = path.relative_to(population).as_posix()
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
                        "subject_id": truth[(file_of[batch_id], record_no)],
                    }
                )
    files = build_files(
        ledger,
        pa.Table.from_pylist(links, schema=LINKS_SCHEMA),
        OBSERVATION,
        cn.PROFILE,
        at=datetime.now(UTC),
    )
    return population, compute_attributes(files)


@pytest.fixture(scope="module")
def trained(
    country: tuple[Path, pa.Table], tmp_path_factory: pytest.TempPathFactory
) -> PopulationModel:
    population, attributes = country
    registry = tmp_path_factory.mktemp("models")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return train_population_model(
            attributes, population / "truth" / "persons.csv", out=registry
        )


def test_the_scorecard_ranks_persons_by_their_true_default(trained: PopulationModel) -> None:
    print(
        f"\npopulation model: holdout AUC {trained.holdout_auc:.4f}, ceiling (true PD) "
        f"{trained.ceiling_auc:.4f}, {trained.share_of_ceiling:.0%} of the knowable lift; "
        f"{trained.persons_with_file}/{trained.persons_in_truth} persons with a file, "
        f"bad rate {trained.bad_rate:.3f}, {len(trained.model.characteristics)} characteristics"
    )
    assert trained.holdout_auc > 0.65
    assert trained.ceiling_auc > 0.7  # the truth itself separates defaulters
    assert trained.persons_in_truth == PERSONS
    assert 0.8 * PERSONS < trained.persons_with_file <= PERSONS


def test_the_model_is_stored_with_the_attribute_definitions(trained: PopulationModel) -> None:
    model = trained.model
    assert trained.path is not None and trained.path.name == f"{model.model_id}.json"
    loaded = ModelRegistry(trained.path.parent).load(model.model_id[:12])
    assert loaded.model_id == model.model_id
    assert model.training.id_column == "subject_id" and model.training.target == "default_12m"
    for ch in model.characteristics:
        attribute = BY_NAME[ch.name]
        assert model.definitions[ch.name] == attribute.to_dict()
        assert ch.reason_text == attribute.reason
        assert ch.inquiry == ch.name.startswith("inquiries_")


def test_score_population_is_score_table_on_the_person_rows(
    country: tuple[Path, pa.Table], trained: PopulationModel
) -> None:
    _, attributes = country
    out = score_population(trained.model, attributes)
    persons = attributes.filter(pc.equal(attributes["subject_kind"], "person"))
    assert out.num_rows == persons.num_rows
    assert out.column_names == [
        "subject_id",
        "score",
        "probability_bad",
        *(f"reason_{k}" for k in range(1, 6)),
    ]
    assert out.schema.metadata == {b"model_id": trained.model.model_id.encode()}
    assert out.column("subject_id").to_pylist() == persons.column("subject_id").to_pylist()
    batch = score_table(trained.model, persons)
    assert np.array_equal(out.column("score").to_numpy(), batch.score)
    assert np.array_equal(out.column("probability_bad").to_numpy(), batch.probability_bad)
    assert out.column("reason_1").to_pylist() == batch.reason_codes()[:, 0].tolist()
    scores = out.column("score").to_numpy()
    assert scores.min() >= 300 and scores.max() <= 850 and np.unique(scores).size > 20


def test_the_frame_joins_by_subject_id_and_never_carries_the_true_pd(
    country: tuple[Path, pa.Table],
) -> None:
    population, attributes = country
    frame, pd_12m, in_truth = population_frame(attributes, population / "truth" / "persons.csv")
    assert in_truth == PERSONS and len(frame) == len(pd_12m)
    assert "pd_12m" not in frame.columns and "latent_risk" not in frame.columns
    assert frame["subject_id"].is_monotonic_increasing
    assert frame["subject_id"].str.startswith("P").all()
    truth = pd.read_csv(population / "truth" / "persons.csv", dtype={"subject_id": str})
    expected = truth.set_index("subject_id").loc[frame["subject_id"], "default_12m"].to_numpy()
    assert np.array_equal(frame["default_12m"].to_numpy(), expected)


def test_the_rating_puts_riskier_enterprises_in_worse_grades(
    country: tuple[Path, pa.Table],
) -> None:
    population, attributes = country
    rated = rate_enterprises(attributes).to_arrow().to_pandas()
    truth = pd.read_csv(population / "truth" / "enterprises.csv", dtype={"subject_id": str})
    joined = rated.merge(truth[["subject_id", "pd_12m", "default_12m"]], on="subject_id")
    assert len(joined) == len(rated) > 0.5 * ENTERPRISES
    by_grade = joined.groupby("grade")["pd_12m"].agg(["mean", "size"])
    print(f"\nenterprise grades against the true PD:\n{by_grade}")
    good = joined[joined["grade"].isin(["A", "B"])]["pd_12m"].mean()
    bad = joined[joined["grade"].isin(["C", "D"])]["pd_12m"].mean()
    assert bad > 1.5 * good


def test_inquiry_attributes_are_marked_for_the_fifth_reason(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    n = 3000
    risk = rng.standard_normal(n)
    ids = [f"P{i:09d}" for i in range(n)]
    table = pa.table(
        {
            "subject_id": ids,
            "subject_kind": ["person"] * n,
            "inquiries_12m": rng.poisson(np.exp(0.6 * risk)),
            "revolving_utilisation": np.clip(0.4 + 0.2 * risk + rng.normal(0, 0.2, n), 0, 1.5),
            "serious_violation_listed": pa.nulls(n, pa.int64()),  # enterprises only: left out
        }
    )
    default = rng.random(n) < 1 / (1 + np.exp(-(-2.5 + 1.2 * risk)))
    truth = tmp_path / "persons.csv"
    pd.DataFrame({"subject_id": ids, "pd_12m": 0.1, "default_12m": default.astype(int)}).to_csv(
        truth, index=False
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train_population_model(table, truth)
    flags = {c.name: c.inquiry for c in result.model.characteristics}
    assert flags == {"inquiries_12m": True, "revolving_utilisation": False}
    assert result.path is None
