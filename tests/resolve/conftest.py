"""One resolved synthetic population per session, and the models trained on it.

Training a Splink model takes seconds; the store tests (both backends) resolve
small hand-made batches with these models instead of training on data too
small to train on, which is also how a new deployment starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from resolve_testkit import FAST, KEY, Population

from population_testkit import reference_ingest
from xinyong.ingest.pipeline import ingest_file
from xinyong.ledger import Ledger
from xinyong.resolve import resolve
from xinyong.resolve.model import TrainedModel
from xinyong.resolve.workspace import Workspace
from xinyong.store import repositories
from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import upgrade
from xinyong.synth import generate


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Population]:
    root = tmp_path_factory.mktemp("resolve-population")
    generate(600, 80, seed=11, out=root / "synth", formats=("csv", "jsonl", "parquet"))
    engine = make_engine(f"sqlite:///{root / 'store.sqlite3'}")
    upgrade(engine)
    with transaction(engine) as conn:
        for org in json.loads((root / "synth" / "furnishers.json").read_text()):
            repositories.add_organisation(
                conn,
                org_id=org["org_id"],
                name=org["name"],
                kind=org["kind"],
                roles=org["roles"],
                country=org["country"],
            )
    ledger = Ledger(root / "ledger")
    with reference_ingest():  # the same ledger as the fast path's, for 7% of the CPU
        for entry in json.loads((root / "synth" / "manifest.json").read_text())["files"]:
            ingest_file(
                root / "synth" / entry["path"],
                entry["furnisher_id"],
                ledger=ledger,
                engine=engine,
                hash_key=KEY,
            )
    workspace = Workspace(root / "resolution")
    summary = resolve(ledger, engine, workspace, config=FAST)
    models = {
        kind: workspace.load_model(model_id)
        for kind, model_id in (
            ("person", summary.person_model_id),
            ("enterprise", summary.enterprise_model_id),
        )
        if model_id
    }
    try:
        yield Population(root, engine, ledger, workspace, summary, models)
    finally:
        engine.dispose()


@pytest.fixture
def models(population: Population) -> dict[str, TrainedModel]:
    return population.models
