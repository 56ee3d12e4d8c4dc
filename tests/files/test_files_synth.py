"""End to end: a small synthetic country ingested, linked by its truth, filed and measured.

Links come from ``truth/records.csv`` (file + record number -> true subject),
mapped onto ledger rows through the batch each file was stored as, the way the
demo maps files to batches. Three monthly files per furnisher, so later
reports supersede earlier ones.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from population_testkit import reference_ingest
from xinyong import demo, system
from xinyong.attributes import ATTRIBUTES, AppliesTo, compute_attributes
from xinyong.files import LINKS_SCHEMA, CreditFiles, build_files
from xinyong.ledger import Ledger, connect
from xinyong.policy import cn
from xinyong.settings import Settings
from xinyong.synth import generate

OBSERVATION = date(2026, 6, 30)


@pytest.fixture(scope="module")
def country(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ledger, pa.Table]:
    home = tmp_path_factory.mktemp("home")
    settings = Settings(home=home, db_url=None, hash_key="synth-test-key")
    population = home / "population"
    generate(120, 15, 23, population, observation_date=OBSERVATION, months=3)
    system.initialise(settings)
    demo.register_population_furnishers(settings, population)
    batch_of: dict[str, str] = {}
    with reference_ingest():
        for path, furnisher in demo.population_files(population):
            report = system.ingest(settings, path, furnisher)
            if report.status == "stored":  # a duplicate's records are its original's
                batch_of[report.batch_id] = path.relative_to(population).as_posix()
    truth = {}
    with (population / "truth" / "records.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            truth[(row["file"], int(row["record_no"]))] = row
    ledger = Ledger(settings.ledger_dir)
    links = []
    with connect(ledger) as con:
        for table, consumer in (("accounts", "consumer_no"), ("public_records", "NULL")):
            query = f"SELECT batch_id, record_no, {consumer} FROM {table}"
            for batch_id, record_no, consumer_no in con.execute(query).fetchall():
                row = truth[(batch_of[batch_id], record_no)]
                links.append(
                    {
                        "table_name": table,
                        "batch_id": batch_id,
                        "record_no": record_no,
                        "consumer_no": consumer_no,
                        "subject_id": row["true_subject_id"],
                    }
                )
    return population, ledger, pa.Table.from_pylist(links, schema=LINKS_SCHEMA)


@pytest.fixture(scope="module")
def files(country: tuple[Path, Ledger, pa.Table]) -> CreditFiles:
    _, ledger, links = country
    return build_files(ledger, links, OBSERVATION, cn.PROFILE, at=datetime.now(UTC))


def accepted_truth(population: Path) -> list[dict[str, str]]:
    with (population / "truth" / "records.csv").open(encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["expect"] == "accept"]


def test_every_account_is_filed_once_with_its_latest_report(
    country: tuple[Path, Ledger, pa.Table], files: CreditFiles
) -> None:
    population, _, _ = country
    latest: dict[tuple[str, str], str] = {}
    subject_of: dict[tuple[str, str], str] = {}
    for row in accepted_truth(population):
        if row["record_kind"] != "account":
            continue
        key = (row["furnisher_id"], row["record_key"])
        latest[key] = max(latest.get(key, ""), row["month"])
        subject_of[key] = row["true_subject_id"]
    per_subject: dict[str, int] = defaultdict(int)
    for subject in subject_of.values():
        per_subject[subject] += 1
    filed: dict[str, int] = defaultdict(int)
    for row in files.accounts.to_pylist():
        filed[row["subject_id"]] += 1
        assert row["date_reported"] <= OBSERVATION
    assert filed == per_subject
    months = sorted({m for m in latest.values()})
    assert len(months) == 3  # three reports per account at most: supersession at work
    reported = {r["date_reported"].strftime("%Y-%m") for r in files.accounts.to_pylist()}
    assert reported <= set(months)


def test_attributes_for_every_subject(
    country: tuple[Path, Ledger, pa.Table], files: CreditFiles
) -> None:
    population, _, _ = country
    subjects = {r["true_subject_id"] for r in accepted_truth(population)}
    table = compute_attributes(files)
    assert table.num_rows == len(subjects) == files.subjects.num_rows
    assert set(table.column("subject_id").to_pylist()) == subjects
    kinds = {"P": "person", "E": "enterprise"}
    for row in table.to_pylist():
        assert row["subject_kind"] == kinds[row["subject_id"][0]]
        for a in ATTRIBUTES:
            value = row[a.name]
            if a.applies_to is AppliesTo.ENTERPRISE and row["subject_kind"] == "person":
                assert value is None, a.name
            elif a.if_no_rows is not None:
                assert value is not None and value >= 0, (a.name, value)
    utilisation = [v for v in table.column("revolving_utilisation").to_pylist() if v is not None]
    assert utilisation and all(0 <= v < 5 for v in utilisation)
    late = table.column("times_30_59_late_24m").to_pylist()
    assert any(v for v in late if v is not None)  # the population does pay late sometimes
