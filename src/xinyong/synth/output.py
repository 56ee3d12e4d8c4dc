"""The output folder: furnisher files, truth files, manifest and summary.

Layout (``out/``)::

    manifest.json                         files for the pipeline: furnisher, format, month
    furnishers.json                       the organisations that furnish
    furnishers/<furnisher_id>/<YYYY-MM>.<csv|jsonl|parquet|dat>
    registry/enterprises.csv              the market regulator's business register extract
    truth/persons.csv                     who every person really is, latent risk, PD, default
    truth/enterprises.csv                 the same for enterprises, with the legal representative
    truth/records.csv                     every furnished record -> true subject, expected reject
    truth/rejects.csv                     the expected rejects only, with the rule they break
    truth/summary.json                    counts per file, format, kind; expected rejects

The pipeline reads everything but ``truth/``.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from xinyong.synth.furnishers import FURNISHERS, Furnisher
from xinyong.synth.records import INTEGER_FIELDS, columns_for
from xinyong.synth.rng import month_start
from xinyong.synth.sinks import EXTENSIONS, Sink, open_sink

Record = dict[str, Any]

TRUTH_RECORD_COLUMNS = (
    "file", "record_no", "furnisher_id", "record_kind", "record_key", "month",
    "true_subject_id", "expect", "rule", "field", "dirt",
)  # fmt: skip
PERSON_TRUTH_COLUMNS = (
    "subject_id", "segment", "script", "family_name", "given_names", "family_name_latin",
    "given_names_latin", "birth_date", "cn_ric", "us_ssn", "passport", "passport_country",
    "phone", "address_line1", "address_line2", "city", "region", "postal_code", "country",
    "addresses_held", "latent_risk", "pd_12m", "default_12m",
)  # fmt: skip
ENTERPRISE_TRUTH_COLUMNS = (
    "subject_id", "legal_name", "cn_uscc", "registration_date", "registration_authority",
    "industry_code", "legal_rep_subject_id", "size_class", "address_line1", "address_line2",
    "city", "region", "postal_code", "country", "phone", "latent_risk", "pd_12m", "default_12m",
)  # fmt: skip
REGISTRY_COLUMNS = (
    "cn_uscc", "legal_name", "registration_date", "registration_authority", "industry_code",
    "legal_representative", "address_line1", "city", "region", "postal_code",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FileSummary:
    """One furnisher file: what it holds and how many records should fail."""

    path: str
    furnisher_id: str
    format: str
    record_kind: str
    month: str
    records: int
    expected_rejects: int


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What a run produced; also written to ``truth/summary.json``."""

    seed: int
    persons: int
    enterprises: int
    observation_date: str
    months: tuple[str, ...]
    files: tuple[FileSummary, ...]
    accounts: int
    public_records: int
    expected_rejects: int
    by_format: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_furnisher: dict[str, int] = field(default_factory=dict)
    rejects_by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return self.accounts + self.public_records

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _TextTable:
    """A truth CSV written row by row."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(self.columns)

    def write(self, row: Record) -> None:
        self._writer.writerow(["" if row.get(c) is None else row[c] for c in self.columns])

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class Output:
    """Open files of one run, created lazily as records arrive."""

    def __init__(self, root: Path, formats: Sequence[str]) -> None:
        self.root = root
        self.formats = tuple(formats)
        (root / "truth").mkdir(parents=True, exist_ok=True)
        (root / "registry").mkdir(parents=True, exist_ok=True)
        self._sinks: dict[tuple[str, int], tuple[Sink, FileSummary]] = {}
        self._rejects: Counter[str] = Counter()
        self._reject_rules: Counter[str] = Counter()
        self.persons = _TextTable(root / "truth" / "persons.csv", PERSON_TRUTH_COLUMNS)
        self.enterprises = _TextTable(root / "truth" / "enterprises.csv", ENTERPRISE_TRUTH_COLUMNS)
        self.registry = _TextTable(root / "registry" / "enterprises.csv", REGISTRY_COLUMNS)
        self.truth = _TextTable(root / "truth" / "records.csv", TRUTH_RECORD_COLUMNS)
        self.rejects = _TextTable(root / "truth" / "rejects.csv", TRUTH_RECORD_COLUMNS)

    def _sink(self, furnisher: Furnisher, mi: int) -> tuple[Sink, FileSummary]:
        key = (furnisher.furnisher_id, mi)
        found = self._sinks.get(key)
        if found is not None:
            return found
        fmt = furnisher.choose_format(self.formats)
        month = f"{month_start(mi):%Y-%m}"
        folder = self.root / "furnishers" / furnisher.furnisher_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{month}.{EXTENSIONS[fmt]}"
        sink: Sink
        if fmt == "metro2":
            from xinyong.synth.metro2_out import Metro2Sink

            sink = Metro2Sink(path, furnisher, month_start(mi))
        else:
            columns = columns_for(furnisher)
            sink = open_sink(fmt, path, columns, INTEGER_FIELDS, furnisher.habits.omit_nulls)
        rel = path.relative_to(self.root).as_posix()
        summary = FileSummary(rel, furnisher.furnisher_id, fmt, furnisher.record_kind, month, 0, 0)
        self._sinks[key] = (sink, summary)
        return sink, summary

    def emit(
        self,
        furnisher: Furnisher,
        mi: int,
        record: Record,
        subject_id: str,
        tags: Sequence[str],
        reject: tuple[str, str] | None,
    ) -> None:
        """Write a furnished record and its line in the truth mapping."""
        sink, summary = self._sink(furnisher, mi)
        record_no = sink.write(record)
        account = record["record_kind"] == "account"
        row = {
            "file": summary.path,
            "record_no": record_no,
            "furnisher_id": furnisher.furnisher_id,
            "record_kind": record["record_kind"],
            "record_key": record["account_number"] if account else record["record_ref"],
            "month": summary.month,
            "true_subject_id": subject_id,
            "expect": "reject" if reject else "accept",
            "rule": reject[0] if reject else None,
            "field": reject[1] if reject else None,
            "dirt": ";".join(tags) or None,
        }
        self.truth.write(row)
        if reject:
            self.rejects.write(row)
            self._rejects[summary.path] += 1
            self._reject_rules[reject[0]] += 1

    def end_chunk(self) -> None:
        for sink, _ in self._sinks.values():
            sink.end_chunk()
        for table in (self.persons, self.enterprises, self.registry, self.truth, self.rejects):
            table.flush()

    @property
    def buffered_rows(self) -> int:
        """Rows held in memory by all writers (zero right after a chunk)."""
        return sum(getattr(sink, "buffered", 0) for sink, _ in self._sinks.values())

    def close(
        self, seed: int, persons: int, enterprises: int, observation: str, months: Sequence[int]
    ) -> SynthSummary:
        """Close every file and write the manifest and the summary."""
        files: list[FileSummary] = []
        for key in sorted(self._sinks):
            sink, summary = self._sinks[key]
            sink.close()
            files.append(
                FileSummary(
                    summary.path,
                    summary.furnisher_id,
                    summary.format,
                    summary.record_kind,
                    summary.month,
                    sink.records,
                    self._rejects[summary.path],
                )
            )
        for table in (self.persons, self.enterprises, self.registry, self.truth, self.rejects):
            table.close()
        by_format: Counter[str] = Counter()
        by_kind: Counter[str] = Counter()
        by_furnisher: Counter[str] = Counter()
        for f in files:
            by_format[f.format] += f.records
            by_kind[f.record_kind] += f.records
            by_furnisher[f.furnisher_id] += f.records
        result = SynthSummary(
            seed=seed,
            persons=persons,
            enterprises=enterprises,
            observation_date=observation,
            months=tuple(f"{month_start(mi):%Y-%m}" for mi in months),
            files=tuple(files),
            accounts=by_kind["account"],
            public_records=by_kind["public_record"],
            expected_rejects=sum(self._rejects.values()),
            by_format=dict(sorted(by_format.items())),
            by_kind=dict(sorted(by_kind.items())),
            by_furnisher=dict(sorted(by_furnisher.items())),
            rejects_by_rule=dict(sorted(self._reject_rules.items())),
        )
        self._write_json(self.root / "truth" / "summary.json", result.to_dict())
        manifest = {
            "observation_date": observation,
            "files": [
                {
                    k: getattr(f, k)
                    for k in ("path", "furnisher_id", "format", "record_kind", "month", "records")
                }
                for f in files
            ],
            "registry": ["registry/enterprises.csv"],
        }
        self._write_json(self.root / "manifest.json", manifest)
        organisations = [
            {"org_id": f.furnisher_id, "name": f.name, "kind": f.kind, "country": f.country,
             "roles": ["furnisher"], "currency": f.currency}
            for f in FURNISHERS
        ]  # fmt: skip
        self._write_json(self.root / "furnishers.json", organisations)
        return result

    @staticmethod
    def _write_json(path: Path, payload: Any) -> None:
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
