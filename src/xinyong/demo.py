"""The demo: a synthetic country through every step that is built, on the embedded default.

It is the README's main job, so it must run on a fresh machine with nothing
but Python, and it must never pretend: each step here calls the real
component, and the reconciliation against the generator's truth is printed,
not assumed.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from xinyong import batch_ops, system
from xinyong.demo_defaults import DEMO_ENTERPRISES, DEMO_PERSONS
from xinyong.ingest.pipeline import BatchReport
from xinyong.pipeline import read_output
from xinyong.settings import Settings
from xinyong.synth import SynthSummary, generate

if TYPE_CHECKING:
    import pyarrow as pa

    from xinyong.score.population import PopulationModel

DEMO_SEED = 20261129


@dataclass(slots=True)
class DemoResult:
    """What the demo did, for printing and for the end-to-end test."""

    population: Path
    synth: SynthSummary | None = None
    furnishers_registered: int = 0
    batches: list[BatchReport] = field(default_factory=list)
    expected_rejects: Counter[tuple[str, int]] = field(default_factory=Counter)
    actual_rejects: Counter[tuple[str, int]] = field(default_factory=Counter)

    @property
    def received(self) -> int:
        return sum(b.received for b in self.batches)

    @property
    def accepted(self) -> int:
        return sum(b.accepted for b in self.batches)

    @property
    def rejected(self) -> int:
        return sum(b.rejected for b in self.batches)

    @property
    def rejects_as_planted(self) -> bool:
        """Exactly the records the generator spoiled were rejected, no more, no fewer."""
        return self.expected_rejects == self.actual_rejects


def generate_population(
    out: Path,
    persons: int = DEMO_PERSONS,
    enterprises: int = DEMO_ENTERPRISES,
    seed: int = DEMO_SEED,
    progress: Callable[[int], None] | None = None,
) -> SynthSummary | None:
    """Generate the population unless the folder already holds one (it is deterministic)."""
    if (out / "manifest.json").is_file():
        return None
    return generate(persons, enterprises, seed, out, progress=progress)


def register_population_furnishers(settings: Settings, population: Path) -> int:
    """Register the generator's furnishers under their own ids; returns how many were new."""
    known = {row["org_id"] for row in system.list_furnishers(settings)}
    added = 0
    for org in json.loads((population / "furnishers.json").read_text(encoding="utf-8")):
        if org["org_id"] in known:
            continue
        system.register_furnisher(
            settings,
            org["name"],
            org["kind"],
            org["country"],
            org_id=org["org_id"],
            address=org.get("address"),
            telephone=org.get("telephone"),
        )
        added += 1
    return added


def population_files(population: Path) -> list[tuple[Path, str]]:
    """Each furnisher file of the population with its furnisher, in manifest order."""
    manifest = json.loads((population / "manifest.json").read_text(encoding="utf-8"))
    return [(population / f["path"], f["furnisher_id"]) for f in manifest["files"]]


def expected_rejects(population: Path) -> Counter[tuple[str, int]]:
    """(file, record number) of every record the generator spoiled on purpose."""
    with (population / "truth" / "rejects.csv").open(encoding="utf-8", newline="") as fh:
        return Counter((row["file"], int(row["record_no"])) for row in csv.DictReader(fh))


def run(
    settings: Settings,
    *,
    persons: int = DEMO_PERSONS,
    enterprises: int = DEMO_ENTERPRISES,
    seed: int = DEMO_SEED,
    on_file: Callable[[Path, BatchReport], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Initialise, generate, register furnishers, ingest every file, reconcile with the truth."""
    system.initialise(settings)
    population = settings.home / "population"
    result = DemoResult(population)
    result.synth = generate_population(population, persons, enterprises, seed, progress)
    result.furnishers_registered = register_population_furnishers(settings, population)
    for path, furnisher in population_files(population):
        report = system.ingest(settings, path, furnisher)
        result.batches.append(report)
        relative = path.relative_to(population).as_posix()
        stored_as = report.duplicate_of or report.batch_id
        for row in system.batch_rejects(settings, stored_as, limit=None):
            result.actual_rejects[(relative, int(row["record_no"]))] = 1
        if on_file is not None:
            on_file(path, report)
    result.expected_rejects = Counter({k: 1 for k in expected_rejects(population)})
    return result


@dataclass(frozen=True, slots=True)
class ScoringResult:
    """The scoring part of the demo: the model against the truth, and the stored run."""

    population: PopulationModel
    run: batch_ops.BatchRun
    subjects_scored: int
    subjects_mapped: int


def observation_date(population: Path) -> date:
    """The date the generator observed the population (its truth's outcomes start there)."""
    summary = json.loads((population / "truth" / "summary.json").read_text(encoding="utf-8"))
    return date.fromisoformat(summary["observation_date"])


def true_subjects(population: Path, result: DemoResult, links: pa.Table) -> dict[str, str]:
    """Resolved subject id -> the generator's true person or enterprise id.

    Each resolved subject takes the true id of most of its records (ties: the
    smallest id); when resolution split one true subject in two, only the part
    with the most records keeps the true id, so the truth joins one to one.
    Resolution never sees this: it is the answer key, used only to measure.
    """
    file_of = {}
    for (path, _furnisher), report in zip(
        population_files(population), result.batches, strict=True
    ):
        file_of[report.duplicate_of or report.batch_id] = path.relative_to(population).as_posix()
    with (population / "truth" / "records.csv").open(encoding="utf-8", newline="") as fh:
        truth = {(r["file"], int(r["record_no"])): r["true_subject_id"] for r in csv.DictReader(fh)}
    votes: dict[str, Counter[str]] = {}
    for batch_id, record_no, subject_id in zip(
        links["batch_id"].to_pylist(),
        links["record_no"].to_pylist(),
        links["subject_id"].to_pylist(),
        strict=True,
    ):
        true_id = truth.get((file_of.get(batch_id, ""), int(record_no)))
        if true_id is not None:
            votes.setdefault(subject_id, Counter())[true_id] += 1
    best: dict[str, tuple[int, str]] = {}  # true id -> (records, resolved id)
    for subject_id, counter in votes.items():
        true_id, n = min(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        if true_id not in best or (n, subject_id) > best[true_id]:
            best[true_id] = (n, subject_id)
    return {subject_id: true_id for true_id, (_n, subject_id) in best.items()}


def score(
    settings: Settings,
    result: DemoResult,
    progress: batch_ops.Progress | None = None,
) -> ScoringResult:
    """Train the population scorecard on the resolved files against the truth, then
    run the batch pipeline with it and store every person's score.

    Needs identity resolution to have run. The attributes come from a first
    pipeline run without a model (as of the generator's observation date, the
    ledger as it stands now); the scorecard is trained on them, relabelled
    with the true ids, and saved in the registry; the second run reads the
    first one's files and attributes back, scores and stores. Re-running the
    demo gives the same runs and stores nothing new.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from xinyong.score.population import train_population_model

    population = result.population
    as_of = observation_date(population)
    plain = batch_ops.run_batch(settings, as_of=as_of, progress=progress)
    attributes = read_output(plain.manifest.run_dir, "attributes")
    mapping = true_subjects(population, result, read_output(plain.manifest.run_dir, "links"))
    resolved = attributes["subject_id"].to_pylist()
    keep = pa.array([s in mapping for s in resolved])
    relabelled = attributes.filter(keep).set_column(
        0, "subject_id", pa.array([mapping[s] for s in resolved if s in mapping], pa.string())
    )
    relabelled = relabelled.filter(pc.starts_with(relabelled["subject_id"], "P"))
    trained = train_population_model(
        relabelled, population / "truth" / "persons.csv", batch_ops.models_dir(settings)
    )
    run = batch_ops.run_batch(
        settings,
        as_of=as_of,
        model=trained.model.model_id,
        files_from=plain.manifest,
        publish=True,
        progress=progress,
    )
    return ScoringResult(
        population=trained,
        run=run,
        subjects_scored=run.manifest.counts.get("scores", 0),
        subjects_mapped=relabelled.num_rows,
    )


def service_text(
    settings: Settings, population: Path, base_url: str = "http://127.0.0.1:8000"
) -> str:
    """Create the demo's service logins and return how to use them.

    Needs the scored run published (:func:`score` does). The inquiry example
    uses a real identifier from the generator's truth (the store holds only
    keyed hashes), of a person the published files know.
    """
    from xinyong.service_demo import service_logins

    opened = system.open_system(settings)
    try:
        for scheme, value in _truth_identifiers(population):
            try:
                return service_logins(opened, base_url=base_url, identifier=(scheme, value)).text
            except ValueError:
                continue
        return service_logins(opened, base_url=base_url).text
    finally:
        opened.engine.dispose()


def _truth_identifiers(population: Path, limit: int = 50) -> list[tuple[str, str]]:
    """Up to ``limit`` (scheme, value) national identifiers of persons in the truth."""
    found: list[tuple[str, str]] = []
    with (population / "truth" / "persons.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for scheme in ("cn_ric", "us_ssn"):
                if row.get(scheme):
                    found.append((scheme, row[scheme]))
                    break
            if len(found) >= limit:
                break
    return found
