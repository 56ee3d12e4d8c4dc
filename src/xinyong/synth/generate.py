"""The public entry point: generate a synthetic country into a folder.

Subjects are produced in chunks; each chunk is written out and forgotten
before the next begins, so ten million accounts take the memory of one chunk.
Every subject draws from random streams seeded by ``(seed, index)``, so the
same seed gives byte-identical files whatever the chunk size of the text
files (Parquet row groups follow the chunks).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from xinyong.synth.accounts import plan_enterprise_accounts, plan_person_accounts, simulate
from xinyong.synth.dirt import corrupt
from xinyong.synth.furnishers import FORMATS, Furnisher
from xinyong.synth.identity import SEGMENT_US, Enterprise, Person, make_enterprise, make_person
from xinyong.synth.output import Output, SynthSummary
from xinyong.synth.public_records import PublicEvent, enterprise_events, person_events
from xinyong.synth.records import (
    Record,
    Rendering,
    account_number,
    account_record,
    identity_at,
    render_enterprise,
    render_person,
)
from xinyong.synth.rng import Stream, month_end, month_index, subject_rng
from xinyong.synth.vocab import vocabulary

__all__ = ["DEFAULT_CHUNK", "SynthSummary", "generate"]

DEFAULT_CHUNK = 5_000


class _Run:
    """Parameters of one run and the writer they feed."""

    def __init__(
        self, seed: int, persons: int, observation: date, months: Sequence[int], output: Output
    ) -> None:
        self.seed = seed
        self.persons = persons
        self.observation = observation
        self.months = tuple(months)
        self.output = output

    def emit(
        self,
        dirt_rng: random.Random,
        furnisher: Furnisher,
        mi: int,
        record: Record,
        subject_id: str,
        tags: Sequence[str],
    ) -> None:
        """Break the record if the furnisher's error rate says so, then write it."""
        reject = None
        if dirt_rng.random() < furnisher.habits.invalid_rate:
            metro2 = furnisher.choose_format(self.output.formats) == "metro2"
            reject = corrupt(dirt_rng, record, metro2=metro2)
        self.output.emit(furnisher, mi, record, subject_id, tags, reject)

    # -- persons -----------------------------------------------------------
    def person(self, index: int) -> None:
        person = make_person(self.seed, index, self.observation)
        self._person_truth(person)
        rng = subject_rng(self.seed, Stream.PERSON_ACTIVITY, index)
        dirt_rng = subject_rng(self.seed, Stream.DIRT, index)
        first, last = self.months[0], self.months[-1]
        for plan in plan_person_accounts(person, rng, self.observation):
            snapshots = simulate(plan, rng, first, last)
            if not snapshots:
                continue
            rendering = render_person(dirt_rng, person, plan.furnisher)
            number = account_number(plan.furnisher, plan.product, False, index, plan.seq)
            opened = plan.open_date.isoformat()
            open_mi = month_index(plan.open_date)
            for snap in snapshots:
                known_mi = snap.month if rendering.follows_moves else open_mi
                identity = identity_at(rendering, person, known_mi)
                record = account_record(
                    identity, plan.furnisher, plan.product, number, "person", opened, snap
                )
                tags = rendering.tags
                if person.address_at(known_mi) is not person.address_at(snap.month):
                    tags = (*tags, "old_address")
                self.emit(dirt_rng, plan.furnisher, snap.month, record, person.subject_id, tags)
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
        self.output.persons.write(
            {
                "subject_id": person.subject_id,
                "segment": person.segment,
                "script": "han" if person.han else "latin",
                "family_name": person.family,
                "given_names": person.given,
                "family_name_latin": person.family_latin,
                "given_names_latin": person.given_latin,
                "birth_date": person.birth_date.isoformat(),
                "cn_ric": person.ric,
                "us_ssn": person.ssn,
                "passport": person.passport,
                "passport_country": person.passport_country,
                "phone": person.phone,
                "address_line1": address.line1,
                "address_line2": address.line2,
                "city": address.city,
                "region": address.region,
                "postal_code": address.postal_code,
                "country": address.country,
                "addresses_held": len(person.addresses),
                "latent_risk": f"{person.latent:.6f}",
                "pd_12m": f"{person.pd:.6f}",
                "default_12m": int(person.defaults),
            }
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
            rendering = render_enterprise(dirt_rng, ent, plan.furnisher)
            number = account_number(plan.furnisher, plan.product, True, index, plan.seq)
            opened = plan.open_date.isoformat()
            for snap in snapshots:
                identity = identity_at(rendering, ent, snap.month)
                record = account_record(
                    identity, plan.furnisher, plan.product, number, "enterprise", opened, snap
                )
                self.emit(
                    dirt_rng, plan.furnisher, snap.month, record, ent.subject_id, rendering.tags
                )
        events = enterprise_events(
            rng, index, ent.latent, ent.county, ent.registration_date, self.observation
        )
        for event in events:
            rendering = render_enterprise(dirt_rng, ent, event.furnisher)
            self._public(dirt_rng, event, "enterprise", ent, rendering)

    def _enterprise_truth(self, ent: Enterprise) -> None:
        a = ent.address
        self.output.enterprises.write(
            {
                "subject_id": ent.subject_id,
                "legal_name": ent.legal_name,
                "cn_uscc": ent.uscc,
                "registration_date": ent.registration_date.isoformat(),
                "registration_authority": ent.registration_authority,
                "industry_code": ent.industry_code,
                "legal_rep_subject_id": ent.legal_rep_subject_id,
                "size_class": ent.size,
                "address_line1": a.line1,
                "address_line2": a.line2,
                "city": a.city,
                "region": a.region,
                "postal_code": a.postal_code,
                "country": a.country,
                "phone": ent.phone,
                "latent_risk": f"{ent.latent:.6f}",
                "pd_12m": f"{ent.pd:.6f}",
                "default_12m": int(ent.defaults),
            }
        )
        self.output.registry.write(
            {
                "cn_uscc": ent.uscc,
                "legal_name": ent.legal_name,
                "registration_date": ent.registration_date.isoformat(),
                "registration_authority": ent.registration_authority,
                "industry_code": ent.industry_code,
                "legal_representative": ent.legal_rep_name,
                "address_line1": a.line1 + (a.line2 or ""),
                "city": a.city,
                "region": a.region,
                "postal_code": a.postal_code,
            }
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
            entry = event.as_of(mi)
            if entry is None:
                continue
            record: Record = {
                "record_kind": "public_record",
                "record_ref": event.record_ref,
                "subject_kind": subject_kind,
                **identity_at(rendering, subject, mi),
                **entry,
            }
            self.emit(dirt_rng, event.furnisher, mi, record, subject.subject_id, rendering.tags)


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
) -> SynthSummary:
    """Write a synthetic population's furnisher files and its truth to ``out``.

    ``formats`` limits the encodings written: a furnisher whose preferred
    format is left out sends its next preference, so the population and the
    truth stay the same. ``months`` monthly files are written per furnisher,
    each as of a month end on or before ``observation_date``.
    ``progress`` is called after every chunk with the number of subjects
    (persons, then enterprises) done so far.
    """
    if persons < 0 or enterprises < 0 or months < 1 or chunk_size < 1:
        raise ValueError("persons and enterprises must be >= 0, months and chunk_size >= 1")
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"unknown format(s) {unknown}; choose among {', '.join(FORMATS)}")
    report_months = _report_months(observation_date, months)
    output = Output(Path(out), tuple(formats))
    run = _Run(seed, persons, observation_date, report_months, output)
    done = 0
    for total, one in ((persons, run.person), (enterprises, run.enterprise)):
        for start in range(0, total, chunk_size):
            for index in range(start, min(start + chunk_size, total)):
                one(index)
            output.end_chunk()
            done += min(start + chunk_size, total) - start
            if progress is not None:
                progress(done)
    return output.close(seed, persons, enterprises, observation_date.isoformat(), report_months)
