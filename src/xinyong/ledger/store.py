"""The ledger on disk: append-only Parquet batches, one folder per batch.

Layout under ``root``::

    .lock                              exclusive lock of writers (fcntl.flock)
    batches/<batch_id>/manifest.json   every submitted file, stored or not
    batches/<batch_id>/<table>.parquet stored batches only; files 0444, folder 0555
    batches/.tmp-<batch_id>/           a batch being written; readers ignore it
    index/sha256/<content_hash>        the stored batch id with those bytes

A batch becomes visible by one ``os.rename`` of its complete, fsynced temp
folder, so a crash leaves either the whole batch or nothing visible; the
leftover temp folder is removed by ``recover``. There is no API that changes
or deletes a stored batch: corrections are new records in later batches.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from xinyong.ledger.batch import (
    BATCH_ID_RE,
    BatchFormat,
    BatchManifest,
    BatchStatus,
    RecordCounts,
    TableFile,
    batch_id_time,
    check_batch_id,
    check_sha256,
    check_table_name,
    make_batch_id,
    next_batch_time,
    snapshot_id_of,
    table_file_name,
)
from xinyong.ledger.errors import BatchNotFoundError, UnknownSnapshotError
from xinyong.ledger.fsio import (
    READ_ONLY_DIR,
    finish_parquet,
    fsync_dir,
    sha256_file,
    write_file,
    write_parquet,
)
from xinyong.ledger.provenance import parquet_metadata, stamp_metadata, with_provenance
from xinyong.ledger.stream import StreamWriter, TableStream, stamper

MANIFEST_NAME = "manifest.json"
TMP_PREFIX = ".tmp-"


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What ``Ledger.recover`` cleaned up after a crash."""

    removed_temp: tuple[str, ...]
    index_added: int
    index_removed: int


class Ledger:
    """Append-only store of furnished records, one immutable folder per batch.

    Readers take no lock: a batch folder appears whole or not at all. Writers
    hold ``root/.lock`` for the whole check-and-write, so two processes given
    the same bytes store them once, and batch ids (which encode the storage
    instant) are handed out in the order batches become visible, which keeps
    every snapshot a prefix of the batch sequence.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._manifests: dict[str, BatchManifest] = {}

    def __repr__(self) -> str:
        return f"Ledger({str(self.root)!r})"

    @property
    def batches_dir(self) -> Path:
        return self.root / "batches"

    @property
    def index_dir(self) -> Path:
        return self.root / "index" / "sha256"

    # -- writing -------------------------------------------------------------

    def write_batch(
        self,
        furnisher_id: str,
        content_hash: str,
        format: BatchFormat | str,
        tables: Mapping[str, pa.Table] | TableStream,
        counts: Mapping[str, RecordCounts] | Callable[[], Mapping[str, RecordCounts]],
        source_name: str | None = None,
        received_at: datetime | None = None,
    ) -> BatchManifest:
        """Store a batch's record tables, or record it as a duplicate.

        If a stored batch already has ``content_hash``, a manifest with status
        ``duplicate`` pointing at it is recorded and nothing else is written
        (a stream is then not read at all). Otherwise each table becomes
        ``<name>.parquet`` with provenance columns and metadata, and the
        batch appears atomically.

        ``tables`` may be a :class:`TableStream`, whose pieces are appended
        to the files as they come, in bounded memory; ``counts`` is then a
        function, called once the stream is exhausted (the counts are only
        known then), and checked before the batch appears. An exception from
        the stream leaves the ledger as it was and propagates.
        """
        fmt = BatchFormat(format)
        check_sha256(content_hash, "content_hash")
        streamed = isinstance(tables, TableStream)
        if not isinstance(tables, TableStream):
            for name, table in tables.items():
                check_table_name(name)
                if not isinstance(table, pa.Table):
                    raise TypeError(f"tables[{name!r}] must be a pyarrow.Table, got {type(table)}")
        if streamed != callable(counts):
            raise TypeError("counts must be a function exactly when tables is a TableStream")
        received = None if received_at is None else _utc(received_at)
        with self._locked():
            original = self._find_stored(content_hash)
            batch_id = self._new_batch_id()
            base = BatchManifest(
                batch_id=batch_id,
                furnisher_id=furnisher_id,
                received_at=batch_id_time(batch_id) if received is None else received,
                stored_at=batch_id_time(batch_id),
                content_hash=content_hash,
                format=fmt,
                status=BatchStatus.STORED,
                counts={} if callable(counts) else counts,
                source_name=source_name,
            )  # validated before any file is written
            if original is not None:
                duplicate = replace(
                    base, status=BatchStatus.DUPLICATE, duplicate_of=original.batch_id
                )
                return self._publish(batch_id, lambda _tmp: duplicate, index_hash=None)

            def metadata(name: str) -> dict[bytes, bytes]:
                return parquet_metadata(
                    table=name,
                    batch_id=batch_id,
                    furnisher_id=furnisher_id,
                    content_hash=content_hash,
                    format=fmt,
                )

            if isinstance(tables, TableStream):
                stream = tables
                assert callable(counts)
                count_of = counts

                def build_stream(tmp: Path) -> BatchManifest:
                    writer = StreamWriter(
                        tmp,
                        stream.schemas,
                        stamper(batch_id, furnisher_id, metadata),
                        table_file_name,
                        finish_parquet,
                    )
                    try:
                        for name, rows in stream.pieces:
                            writer.write(name, rows)
                        files = writer.close(stream.always)
                    except BaseException:
                        writer.abort()
                        raise
                    return replace(base, counts=dict(count_of()), tables=files)

                return self._publish(batch_id, build_stream, index_hash=content_hash)

            def build(tmp: Path) -> BatchManifest:
                files: dict[str, TableFile] = {}
                for name in sorted(tables):
                    stamped = stamp_metadata(
                        with_provenance(tables[name], batch_id=batch_id, furnisher_id=furnisher_id),
                        parquet_metadata(
                            table=name,
                            batch_id=batch_id,
                            furnisher_id=furnisher_id,
                            content_hash=content_hash,
                            format=fmt,
                        ),
                    )
                    path = tmp / table_file_name(name)
                    write_parquet(path, stamped)
                    files[name] = TableFile(rows=stamped.num_rows, sha256=sha256_file(path))
                return replace(base, tables=files)

            return self._publish(batch_id, build, index_hash=content_hash)

    def reject_batch(
        self,
        furnisher_id: str,
        content_hash: str,
        format: BatchFormat | str,
        counts: Mapping[str, RecordCounts],
        reason: str,
        source_name: str | None = None,
        received_at: datetime | None = None,
    ) -> BatchManifest:
        """Record that a submitted file was refused as a whole, and why.

        The manifest keeps the refusal visible to the furnisher and the
        operator; it stores no records and does not block a later resubmission
        of the same bytes (they would be refused again, and recorded again).
        """
        fmt = BatchFormat(format)
        received = None if received_at is None else _utc(received_at)
        with self._locked():
            batch_id = self._new_batch_id()
            manifest = BatchManifest(
                batch_id=batch_id,
                furnisher_id=furnisher_id,
                received_at=batch_id_time(batch_id) if received is None else received,
                stored_at=batch_id_time(batch_id),
                content_hash=content_hash,
                format=fmt,
                status=BatchStatus.REJECTED,
                counts=dict(counts),
                source_name=source_name,
                reason=reason,
            )
            return self._publish(batch_id, lambda _tmp: manifest, index_hash=None)

    def recover(self) -> RecoveryReport:
        """Clean up after a crashed writer: temp folders, index, folder modes.

        Safe at any time: it takes the writers' lock, so it never touches a
        batch that another process is still writing.
        """
        if not self.root.exists():
            return RecoveryReport((), 0, 0)
        with self._locked():
            removed = []
            for entry in sorted(os.scandir(self.batches_dir), key=lambda e: e.name):
                if entry.name.startswith(TMP_PREFIX):
                    shutil.rmtree(entry.path)
                    removed.append(entry.name)
                elif (
                    BATCH_ID_RE.match(entry.name)
                    and os.stat(entry.path).st_mode & 0o777 != READ_ONLY_DIR
                ):
                    # A crash between rename and chmod leaves a writable folder.
                    os.chmod(entry.path, READ_ONLY_DIR)
            for entry in os.scandir(self.index_dir):
                if entry.name.startswith(TMP_PREFIX):
                    os.unlink(entry.path)
            added, dropped = self._repair_index()
            fsync_dir(self.batches_dir)
            return RecoveryReport(tuple(removed), added, dropped)

    # -- reading -------------------------------------------------------------

    def batches(self) -> list[BatchManifest]:
        """Every visible manifest (stored, duplicate, rejected) in batch order."""
        return [self.get(batch_id) for batch_id in self._batch_ids()]

    def stored(self, snapshot_id: str | None = None) -> list[BatchManifest]:
        """The stored batches, all or those of a snapshot, in batch order."""
        if snapshot_id is not None:
            return self.as_of_snapshot(snapshot_id)
        return [m for m in self.batches() if m.status is BatchStatus.STORED]

    def get(self, batch_id: str) -> BatchManifest:
        """The manifest of a visible batch; ``BatchNotFoundError`` otherwise."""
        check_batch_id(batch_id)
        cached = self._manifests.get(batch_id)
        if cached is not None:
            return cached
        path = self.batches_dir / batch_id / MANIFEST_NAME
        try:
            manifest = BatchManifest.from_json(path.read_bytes())
        except FileNotFoundError:
            raise BatchNotFoundError(f"no batch {batch_id} in {self.root}") from None
        if manifest.batch_id != batch_id:
            raise ValueError(f"{path} names batch {manifest.batch_id}")
        self._manifests[batch_id] = manifest  # safe to cache: never changes
        return manifest

    def find_by_hash(self, content_hash: str) -> BatchManifest | None:
        """The stored batch with these file bytes, if any (not duplicates)."""
        return self._find_stored(check_sha256(content_hash, "content_hash"))

    def tables(self, snapshot_id: str | None = None) -> list[str]:
        """Names of the record tables present in the stored batches."""
        return sorted({name for m in self.stored(snapshot_id) for name in m.tables})

    def paths(self, table: str, snapshot_id: str | None = None) -> list[Path]:
        """Every stored Parquet file of ``table``, in batch order."""
        check_table_name(table)
        return [
            self.batches_dir / m.batch_id / table_file_name(table)
            for m in self.stored(snapshot_id)
            if table in m.tables
        ]

    def snapshot_id(self, as_of: datetime | None = None) -> str:
        """Deterministic id of the stored batches (as of an instant, if given).

        Duplicates and rejections do not change it: they add no records.
        """
        batches = self.stored()
        if as_of is not None:
            at = _utc(as_of)
            batches = [m for m in batches if m.stored_at <= at]
        return snapshot_id_of(m.batch_id for m in batches)

    def as_of_snapshot(self, snapshot_id: str) -> list[BatchManifest]:
        """The stored batches that made up ``snapshot_id``, in batch order.

        Batches are only ever appended, in id order, so every snapshot is a
        prefix of today's stored batches; the prefix is found by hashing.
        """
        stored = self.stored()
        digest = hashlib.sha256()
        if digest.hexdigest() == snapshot_id:
            return []
        for n, manifest in enumerate(stored, start=1):
            digest.update(manifest.batch_id.encode("ascii") + b"\n")
            if digest.hexdigest() == snapshot_id:
                return stored[:n]
        raise UnknownSnapshotError(f"snapshot {snapshot_id!r} is not a state of {self.root}")

    def as_of(self, at: datetime) -> list[BatchManifest]:
        """The stored batches that were visible at instant ``at``."""
        when = _utc(at)
        return [m for m in self.stored() if m.stored_at <= when]

    def verify(self) -> list[str]:
        """Problems found re-hashing every stored file; empty means intact.

        A regulator (or a score reproduction) can run this to show the data
        behind a snapshot is byte-for-byte what was stored.
        """
        problems = []
        for manifest in self.stored():
            folder = self.batches_dir / manifest.batch_id
            for name, expected in manifest.tables.items():
                path = folder / table_file_name(name)
                if not path.exists():
                    problems.append(f"{manifest.batch_id}: {path.name} missing")
                elif sha256_file(path) != expected.sha256:
                    problems.append(f"{manifest.batch_id}: {path.name} altered (sha256 differs)")
                elif path.stat().st_mode & 0o222:
                    problems.append(f"{manifest.batch_id}: {path.name} is writable")
            if self._index_lookup(manifest.content_hash) != manifest.batch_id:
                problems.append(f"{manifest.batch_id}: content hash not indexed (run recover)")
        return problems

    # -- internals -----------------------------------------------------------

    def _batch_ids(self) -> list[str]:
        try:
            names = os.listdir(self.batches_dir)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if BATCH_ID_RE.match(n))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.batches_dir.mkdir(parents=True, exist_ok=True)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock

    def _new_batch_id(self) -> str:
        ids = self._batch_ids()
        at = next_batch_time(_now(), ids[-1] if ids else None)
        return make_batch_id(at, secrets.token_hex(4))

    def _publish(
        self,
        batch_id: str,
        build: Callable[[Path], BatchManifest],
        index_hash: str | None,
    ) -> BatchManifest:
        """Build a batch in a temp folder, then make it visible with one rename.

        The index entry is written before the rename: a crash in between
        leaves an entry naming an invisible batch, which lookups ignore, never
        a visible batch that a resubmission would fail to find.
        """
        tmp = self.batches_dir / f"{TMP_PREFIX}{batch_id}"
        final = self.batches_dir / batch_id
        tmp.mkdir()
        try:
            manifest = build(tmp)
            write_file(tmp / MANIFEST_NAME, manifest.to_json().encode("utf-8"))
            fsync_dir(tmp)
            if index_hash is not None:
                self._write_index(index_hash, batch_id)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_dir(self.batches_dir)
        os.chmod(final, READ_ONLY_DIR)
        self._manifests[batch_id] = manifest
        return manifest

    def _index_lookup(self, content_hash: str) -> str | None:
        try:
            text = (self.index_dir / content_hash).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return text if BATCH_ID_RE.match(text) else None

    def _find_stored(self, content_hash: str) -> BatchManifest | None:
        batch_id = self._index_lookup(content_hash)
        if batch_id is None:
            return None
        try:
            manifest = self.get(batch_id)
        except BatchNotFoundError:
            return None  # entry left by a crash before the rename
        if manifest.status is BatchStatus.STORED and manifest.content_hash == content_hash:
            return manifest
        return None

    def _write_index(self, content_hash: str, batch_id: str) -> None:
        tmp = self.index_dir / f"{TMP_PREFIX}{content_hash}-{secrets.token_hex(4)}"
        write_file(tmp, f"{batch_id}\n".encode("ascii"))
        os.rename(tmp, self.index_dir / content_hash)
        fsync_dir(self.index_dir)

    def _repair_index(self) -> tuple[int, int]:
        """Make the index exactly {content hash: first stored batch}."""
        wanted: dict[str, str] = {}
        for manifest in self.stored():
            wanted.setdefault(manifest.content_hash, manifest.batch_id)
        added = removed = 0
        for entry in os.scandir(self.index_dir):
            if entry.name not in wanted:
                os.unlink(entry.path)
                removed += 1
        for content_hash, batch_id in wanted.items():
            if self._index_lookup(content_hash) != batch_id:
                self._write_index(content_hash, batch_id)
                added += 1
        return added, removed


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"instant must be timezone-aware, got {value!r}")
    return value.astimezone(UTC)
