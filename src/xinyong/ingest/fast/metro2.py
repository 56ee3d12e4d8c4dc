"""The vectorised check of a Metro 2 character file (fixed or variable length), in one pass.

The file is read once, a chunk of records at a time (:mod:`metro2_frame`), so
memory does not grow with the file. Each chunk is read and prepared a chunk
ahead of its check (:mod:`metro2_scan`: field facts, shapes, SSNs, trailer
totals), or two while the worker is behind, and its Python-bound work
(account keys, the SSNs not seen before) goes to a worker process meanwhile
(:mod:`metro2_ids`). Then every record of
the chunk gets its outcome, a block of records at a time: records of a base
segment alone, or a base and one J1 segment, go through the vectorised gates
(:mod:`metro2_gates`); a record that no gate flags, with consumers whose
names and SSNs check out, becomes ledger rows built as Arrow columns
(:mod:`metro2_rows`); a flagged record is rejected with the violations the
reference rule functions themselves report. Every other record (J2, K1-N1,
unknown or misordered segments) goes through the reference check, merged
back in record order. Chunks are given out :data:`PIECE_CHUNKS` to a piece,
each piece made on a thread while the caller stores the one before
(:mod:`metro2_ahead`).

A file the reference reader would refuse or read otherwise, or one mostly
of records outside the vectorised shapes, is left to the reference path:
:func:`check_metro2` returns None where its first chunk shows it, and the
pieces stop with :class:`outcome.Declined` where a later one does (a second
header, a byte that is not ASCII, trailer totals that do not add up: known
before the last piece). The file must not change during the check, as for
the reference path. The packed format is not handled here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.ingest import metro2, metro2_format
from xinyong.ingest.identity import identity_columns
from xinyong.ingest.metro2.layout import BASE
from xinyong.ingest.metro2.model import Record
from xinyong.ingest.records import RawRecord, Violation

from .metro2_ahead import ahead
from .metro2_fields import BASE_AT, J1_AT, Block, Bools, Ints, SegmentAt
from .metro2_frame import Chunk, Frame, NotOurs, frame_of
from .metro2_gates import gates, reference_violations
from .metro2_ids import WORKER_THRESHOLD, Found, Outcomes, SsnBook, Workers, chunk_job
from .metro2_rows import Consumers, Identity, accounts
from .metro2_scan import Prepared, Totals, distinct_ssns, prepare, reference_record
from .outcome import Declined, Piece, reference_piece

CHUNK_ROWS: Final = 16_384
"""Records per chunk read from the file (:data:`PIECE_CHUNKS` to a piece). Two to :data:`AHEAD`
chunks are held, with their blocks' field facts: one block per chunk keeps that
small."""
PIECE_CHUNKS: Final = 4
"""Chunks per piece of outcome given out. The ledger writes each piece as a Parquet row
group, and fewer, larger row groups cost less to encode (measured on a million ledger
rows: 2.1 CPU-s in pieces of 16,384 rows, 1.85 in pieces of 65,536), for a bounded cost
in memory (a million-record ingest peaked 44 MiB higher than at one chunk a piece)."""
BLOCK_ROWS: Final = 16_384
"""Records per vectorised block: big enough to amortise each NumPy and Arrow call."""
AHEAD: Final = 3
"""Chunks held at most: the one checked and those read ahead of it. One is always read
ahead (its worker job queued while this one is checked); more only while the worker
is behind (the first chunks' SSNs are mostly new), so the wait is spent reading."""
COMPLEX_SHARE: Final = 0.25
COMPLEX_MINIMUM: Final = 1000
"""Above this share (and number) of the first chunk's records outside the vectorised
shapes, the reference path takes the whole file: checking them one by one is its work."""
_HEAD_BYTES: Final = 16_384

_NAMES: Final = identity_columns({"subject_kind": "person"}, b"-")[1][0]
"""The reference's own violation for a person without names."""


def check_metro2(
    source: bytes | Path,
    furnisher_id: str,
    hash_key: bytes,
    *,
    chunk_rows: int = CHUNK_ROWS,
    block_rows: int = BLOCK_ROWS,
    piece_chunks: int = PIECE_CHUNKS,
) -> Iterator[Piece] | None:
    """The outcome of a Metro 2 character file, in pieces; None for the reference path."""
    head = source[:_HEAD_BYTES] if isinstance(source, bytes) else _head(source)
    detection = metro2.detect(head)
    if detection is None or detection.format != "metro2":
        return None
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    frame = frame_of(source, size, head, detection.variant)
    workers = Workers(size // BASE.length >= WORKER_THRESHOLD)  # starts now, while we read
    try:
        reading = _Reading(frame, workers, (furnisher_id, hash_key), chunk_rows, block_rows)
        first = reading.next()
        limit = max(COMPLEX_MINIMUM, COMPLEX_SHARE * (first.chunk.n if first else 0))
        if reading.totals.complex_records > limit or (first is None and not reading.matched()):
            raise NotOurs("mostly records of other shapes, or a trailer that does not add up")
    except NotOurs:
        workers.close()
        return None
    except BaseException:
        workers.close()
        raise
    return ahead(_pieces(reading, first, (furnisher_id, hash_key), piece_chunks))


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(_HEAD_BYTES)


@dataclass
class _Ahead:
    """A chunk read and prepared, its worker job under way."""

    chunk: Chunk
    blocks: list[Prepared]
    job: Future[tuple[bytes, Outcomes]]
    first_slot: int


class _Reading:
    """The file read a chunk at a time, each prepared and its worker job submitted."""

    def __init__(
        self,
        frame: Frame,
        workers: Workers,
        keyed: tuple[str, bytes],
        chunk_rows: int,
        block_rows: int,
    ) -> None:
        self.frame = frame
        self.workers = workers
        self.keyed = keyed
        """The furnisher and the hash key of the account keys."""
        self.block_rows = block_rows
        self.chunks = iter(frame.chunks(chunk_rows, keep=AHEAD - 1))
        self.done = False
        """Whether the last chunk has been read."""
        self.totals = Totals()
        self.book = SsnBook()

    def next(self) -> _Ahead | None:
        """The next chunk, read ahead; None after the last."""
        chunk = next(self.chunks, None) if not self.done else None
        if chunk is None:
            self.done = True
            return None
        furnisher_id, hash_key = self.keyed
        blocks = prepare(chunk, self.block_rows, self.totals)
        fresh, first_slot = self.book.new(distinct_ssns(blocks))
        account = BASE_AT.pos("consumer_account_number")
        fields = chunk.rec[:, account.offset : account.offset + account.length].tobytes()
        args = (fields, account.length, furnisher_id, hash_key, fresh)
        return _Ahead(chunk, blocks, self.workers.submit(chunk_job, *args), first_slot)

    def matched(self) -> bool:
        """Whether the trailer's totals are the records' (after the last chunk)."""
        return self.totals.match(self.frame.ends)


def _pieces(
    reading: _Reading, current: _Ahead | None, keyed: tuple[str, bytes], piece_chunks: int
) -> Iterator[Piece]:
    """Each chunk checked, given out ``piece_chunks`` chunks to a piece."""
    checker = _Checker(reading.book, *keyed)
    held = deque([current] if current is not None else [])
    done: list[Piece] = []  # checked chunks not yet given out
    try:
        while held:
            current = held[0]
            while not reading.done and (
                len(held) < 2 or (len(held) < AHEAD and not current.job.done())
            ):
                following = reading.next()
                if following is not None:
                    held.append(following)
            digests, outcomes = current.job.result()
            reading.book.put(current.first_slot, outcomes)
            checker.digests = np.frombuffer(digests, np.uint8).reshape(-1, 32)
            done.append(
                _joined(
                    [checker.block(current.chunk, p) for p in current.blocks],
                    current.chunk.first_no + current.chunk.n - 1,
                )
            )
            held.popleft()
            if not held and not reading.matched():
                raise Declined("the trailer totals are not the records'")
            if len(done) >= piece_chunks or not held:
                piece = _joined(done, done[-1].last_record_no)
                done = []
                yield piece
    except NotOurs as exc:
        raise Declined(str(exc)) from exc
    finally:
        reading.workers.close()


def _names_bad(b: Block, seg: SegmentAt) -> Bools:
    """``identity_columns``' test: a person needs a family name and given names."""
    out: Bools = b.blank(seg.pos("surname")) | (
        b.blank(seg.pos("first_name")) & b.blank(seg.pos("middle_name"))
    )
    return out


class _Checker:
    """The second scan's work on one block of records."""

    def __init__(self, book: SsnBook, furnisher_id: str, key: bytes) -> None:
        self.book = book
        self.furnisher_id = furnisher_id
        self.key = key
        self.digests = np.zeros((0, 32), np.uint8)
        """The account key of every record of the current chunk (32 bytes each)."""

    def block(self, chunk: Chunk, p: Prepared) -> Piece:
        """The outcome of a prepared block of the chunk."""
        b, start, stop, simple, has_j1 = p.b, p.start, p.stop, p.simple, p.has_j1
        flags = [f & simple for f in gates(b, has_j1)]
        base_id = self.book.find(p.base_ssn, p.base_present)
        j1_id = self.book.find(p.j1_ssn, p.j1_present)
        base_present, j1_present = p.base_present, p.j1_present
        base_names, j1_names = _names_bad(b, BASE_AT) & simple, _names_bad(b, J1_AT) & has_j1
        base_bad = np.logical_or.reduce(flags) | base_names | (base_present & ~base_id.ok)
        j1_bad = j1_names | (j1_present & ~j1_id.ok)
        accepted = simple & ~base_bad & ~j1_bad

        piece = Piece({}, pa.table({}))
        piece.received["account"] = stop - start
        reference: list[int] = np.flatnonzero(~simple).tolist()
        rejects: list[dict[str, object]] = []
        for i in np.flatnonzero(simple & ~accepted).tolist():
            record = reference_record(chunk, start + i)
            problems = [
                Violation(v.field, v.rule, v.message, v.segment)
                for v in reference_violations(record, [bool(f[i]) for f in flags])
            ]
            problems += self._identity(bool(base_names[i]), base_id, i, "base")
            if not problems and has_j1[i]:
                problems = self._identity(bool(j1_names[i]), j1_id, i, "J1")
            if not problems:  # a gate flagged what the reference does not: it decides
                reference.append(i)
                continue
            _reject(rejects, piece, record, problems)
        piece.rejects = pa.Table.from_pylist(rejects, schema=_rejects_schema())
        counted = simple.copy()
        counted[reference] = False  # the reference counts the warnings of its records
        piece.warnings = int(base_id.warn_n[counted].sum() + j1_id.warn_n[accepted].sum())

        rows = np.flatnonzero(accepted)
        piece.accepted["account"] = len(rows)
        piece.tables["accounts"] = accounts(
            b,
            rows,
            has_j1,
            chunk.offsets[start:stop],
            chunk.first_no + start,
            lambda who: self._columns(who, base_id, j1_id),
            self.digests[start:stop],
        )
        if reference:
            self._reference(piece, chunk, [start + i for i in sorted(reference)])
        return piece

    def _identity(self, names_bad: bool, found: Found, i: int, segment: str) -> list[Violation]:
        """A consumer's identity problems, as ``identity_columns`` reports them."""
        out = []
        if names_bad:
            out.append(Violation(_NAMES.field, _NAMES.rule, _NAMES.message, segment))
        if found.present[i] and not found.ok[i]:
            index = int(found.index[i])
            rule, message = self.book.note("rule", index), self.book.note("message", index)
            out.append(Violation("id_value", rule, message, segment))
        return out

    def _columns(self, who: Consumers, base: Found, j1: Found) -> Identity:
        present: Bools = who.pick(base.present, j1.present)  # type: ignore[assignment]
        index: Ints = who.pick(base.index, j1.index)  # type: ignore[assignment]
        scheme = pc.if_else(pa.array(present), "us_ssn", pa.scalar(None, pa.string()))
        return Identity(scheme, *self.book.columns(present, index))

    def _reference(self, piece: Piece, chunk: Chunk, numbers: list[int]) -> None:
        """The reference check of some records of the chunk, merged in record order."""
        extra = reference_piece(
            [_raw_record(reference_record(chunk, i)) for i in numbers],
            lambda r: metro2_format.check(r, self.furnisher_id, self.key),
        )
        tables = [piece.tables["accounts"], extra.tables.get("accounts")]
        piece.tables["accounts"] = _sorted(
            pa.concat_tables([t for t in tables if t is not None]), ["record_no", "consumer_no"]
        )
        piece.rejects = _sorted(pa.concat_tables([piece.rejects, extra.rejects]), ["record_no"])
        for mine, theirs in (
            (piece.accepted, extra.accepted),
            (piece.rejected, extra.rejected),
            (piece.rules, extra.rules),
        ):
            mine.update(theirs)
        piece.warnings += extra.warnings
        piece.by_reference = len(numbers)


def _joined(parts: list[Piece], last_record_no: int) -> Piece:
    """Consecutive pieces (a chunk's blocks, or chunks) as one piece."""
    piece = Piece({}, pa.concat_tables([p.rejects for p in parts]))
    accounts_parts = [
        t for p in parts if (t := p.tables.get("accounts")) is not None and t.num_rows
    ]
    if accounts_parts:
        piece.tables["accounts"] = pa.concat_tables(accounts_parts)
    for p in parts:
        piece.received.update(p.received)
        piece.accepted.update(p.accepted)
        piece.rejected.update(p.rejected)
        piece.rules.update(p.rules)
        piece.warnings += p.warnings
        piece.by_reference += p.by_reference
    piece.last_record_no = last_record_no
    return piece


def _sorted(table: pa.Table, keys: list[str]) -> pa.Table:
    """Rows in key order; the sort is stable, so a record's own rows keep their order."""
    return table.take(pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys]))


def _rejects_schema() -> pa.Schema:
    from xinyong.ingest.pipeline import REJECTS_SCHEMA

    schema: pa.Schema = REJECTS_SCHEMA
    return schema


def _reject(
    rows: list[dict[str, object]], piece: Piece, record: Record, problems: list[Violation]
) -> None:
    """Reject rows as ``reference_piece`` writes them (the record is printable ASCII)."""
    from xinyong.ingest.pipeline import printable

    raw = printable(record.raw.decode("ascii"))
    piece.rejected["account"] += 1
    for v in problems:
        piece.rules[v.rule] += 1
        rows.append(
            {
                "record_no": record.record_no,
                "kind": "account",
                "location": f"offset {record.offset}",
                "segment": v.segment,
                "field": v.field,
                "rule": v.rule,
                "message": printable(v.message),
                "raw": raw,
            }
        )


def _raw_record(record: Record) -> RawRecord:
    return RawRecord(
        record.record_no,
        f"offset {record.offset}",
        metro2_format.raw_text(record.raw),
        {},
        "account",
        source=record,
    )
