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

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from xinyong.synth.furnishers import FURNISHERS, Furnisher
from xinyong.synth.records import INTEGER_FIELDS, Row, columns_for
from xinyong.synth.rng import month_start
from xinyong.synth.sinks import (
    EXTENSIONS,
    BytesWriter,
    CsvEncoder,
    Encoder,
    JsonlEncoder,
    ParquetEncoder,
    ParquetWriter,
    Writer,
    csv_bytes,
    parquet_schema,
)

FURNISHERS_BY_ID = {f.furnisher_id: f for f in FURNISHERS}

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


@lru_cache(maxsize=1 << 12)
def month_text(mi: int) -> str:
    """``YYYY-MM`` of month index ``mi``, as file names and the truth write it."""
    return f"{month_start(mi):%Y-%m}"


def file_path(furnisher: Furnisher, fmt: str, mi: int) -> str:
    """The file of ``furnisher``'s records of month ``mi``, relative to the output folder."""
    return f"furnishers/{furnisher.furnisher_id}/{month_text(mi)}.{EXTENSIONS[fmt]}"


class _Part:
    """One furnisher file's records within one chunk."""

    __slots__ = ("fmt", "furnisher", "mi", "path", "rows")

    def __init__(self, furnisher: Furnisher, mi: int, fmt: str) -> None:
        self.furnisher = furnisher
        self.mi = mi
        self.fmt = fmt
        self.path = file_path(furnisher, fmt, mi)
        self.rows: list[Row] = []


@dataclass(slots=True)
class ChunkResult:
    """One chunk of subjects, encoded: what the output folder appends.

    ``files`` lists the chunk's part of every furnisher file it touches, in
    the order the chunk first wrote to them. The records' lines of the truth
    mapping are held without their file and record number, which depend on
    earlier chunks: ``truth_files[i]`` indexes ``files`` and ``truth_tails[i]``
    is the rest of the line; ``rejects`` are the indices of expected rejects.
    """

    subjects: int
    persons: bytes
    enterprises: bytes
    registry: bytes
    files: list[tuple[str, int, str, str, int, Any]]  # furnisher, month, format, path, n, payload
    truth_files: list[int]
    truth_tails: list[str]
    rejects: list[int]
    reject_rules: list[str]


class ChunkBuilder:
    """Collects one chunk's records and truth rows, then encodes them."""

    def __init__(self, formats: Sequence[str]) -> None:
        self.formats = tuple(formats)
        self.persons: list[Sequence[Any]] = []
        self.enterprises: list[Sequence[Any]] = []
        self.registry: list[Sequence[Any]] = []
        self._parts: dict[tuple[str, int], int] = {}
        self._files: list[_Part] = []
        self._truth_files: list[int] = []
        self._truth_tails: list[str] = []
        self._rejects: list[int] = []
        self._reject_rules: list[str] = []

    def _part(self, furnisher: Furnisher, mi: int) -> int:
        key = (furnisher.furnisher_id, mi)
        index = self._parts.get(key)
        if index is None:
            index = self._parts[key] = len(self._files)
            fmt = furnisher.choose_format(self.formats)
            self._files.append(_Part(furnisher, mi, fmt))
        return index

    def emit(
        self,
        furnisher: Furnisher,
        mi: int,
        row: Row,
        subject_id: str,
        tags: Sequence[str],
        reject: tuple[str, str] | None,
    ) -> None:
        """Add a furnished record and its line of the truth mapping."""
        index = self._parts.get((furnisher.furnisher_id, mi))
        if index is None:
            index = self._part(furnisher, mi)
        self._files[index].rows.append(row)
        dirt = ";".join(tags)
        if reject is None:
            tail = (f",{furnisher.furnisher_id},{row[0]},{row[1]},{month_text(mi)},{subject_id}"
                    f",accept,,,{dirt}\n")  # fmt: skip
        else:
            self._rejects.append(len(self._truth_tails))
            self._reject_rules.append(reject[0])
            tail = (f",{furnisher.furnisher_id},{row[0]},{row[1]},{month_text(mi)},{subject_id}"
                    f",reject,{reject[0]},{reject[1]},{dirt}\n")  # fmt: skip
        self._truth_files.append(index)
        self._truth_tails.append(tail)

    def parts(self) -> list[tuple[Furnisher, int, str, list[Row]]]:
        """(furnisher, month, format, rows) of every file the chunk has written to."""
        return [(part.furnisher, part.mi, part.fmt, part.rows) for part in self._files]

    def finish(self, subjects: int, encoders: Encoders) -> ChunkResult:
        files = []
        for part in self._files:
            encoder = encoders.get(part.furnisher, part.fmt)
            files.append((part.furnisher.furnisher_id, part.mi, part.fmt, part.path,
                          len(part.rows), encoder.encode(part.rows)))  # fmt: skip
        return ChunkResult(
            subjects=subjects,
            persons=csv_bytes(self.persons),
            enterprises=csv_bytes(self.enterprises),
            registry=csv_bytes(self.registry),
            files=files,
            truth_files=self._truth_files,
            truth_tails=self._truth_tails,
            rejects=self._rejects,
            reject_rules=self._reject_rules,
        )


class Encoders:
    """The encoder of every furnisher and format, made on first use."""

    def __init__(self) -> None:
        self._made: dict[tuple[str, str], Encoder] = {}

    def get(self, furnisher: Furnisher, fmt: str) -> Encoder:
        key = (furnisher.furnisher_id, fmt)
        encoder = self._made.get(key)
        if encoder is None:
            encoder = self._made[key] = make_encoder(furnisher, fmt)
        return encoder


def make_encoder(furnisher: Furnisher, fmt: str) -> Encoder:
    """The encoder of ``furnisher``'s files in format ``fmt``."""
    if fmt == "metro2":
        from xinyong.synth.metro2_out import BaseEncoder

        return BaseEncoder(furnisher)
    columns = columns_for(furnisher)
    kind = furnisher.record_kind
    if fmt == "csv":
        return CsvEncoder(columns, kind)
    if fmt == "jsonl":
        return JsonlEncoder(columns, kind, furnisher.habits.omit_nulls)
    if fmt == "parquet":
        return ParquetEncoder(columns, kind, INTEGER_FIELDS)
    raise ValueError(f"no encoder for format {fmt!r}")


def _open_writer(root: Path, furnisher: Furnisher, mi: int, fmt: str, path: str) -> Writer:
    full = root / path
    full.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "metro2":
        from xinyong.synth.metro2_out import Metro2Writer

        return Metro2Writer(full, furnisher, month_start(mi))
    columns = columns_for(furnisher)
    if fmt == "csv":
        return BytesWriter(full, CsvEncoder(columns, furnisher.record_kind).header())
    if fmt == "jsonl":
        return BytesWriter(full)
    return ParquetWriter(full, parquet_schema(columns, INTEGER_FIELDS))


class Output:
    """The output folder: furnisher files created as chunks first write to
    them, the truth files, and the counts for the manifest and the summary."""

    def __init__(self, root: Path, formats: Sequence[str]) -> None:
        self.root = root
        self.formats = tuple(formats)
        (root / "truth").mkdir(parents=True, exist_ok=True)
        (root / "registry").mkdir(parents=True, exist_ok=True)
        self._writers: dict[tuple[str, int], tuple[Writer, FileSummary]] = {}
        self._heads: dict[tuple[str, int], str] = {}
        self._numbers: dict[tuple[str, int], int] = {}
        self._rejects: Counter[str] = Counter()
        self._reject_rules: Counter[str] = Counter()
        self._tables: dict[str, IO[bytes]] = {}
        for name, columns in (
            ("truth/persons.csv", PERSON_TRUTH_COLUMNS),
            ("truth/enterprises.csv", ENTERPRISE_TRUTH_COLUMNS),
            ("registry/enterprises.csv", REGISTRY_COLUMNS),
            ("truth/records.csv", TRUTH_RECORD_COLUMNS),
            ("truth/rejects.csv", TRUTH_RECORD_COLUMNS),
        ):
            handle = (root / name).open("wb")
            handle.write(csv_bytes([columns]))
            self._tables[name] = handle

    def write_chunk(self, chunk: ChunkResult) -> None:
        """Append one chunk to every file it touches, in order."""
        tables = self._tables
        tables["truth/persons.csv"].write(chunk.persons)
        tables["truth/enterprises.csv"].write(chunk.enterprises)
        tables["registry/enterprises.csv"].write(chunk.registry)
        keys: list[tuple[str, int]] = []
        for furnisher_id, mi, fmt, path, records, payload in chunk.files:
            key = (furnisher_id, mi)
            keys.append(key)
            if key not in self._writers:
                furnisher = FURNISHERS_BY_ID[furnisher_id]
                writer = _open_writer(self.root, furnisher, mi, fmt, path)
                summary = FileSummary(path, furnisher_id, fmt, furnisher.record_kind,
                                      month_text(mi), 0, 0)  # fmt: skip
                self._writers[key] = (writer, summary)
                self._heads[key] = f"{path},"
                self._numbers[key] = 0
            self._writers[key][0].append(payload, records)
        # The truth mapping: each line gets its file and its record number.
        heads = [self._heads[key] for key in keys]
        numbers = [self._numbers[key] for key in keys]
        lines = []
        for index, tail in zip(chunk.truth_files, chunk.truth_tails, strict=True):
            number = numbers[index] + 1
            numbers[index] = number
            lines.append(f"{heads[index]}{number}{tail}")
        for key, number in zip(keys, numbers, strict=True):
            self._numbers[key] = number
        tables["truth/records.csv"].write("".join(lines).encode("utf-8"))
        if chunk.rejects:
            tables["truth/rejects.csv"].write(
                "".join(lines[i] for i in chunk.rejects).encode("utf-8")
            )
            for i in chunk.rejects:
                self._rejects[chunk.files[chunk.truth_files[i]][3]] += 1
            self._reject_rules.update(chunk.reject_rules)
        for writer, _ in self._writers.values():
            writer.flush()
        for handle in tables.values():
            handle.flush()

    def close(
        self, seed: int, persons: int, enterprises: int, observation: str, months: Sequence[int]
    ) -> SynthSummary:
        """Close every file and write the manifest and the summary."""
        files: list[FileSummary] = []
        for key in sorted(self._writers):
            sink, summary = self._writers[key]
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
        for handle in self._tables.values():
            handle.close()
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
             "roles": ["furnisher"], "currency": f.currency, "address": f.address,
             "telephone": f.telephone}
            for f in FURNISHERS
        ]  # fmt: skip
        self._write_json(self.root / "furnishers.json", organisations)
        return result

    @staticmethod
    def _write_json(path: Path, payload: Any) -> None:
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
