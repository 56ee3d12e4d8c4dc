"""Ingest one furnisher file: every record into the ledger or the rejects, never lost.

The order of work is what makes the guarantees hold:

1. The file's SHA-256 is looked up first; the same bytes twice store nothing new.
   A file on disk is read a block at a time, here and in every later step,
   so that one larger than memory goes through.
2. The format is detected from content (or checked against the one claimed),
   and a whole-file error refuses the batch with one message, storing nothing.
3. Every record is validated with all its violations collected. Accepted rows
   and reject rows go into ONE ledger batch, which appears atomically (a
   rename), so a crash mid-batch leaves the ledger as it was. They are
   written piece by piece as they are checked (:class:`TableStream`), so the
   outcome of a large file is never held whole in memory; a whole-file error
   found late discards the pieces already written, as does the fast path
   finding part way through that a file needs the reference path.
4. Only then is the serving store told, in one transaction with its audit
   event: the batch row, its reject rows (read back from the ledger in
   chunks). If that transaction fails, the ledger batch is still complete
   and :func:`sync_store` loads it later.

``accepted + rejected == received`` is checked per record kind before
anything is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Engine, select

from xinyong.audit import chain
from xinyong.errors import UserError
from xinyong.ingest import csv_format, fast, jsonl_format, metro2_format, parquet_format, source
from xinyong.ingest.canonical_rules import Checked, check_record
from xinyong.ingest.fast.outcome import Piece, reference_piece
from xinyong.ingest.ledger_tables import KIND_TABLE, TABLE_SCHEMAS, to_table
from xinyong.ingest.records import FileRejected, RawRecord
from xinyong.ingest.source import Source
from xinyong.ledger import BatchFormat, BatchManifest, Ledger, RecordCounts
from xinyong.ledger.stream import TableStream
from xinyong.store import repositories, schema
from xinyong.store.engine import transaction

REJECTS_SCHEMA: Final = pa.schema(
    [
        ("record_no", pa.int64()),
        ("kind", pa.string()),
        ("location", pa.string()),
        ("segment", pa.string()),
        ("field", pa.string()),
        ("rule", pa.string()),
        ("message", pa.string()),
        ("raw", pa.string()),
    ]
)

CHUNK_ROWS: Final = 50_000


@dataclass(frozen=True, slots=True)
class FormatModule:
    """A furnisher format: its name, a content sniffer, a reader and a record check."""

    name: str
    sniff: Callable[[bytes], bool]
    read: Callable[[Source], Iterator[RawRecord]]
    """Takes the file's bytes or a :class:`~pathlib.Path`; a file is read a block at a time."""
    check: Callable[[RawRecord, str, bytes], Checked]


def _canonical(module: ModuleType) -> FormatModule:
    return FormatModule(module.FORMAT, module.sniff, module.read, check_record)


def formats() -> dict[str, FormatModule]:
    """Every known format, in detection order (most specific first)."""
    found = {module.name: module for module in metro2_format.format_modules()}
    for module in (parquet_format, jsonl_format, csv_format):
        found[module.FORMAT] = _canonical(module)
    return found


def detect(data: bytes) -> str | None:
    """The format of a file, from its content alone (never its name).

    ``data`` may be the file's :func:`~xinyong.ingest.source.sample` rather
    than all of it: no sniffer looks further.
    """
    for name, module in formats().items():
        if module.sniff(data):
            return name
    return None


@dataclass(slots=True)
class BatchReport:
    """What became of one submitted file; printed by the CLI, returned by the API."""

    batch_id: str
    furnisher_id: str
    source_name: str
    format: str
    status: str
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicate_of: str | None = None
    reason: str | None = None
    by_kind: dict[str, RecordCounts] = field(default_factory=dict)
    rules: Counter[str] = field(default_factory=Counter)
    warnings: int = 0

    @property
    def reconciles(self) -> bool:
        return self.received == self.accepted + self.rejected

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``xinyong ingest --json``, the API)."""
        return {
            "batch_id": self.batch_id,
            "furnisher_id": self.furnisher_id,
            "source_name": self.source_name,
            "format": self.format,
            "status": self.status,
            "received": self.received,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicate_of": self.duplicate_of,
            "reason": self.reason,
            "by_kind": {
                k: {"received": c.received, "accepted": c.accepted, "rejected": c.rejected}
                for k, c in self.by_kind.items()
            },
            "rules": dict(self.rules),
            "warnings": self.warnings,
        }


def printable(text: str) -> str:
    """Text safe for any store: NUL (which PostgreSQL text refuses) written as ``\\x00``."""
    return text.replace("\x00", "\\x00")


class _Collector:
    """Accumulates accepted rows per table and reject rows, in Arrow chunks.

    The whole outcome in memory, record by record: the oracle the fast path's
    equivalence tests compare against. The pipeline itself streams
    (:func:`reference_pieces`), through the same per-record code.
    """

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLE_SCHEMAS}
        self.chunks: dict[str, list[pa.Table]] = {t: [] for t in TABLE_SCHEMAS}
        self.rejects: list[dict[str, Any]] = []
        self.received: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.warnings = 0

    def add(self, record: RawRecord, checked: Checked) -> None:
        self.received[record.kind] += 1
        self.warnings += len(checked.warnings)
        if checked.row is not None:
            self.accepted[record.kind] += 1
            rows = self.rows[checked.table]
            rows.append(checked.row)
            rows.extend(checked.associated)
            if len(rows) >= CHUNK_ROWS:
                self.chunks[checked.table].append(to_table(checked.table, rows))
                rows.clear()
            return
        self.rejected[record.kind] += 1
        for violation in checked.violations:
            self.rules[violation.rule] += 1
            self.rejects.append(
                {
                    "record_no": record.record_no,
                    "kind": record.kind,
                    "location": record.location,
                    "segment": violation.segment,
                    "field": violation.field,
                    "rule": violation.rule,
                    "message": printable(violation.message),
                    "raw": printable(record.raw),
                }
            )

    def tables(self) -> dict[str, pa.Table]:
        out: dict[str, pa.Table] = {}
        for name, schema_ in TABLE_SCHEMAS.items():
            parts = [*self.chunks[name], to_table(name, self.rows[name])]
            table = pa.concat_tables(parts)
            if table.num_rows:
                out[name] = table.cast(schema_)
        out["rejects"] = pa.Table.from_pylist(self.rejects, schema=REJECTS_SCHEMA)
        return out

    def counts(self) -> dict[str, RecordCounts]:
        kinds = sorted(set(self.received))
        return {
            KIND_TABLE[k]: RecordCounts(self.received[k], self.accepted[k], self.rejected[k])
            for k in kinds
        }


def ingest_file(
    path: Path,
    furnisher_id: str,
    *,
    ledger: Ledger,
    engine: Engine,
    hash_key: bytes,
    format: str = "auto",
    actor: str = "operator",
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Ingest one file from a furnisher; see the module docstring for the guarantees.

    The file is read from disk a block at a time, never whole, so a file
    larger than memory goes through.
    """
    return _ingest(
        path,
        furnisher_id,
        source_name=path.name,
        ledger=ledger,
        engine=engine,
        hash_key=hash_key,
        format=format,
        actor=actor,
        progress=progress,
    )


def ingest_bytes(
    data: bytes,
    furnisher_id: str,
    *,
    source_name: str,
    ledger: Ledger,
    engine: Engine,
    hash_key: bytes,
    format: str = "auto",
    actor: str = "operator",
    progress: Callable[[int], None] | None = None,
) -> BatchReport:
    """Ingest a file's bytes; ``format`` is ``auto`` or a name from :func:`formats`."""
    return _ingest(
        data,
        furnisher_id,
        source_name=source_name,
        ledger=ledger,
        engine=engine,
        hash_key=hash_key,
        format=format,
        actor=actor,
        progress=progress,
    )


def _ingest(
    data: Source,
    furnisher_id: str,
    *,
    source_name: str,
    ledger: Ledger,
    engine: Engine,
    hash_key: bytes,
    format: str,
    actor: str,
    progress: Callable[[int], None] | None,
) -> BatchReport:
    with engine.connect() as conn:
        if repositories.get_organisation(conn, furnisher_id) is None:
            raise UnknownFurnisher(furnisher_id)
    ledger.recover()  # clear what a crashed writer left half-written; it was never visible
    sync_store(ledger, engine, actor)
    content_hash = source.sha256(data)
    known = formats()
    detected = detect(source.sample(data))
    claimed = detected if format == "auto" else format
    report_format = claimed or "unknown"

    existing = ledger.find_by_hash(content_hash)
    if existing is not None:
        manifest = ledger.write_batch(
            furnisher_id, content_hash, existing.format, {}, {}, source_name=source_name
        )
        return _finish(
            ledger,
            engine,
            actor,
            BatchReport(
                manifest.batch_id,
                furnisher_id,
                source_name,
                existing.format.value,
                "duplicate",
                duplicate_of=manifest.duplicate_of,
            ),
        )

    try:
        if claimed is None:
            raise FileRejected(
                "the file is not in any format xinyong reads (Metro 2, CSV, JSON Lines, Parquet)",
                rule="format",
            )
        if claimed not in known:
            raise FileRejected(f"unknown format {claimed!r}", rule="format")
        if detected != claimed:
            raise FileRejected(
                f"the file is not {claimed}: its content looks like "
                f"{detected or 'no known format'}",
                rule="format",
            )
        manifest, tally = _store(
            known[claimed],
            data,
            furnisher_id,
            hash_key,
            ledger,
            content_hash,
            source_name,
            progress,
        )
    except FileRejected as exc:
        manifest = ledger.reject_batch(
            furnisher_id,
            content_hash,
            report_format if report_format in BatchFormat._value2member_map_ else "unknown",
            {},
            exc.message,
            source_name=source_name,
        )
        report = BatchReport(
            manifest.batch_id,
            furnisher_id,
            source_name,
            report_format,
            "rejected",
            reason=exc.message,
        )
        return _finish(ledger, engine, actor, report)

    counts = dict(manifest.counts)
    report = BatchReport(
        manifest.batch_id,
        furnisher_id,
        source_name,
        claimed,
        manifest.status.value,
        received=sum(c.received for c in counts.values()),
        accepted=sum(c.accepted for c in counts.values()),
        rejected=sum(c.rejected for c in counts.values()),
        duplicate_of=manifest.duplicate_of,
        by_kind=counts,
        rules=tally.rules,
        warnings=tally.warnings,
    )
    if not report.reconciles:  # pragma: no cover - RecordCounts already refuses this
        raise AssertionError(f"batch {manifest.batch_id} does not reconcile")
    return _finish(ledger, engine, actor, report)


REFERENCE_PIECE_RECORDS: Final = 10_000
"""Records checked one by one per piece written to the ledger (bounds the memory held)."""


def reference_pieces(
    module: FormatModule, data: Source, furnisher_id: str, hash_key: bytes
) -> Iterator[Piece]:
    """The reference path's outcome, a piece of :data:`REFERENCE_PIECE_RECORDS` at a time.

    Every reader streams, so memory holds a piece, never the file. A
    whole-file fault known only at the end (a Metro 2 trailer that does not
    add up, a byte that is not UTF-8) raises after the pieces before it were
    given out: the ledger discards them with the unfinished batch.
    """
    chunk: list[RawRecord] = []

    def check(record: RawRecord) -> Checked:
        return module.check(record, furnisher_id, hash_key)

    for record in module.read(data):
        chunk.append(record)
        if len(chunk) >= REFERENCE_PIECE_RECORDS:
            yield reference_piece(chunk, check)
            chunk = []
    if chunk:
        yield reference_piece(chunk, check)


def _store(
    module: FormatModule,
    data: Source,
    furnisher_id: str,
    hash_key: bytes,
    ledger: Ledger,
    content_hash: str,
    source_name: str,
    progress: Callable[[int], None] | None,
) -> tuple[BatchManifest, fast.Collected]:
    """Check every record and store the outcome as one ledger batch; fast path first
    (for files with records enough to pay its fixed cost: :func:`fast.pays_off`).

    Pieces are checked and written as they come; a whole-file error found
    late (a Metro 2 trailer, bytes that are not UTF-8) leaves the ledger as
    it was and propagates. The fast path may also find part way through
    that the file is one it cannot judge exactly (:class:`fast.Declined`):
    what it wrote goes with the unfinished batch, and the reference path
    reads the file again from the start.
    """

    def write(pieces: Iterable[Piece]) -> tuple[BatchManifest, fast.Collected]:
        tally = fast.Collected(keep_tables=False)
        stream = TableStream(
            _stored_rows(pieces, tally, progress),
            {**TABLE_SCHEMAS, "rejects": REJECTS_SCHEMA},
            always=frozenset({"rejects"}),
        )
        manifest = ledger.write_batch(
            furnisher_id, content_hash, module.name, stream, tally.counts, source_name=source_name
        )
        return manifest, tally

    fast_pieces = None
    if fast.pays_off(module.name, data):
        fast_pieces = fast.check_file(module.name, data, furnisher_id, hash_key)
    if fast_pieces is not None:
        try:
            return write(fast_pieces)
        except fast.Declined:
            pass  # not a file the fast path can judge exactly: record by record
    return write(reference_pieces(module, data, furnisher_id, hash_key))


def _stored_rows(
    pieces: Iterable[Piece], tally: fast.Collected, progress: Callable[[int], None] | None
) -> Iterator[tuple[str, pa.Table]]:
    """Each piece's ledger rows and reject rows, counted in ``tally`` on the way."""
    for piece in pieces:
        tally.add(piece)
        yield from piece.tables.items()
        yield "rejects", piece.rejects
        if progress is not None:
            progress(piece.last_record_no)


class UnknownFurnisher(UserError):
    """Batches are accepted only from registered furnishers."""

    def __init__(self, furnisher_id: str) -> None:
        super().__init__(f"unknown furnisher {furnisher_id!r}: register it first")
        self.furnisher_id = furnisher_id


def _finish(ledger: Ledger, engine: Engine, actor: str, report: BatchReport) -> BatchReport:
    sync_store(ledger, engine, actor)
    return report


def sync_store(ledger: Ledger, engine: Engine, actor: str = "operator") -> int:
    """Load into the serving store every ledger batch it does not know yet.

    The ledger is the record of what was submitted; the store's
    ``ledger_batches`` and ``rejects`` are its queryable mirror. Each batch is
    loaded in its own transaction together with its audit event, so a crash
    between the ledger write and the store load is healed by the next call.
    Returns how many batches were loaded.
    """
    with engine.connect() as conn:
        known = set(conn.execute(select(schema.ledger_batches.c.batch_id)).scalars())
    loaded = 0
    for manifest in ledger.batches():
        if manifest.batch_id in known:
            continue
        with transaction(engine) as conn:
            repositories.record_ledger_batch(
                conn,
                batch_id=manifest.batch_id,
                furnisher_id=manifest.furnisher_id,
                content_hash=manifest.content_hash,
                format=manifest.format.value,
                records_received=manifest.records_received,
                records_accepted=manifest.records_accepted,
                records_rejected=manifest.records_rejected,
                status=manifest.status.value,
                received_at=manifest.received_at,
                duplicate_of=manifest.duplicate_of,
            )
            for rows in _reject_rows(ledger, manifest):
                repositories.add_rejects(conn, manifest.batch_id, rows)
            chain.append(
                conn,
                actor=actor,
                action=f"ingest.batch_{manifest.status.value}",
                subject_id=None,
                reason=manifest.reason or f"furnisher file {manifest.source_name or ''}".strip(),
                payload={
                    "batch_id": manifest.batch_id,
                    "furnisher_id": manifest.furnisher_id,
                    "content_hash": manifest.content_hash,
                    "format": manifest.format.value,
                    "received": manifest.records_received,
                    "accepted": manifest.records_accepted,
                    "rejected": manifest.records_rejected,
                    "duplicate_of": manifest.duplicate_of,
                },
            )
        loaded += 1
    return loaded


REJECT_STORE_ROWS: Final = 10_000
"""Reject rows read back from the ledger and inserted into the store at a time."""


def _reject_rows(ledger: Ledger, manifest: BatchManifest) -> Iterator[list[dict[str, Any]]]:
    """The batch's reject rows as the store wants them, in chunks; a refused file has one row."""
    if manifest.status.value == "rejected":
        yield [
            {"record_no": 0, "location": "file", "rule": "file", "message": manifest.reason or ""}
        ]
        return
    if "rejects" not in manifest.tables:
        return
    path = ledger.batches_dir / manifest.batch_id / "rejects.parquet"
    columns = [f.name for f in REJECTS_SCHEMA if f.name != "kind"]
    with pq.ParquetFile(path) as rejects:
        for batch in rejects.iter_batches(batch_size=REJECT_STORE_ROWS, columns=columns):
            rows: list[dict[str, Any]] = batch.to_pylist()
            yield rows
