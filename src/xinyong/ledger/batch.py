"""What the ledger knows about one submitted file: the batch manifest.

A manifest is written once, beside the batch's Parquet files, and never
changed. It is the ledger's record that a furnisher sent these bytes (by their
SHA-256), when, in which format, how many records came in, how many were kept
and how many were rejected, and whether the bytes had been sent before.

Everything here is pure: ids, hashes and JSON are computed, nothing is read or
written. The store (``xinyong.ledger.store``) does the I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from xinyong import __version__

MANIFEST_VERSION = 1

#: ``b`` + UTC instant to the microsecond + ``-`` + 8 random hex digits. Fixed
#: width, so the string order is the time order: supersession ("a later record
#: for the same key wins") can compare batch ids directly, in any SQL engine.
BATCH_ID_RE = re.compile(r"^b\d{8}T\d{12}Z-[0-9a-f]{8}$")
_BATCH_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
#: Table names become file names and SQL view names: keep them plain.
TABLE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class BatchFormat(StrEnum):
    """The furnisher file formats that ingest understands."""

    METRO2 = "metro2"
    METRO2_PACKED = "metro2_packed"
    CSV = "csv"
    JSONL = "jsonl"
    PARQUET = "parquet"
    UNKNOWN = "unknown"
    """Only for a refused file whose content matched no format."""


class BatchStatus(StrEnum):
    """What became of a submitted file.

    ``stored``: its accepted records are in the ledger. ``duplicate``: the same
    bytes were stored before (``duplicate_of``); nothing new is kept.
    ``rejected``: the file as a whole was refused (e.g. unreadable header).
    """

    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class RecordCounts:
    """Counts for one record kind of a batch; they must reconcile.

    Every input record ends in exactly one place (the ledger or the reject
    table), so ``received == accepted + rejected`` is checked, not trusted.
    """

    received: int
    accepted: int
    rejected: int

    def __post_init__(self) -> None:
        for name in ("received", "accepted", "rejected"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if self.received != self.accepted + self.rejected:
            raise ValueError(
                f"counts do not reconcile: received {self.received} != "
                f"accepted {self.accepted} + rejected {self.rejected}"
            )


@dataclass(frozen=True, slots=True)
class TableFile:
    """One stored Parquet file of a batch: its row count and its SHA-256.

    The digest lets ``Ledger.verify`` prove offline that no stored file was
    altered after it was written.
    """

    rows: int
    sha256: str

    def __post_init__(self) -> None:
        if isinstance(self.rows, bool) or not isinstance(self.rows, int) or self.rows < 0:
            raise ValueError(f"rows must be a non-negative integer, got {self.rows!r}")
        check_sha256(self.sha256, "table file sha256")


def table_file_name(table: str) -> str:
    """The file name of a record table inside a batch folder."""
    return f"{check_table_name(table)}.parquet"


@dataclass(frozen=True, slots=True)
class BatchManifest:
    """The immutable description of one submitted file and what was kept of it.

    ``received_at`` is when ingest received the file; ``stored_at`` is when the
    ledger committed it and is the instant encoded in ``batch_id``, so batch
    order is storage order. ``counts`` are per record kind (as ingest counts
    them); ``tables`` are the Parquet files actually stored (a table may hold
    derived rows, such as monthly history, so its row count need not equal a
    record count).
    """

    batch_id: str
    furnisher_id: str
    received_at: datetime
    stored_at: datetime
    content_hash: str
    format: BatchFormat
    status: BatchStatus
    counts: Mapping[str, RecordCounts] = field(default_factory=dict, hash=False)
    tables: Mapping[str, TableFile] = field(default_factory=dict, hash=False)
    duplicate_of: str | None = None
    source_name: str | None = None
    reason: str | None = None
    xinyong_version: str = __version__

    def __post_init__(self) -> None:
        check_batch_id(self.batch_id)
        if not self.furnisher_id or self.furnisher_id != self.furnisher_id.strip():
            raise ValueError(f"furnisher_id must be a non-blank string, got {self.furnisher_id!r}")
        check_sha256(self.content_hash, "content_hash")
        for name in ("received_at", "stored_at"):
            _check_aware(getattr(self, name), name)
            object.__setattr__(self, name, getattr(self, name).astimezone(UTC))
        object.__setattr__(self, "format", BatchFormat(self.format))
        object.__setattr__(self, "status", BatchStatus(self.status))
        for kind, value in self.counts.items():
            if not isinstance(value, RecordCounts):
                raise TypeError(f"counts[{kind!r}] must be RecordCounts, got {type(value)}")
        for table, stored in self.tables.items():
            check_table_name(table)
            if not isinstance(stored, TableFile):
                raise TypeError(f"tables[{table!r}] must be TableFile, got {type(stored)}")
        # Read-only, key-sorted copies: the manifest cannot be changed through
        # a mapping the caller still holds.
        object.__setattr__(self, "counts", _frozen(self.counts))
        object.__setattr__(self, "tables", _frozen(self.tables))
        if self.status is BatchStatus.DUPLICATE:
            if self.duplicate_of is None:
                raise ValueError("a duplicate manifest must name the batch it duplicates")
            check_batch_id(self.duplicate_of)
        elif self.duplicate_of is not None:
            raise ValueError(f"duplicate_of is only for duplicates, status is {self.status}")
        if self.status is not BatchStatus.STORED and self.tables:
            raise ValueError(f"a {self.status} batch stores no tables")

    @property
    def records_received(self) -> int:
        """Total over record kinds (the ``LedgerBatch`` column of the data model)."""
        return sum(c.received for c in self.counts.values())

    @property
    def records_accepted(self) -> int:
        """Total accepted over record kinds."""
        return sum(c.accepted for c in self.counts.values())

    @property
    def records_rejected(self) -> int:
        """Total rejected over record kinds."""
        return sum(c.rejected for c in self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values; instants as ISO 8601 UTC with ``Z``."""
        return {
            "manifest_version": MANIFEST_VERSION,
            "batch_id": self.batch_id,
            "furnisher_id": self.furnisher_id,
            "received_at": _iso(self.received_at),
            "stored_at": _iso(self.stored_at),
            "content_hash": self.content_hash,
            "format": self.format.value,
            "status": self.status.value,
            "duplicate_of": self.duplicate_of,
            "source_name": self.source_name,
            "reason": self.reason,
            "xinyong_version": self.xinyong_version,
            "counts": {
                kind: {"received": c.received, "accepted": c.accepted, "rejected": c.rejected}
                for kind, c in self.counts.items()
            },
            "tables": {
                name: {"file": table_file_name(name), "rows": t.rows, "sha256": t.sha256}
                for name, t in self.tables.items()
            },
        }

    def to_json(self) -> str:
        """Stable JSON text (sorted keys), so equal manifests have equal bytes."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchManifest:
        """Inverse of ``to_dict``; refuses manifests from a newer layout."""
        version = data.get("manifest_version")
        if version != MANIFEST_VERSION:
            raise ValueError(f"unsupported manifest_version {version!r}")
        return cls(
            batch_id=data["batch_id"],
            furnisher_id=data["furnisher_id"],
            received_at=_parse_iso(data["received_at"]),
            stored_at=_parse_iso(data["stored_at"]),
            content_hash=data["content_hash"],
            format=BatchFormat(data["format"]),
            status=BatchStatus(data["status"]),
            counts={k: RecordCounts(**v) for k, v in data.get("counts", {}).items()},
            tables={
                k: TableFile(rows=v["rows"], sha256=v["sha256"])
                for k, v in data.get("tables", {}).items()
            },
            duplicate_of=data.get("duplicate_of"),
            source_name=data.get("source_name"),
            reason=data.get("reason"),
            xinyong_version=data["xinyong_version"],
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> BatchManifest:
        """Parse a ``manifest.json``."""
        return cls.from_dict(json.loads(text))


def content_hash(data: bytes) -> str:
    """SHA-256 hex of a submitted file's bytes: the key that finds resubmissions."""
    return hashlib.sha256(data).hexdigest()


def make_batch_id(at: datetime, suffix: str) -> str:
    """A batch id for the instant ``at`` (UTC) with a random ``suffix`` (8 hex)."""
    _check_aware(at, "at")
    return check_batch_id(f"b{at.astimezone(UTC).strftime(_BATCH_TIME_FORMAT)}-{suffix}")


def batch_id_time(batch_id: str) -> datetime:
    """The UTC instant encoded in a batch id."""
    stamp = check_batch_id(batch_id)[1:].split("-", 1)[0]
    return datetime.strptime(stamp, _BATCH_TIME_FORMAT).replace(tzinfo=UTC)


def next_batch_time(now: datetime, last_batch_id: str | None) -> datetime:
    """The instant for a new batch: ``now``, but strictly after the last batch.

    Batch order must be storage order even if the wall clock steps back (NTP),
    or a snapshot would stop being a prefix of the batch sequence.
    """
    _check_aware(now, "now")
    now = now.astimezone(UTC)
    if last_batch_id is None:
        return now
    floor = batch_id_time(last_batch_id) + timedelta(microseconds=1)
    return max(now, floor)


def snapshot_id_of(batch_ids: Iterable[str]) -> str:
    """Deterministic id of a set of stored batches: SHA-256 over the sorted ids.

    A score records this id; together with the model version it reproduces the
    score, because the batches it names never change.
    """
    digest = hashlib.sha256()
    for batch_id in sorted(batch_ids):
        digest.update(check_batch_id(batch_id).encode("ascii") + b"\n")
    return digest.hexdigest()


def check_batch_id(batch_id: str) -> str:
    """Return ``batch_id`` if well formed; ids become folder names, so no others."""
    if not isinstance(batch_id, str) or not BATCH_ID_RE.match(batch_id):
        raise ValueError(f"malformed batch id {batch_id!r}")
    return batch_id


def check_sha256(value: str, what: str = "hash") -> str:
    """Return ``value`` if it is 64 lowercase hex digits."""
    if not isinstance(value, str) or not SHA256_RE.match(value):
        raise ValueError(f"{what} must be 64 lowercase hex digits (SHA-256), got {value!r}")
    return value


def check_table_name(table: str) -> str:
    """Return ``table`` if usable as a file name and an unquoted SQL identifier."""
    if not isinstance(table, str) or not TABLE_NAME_RE.match(table):
        raise ValueError(f"table name must match {TABLE_NAME_RE.pattern}, got {table!r}")
    return table


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType({k: mapping[k] for k in sorted(mapping)})


def _check_aware(value: datetime, what: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse_iso(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError(f"instant without timezone in manifest: {text!r}")
    return parsed.astimezone(UTC)
