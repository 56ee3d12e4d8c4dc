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
from pathlib import Path

from xinyong import system
from xinyong.ingest.pipeline import BatchReport
from xinyong.settings import Settings
from xinyong.synth import SynthSummary, generate

DEMO_PERSONS = 3000
DEMO_ENTERPRISES = 300
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
            settings, org["name"], org["kind"], org["country"], org_id=org["org_id"]
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
