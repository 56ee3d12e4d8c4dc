"""The public entry point: generate a synthetic country into a folder.

Subjects are produced in chunks; each chunk is encoded, written out and
forgotten before much more is produced, so ten million accounts take the
memory of a few chunks. Every subject draws from random streams seeded by
``(seed, index)``, so a chunk is a pure function of the run's parameters and
its index range: the same seed gives byte-identical files whatever the chunk
size of the text files (Parquet row groups follow the chunks) and whatever the
number of worker processes, because chunks made in parallel are written in
order by the one process that owns the output folder.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from xinyong.synth.accounts import plan_enterprise_accounts, plan_person_accounts, simulate
from xinyong.synth.dirt import corrupt
from xinyong.synth.furnishers import FORMATS, FURNISHERS, Furnisher
from xinyong.synth.identity import SEGMENT_US, Enterprise, Person, make_enterprise, make_person
from xinyong.synth.output import ChunkBuilder, ChunkResult, Encoders, Output, SynthSummary
from xinyong.synth.public_records import PublicEvent, enterprise_events, person_events
from xinyong.synth.records import (
    Rendering,
    Row,
    account_number,
    account_row,
    as_record,
    as_row,
    identity_values,
    render_enterprise,
    render_person,
)
from xinyong.synth.rng import Stream, month_end, month_index, subject_rng
from xinyong.synth.sinks import warm_up
from xinyong.synth.vocab import vocabulary

__all__ = ["DEFAULT_CHUNK", "SynthSummary", "generate"]

DEFAULT_CHUNK = 5_000

T = TypeVar("T")
R = TypeVar("R")


class Params(NamedTuple):
    """What a chunk depends on besides its index range."""

    seed: int
    persons: int
    observation: date
    months: tuple[int, ...]
    formats: tuple[str, ...]


class Task(NamedTuple):
    """A chunk: persons or enterprises ``start`` to ``stop`` (exclusive)."""

    kind: str  # person or enterprise
    start: int
    stop: int


class _Run:
    """Produces chunks of one run: subjects in, encoded furnisher records out."""

    def __init__(self, params: Params) -> None:
        self.seed = params.seed
        self.persons = params.persons
        self.observation = params.observation
        self.months = params.months
        self.formats = params.formats
        self._encoders = Encoders()
        self._metro2 = {
            f.furnisher_id: f.choose_format(self.formats) == "metro2" for f in FURNISHERS
        }
        self.chunk = ChunkBuilder(self.formats)

    def produce(self, task: Task) -> ChunkResult:
        """One chunk of subjects, encoded."""
        self.chunk = ChunkBuilder(self.formats)
        one = self.person if task.kind == "person" else self.enterprise
        for index in range(task.start, task.stop):
            one(index)
        return self.chunk.finish(task.stop - task.start, self._encoders)

    def emit(
        self,
        dirt_rng: random.Random,
        furnisher: Furnisher,
        mi: int,
        row: Row,
        subject_id: str,
        tags: Sequence[str],
    ) -> None:
        """Break the record if the furnisher's error rate says so, then add it."""
        reject = None
        if dirt_rng.random() < furnisher.habits.invalid_rate:
            record = as_record(row)
            reject = corrupt(dirt_rng, record, metro2=self._metro2[furnisher.furnisher_id])
            row = as_row(record)
        self.chunk.emit(furnisher, mi, row, subject_id, tags, reject)

    # -- persons -----------------------------------------------------------
    def person(self, index: int) -> None:
        person = make_person(self.seed, index, self.observation)
        self._person_truth(person)
        rng = subject_rng(self.seed, Stream.PERSON_ACTIVITY, index)
        dirt_rng = subject_rng(self.seed, Stream.DIRT, index)
        first, last = self.months[0], self.months[-1]
        subject_id = person.subject_id
        for plan in plan_person_accounts(person, rng, self.observation):
            snapshots = simulate(plan, rng, first, last)
            if not snapshots:
                continue
            furnisher, product = plan.furnisher, plan.product
            rendering = render_person(dirt_rng, person, furnisher)
            number = account_number(furnisher, product, False, index, plan.seq)
            opened, open_mi = plan.opened, plan.open_mi
            for snap in snapshots:
                known_mi = snap.month if rendering.follows_moves else open_mi
                identity = identity_values(rendering, person, known_mi)
                row = account_row(
                    identity, furnisher, product, number, "person", opened, snap, rendering.ssn
                )
                tags = rendering.tags
                if known_mi != snap.month and person.address_at(known_mi) is not person.address_at(
                    snap.month
                ):
                    tags = (*tags, "old_address")
                self.emit(dirt_rng, furnisher, snap.month, row, subject_id, tags)
        if person.segment != SEGMENT_US:
            county_code = person.addresses[-1].county_code
            county = (
                vocabulary().county_by_code.get(county_code) or vocabulary().current_counties[0]
            )
            events = person_events(rng, index, person.latent, county, self.observation)
            for event in events:
                rendering = render_person(dirt_rng, person, event.furnisher)
                self._public(dirt_rng, event, "person", person, rendering)

    def _person_truth(self, person: Person) -> None:
        address = person.address_at(month_index(self.observation))
        self.chunk.persons.append(
            (
                person.subject_id,
                person.segment,
                "han" if person.han else "latin",
                person.family,
                person.given,
                person.family_latin,
                person.given_latin,
                person.birth_date.isoformat(),
                person.ric,
                person.ssn,
                person.passport,
                person.passport_country,
                person.phone,
                address.line1,
                address.line2,
                address.city,
                address.region,
                address.postal_code,
                address.country,
                len(person.addresses),
                f"{person.latent:.6f}",
                f"{person.pd:.6f}",
                int(person.defaults),
            )
        )

    # -- enterprises -------------------------------------------------------
    def enterprise(self, index: int) -> None:
        ent = make_enterprise(self.seed, index, self.persons, self.observation)
        self._enterprise_truth(ent)
        rng = subject_rng(self.seed, Stream.ENTERPRISE_ACTIVITY, index)
        dirt_rng = subject_rng(self.seed, Stream.DIRT, (1 << 40) + index)
        first, last = self.months[0], self.months[-1]
        for plan in plan_enterprise_accounts(ent, rng, self.observation):
            snapshots = simulate(plan, rng, first, last)
            if not snapshots:
                continue
            furnisher, product = plan.furnisher, plan.product
            rendering = render_enterprise(dirt_rng, ent, furnisher)
            number = account_number(furnisher, product, True, index, plan.seq)
            opened = plan.opened
            for snap in snapshots:
                identity = identity_values(rendering, ent, snap.month)
                row = account_row(identity, furnisher, product, number, "enterprise", opened, snap)
                self.emit(dirt_rng, furnisher, snap.month, row, ent.subject_id, rendering.tags)
        events = enterprise_events(
            rng, index, ent.latent, ent.county, ent.registration_date, self.observation
        )
        for event in events:
            rendering = render_enterprise(dirt_rng, ent, event.furnisher)
            self._public(dirt_rng, event, "enterprise", ent, rendering)

    def _enterprise_truth(self, ent: Enterprise) -> None:
        a = ent.address
        self.chunk.enterprises.append(
            (
                ent.subject_id,
                ent.legal_name,
                ent.uscc,
                ent.registration_date.isoformat(),
                ent.registration_authority,
                ent.industry_code,
                ent.legal_rep_subject_id,
                ent.size,
                a.line1,
                a.line2,
                a.city,
                a.region,
                a.postal_code,
                a.country,
                ent.phone,
                f"{ent.latent:.6f}",
                f"{ent.pd:.6f}",
                int(ent.defaults),
            )
        )
        self.chunk.registry.append(
            (
                ent.uscc,
                ent.legal_name,
                ent.registration_date.isoformat(),
                ent.registration_authority,
                ent.industry_code,
                ent.legal_rep_name,
                a.line1 + (a.line2 or ""),
                a.city,
                a.region,
                a.postal_code,
            )
        )

    # -- public records ----------------------------------------------------
    def _public(
        self,
        dirt_rng: random.Random,
        event: PublicEvent,
        subject_kind: str,
        subject: Person | Enterprise,
        rendering: Rendering,
    ) -> None:
        for mi in self.months:
            entry = event.values_as_of(mi)
            if entry is None:
                continue
            identity = identity_values(rendering, subject, mi)
            row = ("public_record", event.record_ref, subject_kind, *identity, *entry)
            self.emit(dirt_rng, event.furnisher, mi, row, subject.subject_id, rendering.tags)


# -- worker processes ---------------------------------------------------------

_worker_run: _Run | None = None


def _init_worker(params: Params) -> None:
    global _worker_run
    _worker_run = _Run(params)


def _work(task: Task) -> ChunkResult:
    if _worker_run is None:
        raise RuntimeError("worker process not initialised")
    return _worker_run.produce(task)


def _context() -> Any:
    """Spawned workers, never forked ones.

    A fork copies the caller's memory, locks included, but not its threads:
    forked from a process with threads running (a test session with Spark's
    gateway up, a server), a worker crashed in garbage collection and the run
    waited for it for ever. A spawned worker starts a fresh interpreter (about
    a second of imports, once per worker) and is the caller's own child, so its
    CPU time is counted where the benchmarks look for it (a fork server's
    workers would not be).
    """
    return mp.get_context("spawn")


def ordered_map(
    fn: Callable[[T], R],
    tasks: Iterable[T],
    workers: int,
    *,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    window: int | None = None,
) -> Iterator[R]:
    """``map(fn, tasks)`` computed by ``workers`` processes, yielded in task
    order, with at most ``window`` (default twice the workers) results made
    but not yet consumed, so memory stays bounded however many tasks."""
    window = window or 2 * workers
    # An executor, not a Pool: a worker that dies (a crash, the OOM killer) breaks
    # it with BrokenProcessPool, where a Pool waits for the lost task for ever.
    with ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=initializer, initargs=initargs
    ) as pool:
        pending: deque[Future[R]] = deque()
        for task in tasks:
            pending.append(pool.submit(fn, task))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _report_months(observation: date, months: int) -> list[int]:
    """The month ends on or before the observation date, oldest first."""
    last = month_index(observation)
    if observation != month_end(last):
        last -= 1
    return list(range(last - months + 1, last + 1))


def generate(
    persons: int,
    enterprises: int,
    seed: int,
    out: Path,
    formats: Sequence[str] = ("csv", "jsonl", "parquet", "metro2"),
    observation_date: date = date(2026, 6, 30),
    progress: Callable[[int], None] | None = None,
    *,
    months: int = 1,
    chunk_size: int = DEFAULT_CHUNK,
    workers: int | None = None,
) -> SynthSummary:
    """Write a synthetic population's furnisher files and its truth to ``out``.

    ``formats`` limits the encodings written: a furnisher whose preferred
    format is left out sends its next preference, so the population and the
    truth stay the same. ``months`` monthly files are written per furnisher,
    each as of a month end on or before ``observation_date``.
    ``progress`` is called after every chunk with the number of subjects
    (persons, then enterprises) done so far. ``workers`` processes (default:
    one per CPU) generate chunks in parallel; the files are the same for any
    number of workers.
    """
    if persons < 0 or enterprises < 0 or months < 1 or chunk_size < 1:
        raise ValueError("persons and enterprises must be >= 0, months and chunk_size >= 1")
    if workers is not None and workers < 1:
        raise ValueError("workers must be >= 1")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"unknown format(s) {unknown}; choose among {', '.join(FORMATS)}")
    report_months = _report_months(observation_date, months)
    params = Params(seed, persons, observation_date, tuple(report_months), tuple(formats))
    tasks = [
        Task(kind, start, min(start + chunk_size, total))
        for kind, total in (("person", persons), ("enterprise", enterprises))
        for start in range(0, total, chunk_size)
    ]
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    if workers > 1:  # built once, before the workers are forked
        vocabulary()
        if "parquet" in formats:
            warm_up()
    if workers > 1:
        chunks = ordered_map(_work, tasks, workers, initializer=_init_worker, initargs=(params,))
    else:
        chunks = map(_Run(params).produce, tasks)
    output = Output(Path(out), tuple(formats))
    done = 0
    for chunk in chunks:
        output.write_chunk(chunk)
        done += chunk.subjects
        if progress is not None:
            progress(done)
    return output.close(seed, persons, enterprises, observation_date.isoformat(), report_months)
