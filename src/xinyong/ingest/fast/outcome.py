"""The outcome of a file, piece by piece, in the shape the pipeline's collector has.

The SQL hands back Arrow record batches with one row per record: its ledger
columns, a status (``A`` accepted, ``R`` rejected, ``X`` for the reference
path) and its violations. :func:`piece_of` turns one batch into a
:class:`Piece` (accepted rows per ledger table, reject rows, counts),
running the reference check for the few ``X`` records and merging them back
in record order. :class:`Collected` adds pieces up and answers the same
questions as ``pipeline._Collector`` (``counts``, ``tables``, ``rules``,
``warnings``), so the pipeline needs no second code path after the loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from xinyong.ingest.canonical_rules import Checked
from xinyong.ingest.ledger_tables import KIND_TABLE, TABLE_SCHEMAS, to_table
from xinyong.ingest.records import RawRecord
from xinyong.ledger import RecordCounts

Check = Callable[[RawRecord, str, bytes], Checked]


def _rejects_schema() -> pa.Schema:
    from xinyong.ingest.pipeline import REJECTS_SCHEMA

    schema: pa.Schema = REJECTS_SCHEMA
    return schema


def _printable(array: pa.Array) -> pa.Array:
    """``pipeline.printable`` over an Arrow array: NUL written as ``\\x00``."""
    return pc.replace_substring(array, "\x00", "\\x00")


class Declined(Exception):
    """The fast path found, part way through a file, that it cannot judge it exactly.

    Raised from a piece iterator (never after its last piece); the caller
    discards the pieces it got and runs the reference path over the whole
    file instead. Files decided at once (a CSV header, a Parquet schema) are
    declined before any piece, by ``check_file`` returning None.
    """


@dataclass
class Piece:
    """The outcome of consecutive records: ledger rows, reject rows, counts."""

    tables: dict[str, pa.Table]
    rejects: pa.Table
    received: Counter[str] = field(default_factory=Counter)
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    warnings: int = 0
    last_record_no: int = 0
    by_reference: int = 0
    """How many of the records went through the reference check (not the SQL)."""


def reference_piece(records: Sequence[RawRecord], check: Callable[[RawRecord], Checked]) -> Piece:
    """What ``pipeline._Collector.add`` makes of these records, as Arrow.

    The reference path's own unit of output too: the pipeline checks a file
    record by record and stores it a piece at a time.
    """
    from xinyong.ingest.pipeline import printable

    rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLE_SCHEMAS}
    rejects: list[dict[str, Any]] = []
    piece = Piece({}, pa.table({}))
    for record in records:
        checked = check(record)
        piece.received[record.kind] += 1
        piece.warnings += len(checked.warnings)
        if checked.row is not None:
            piece.accepted[record.kind] += 1
            rows[checked.table] += [checked.row, *checked.associated]
            continue
        piece.rejected[record.kind] += 1
        for v in checked.violations:
            piece.rules[v.rule] += 1
            rejects.append(
                {
                    "record_no": record.record_no,
                    "kind": record.kind,
                    "location": record.location,
                    "segment": v.segment,
                    "field": v.field,
                    "rule": v.rule,
                    "message": printable(v.message),
                    "raw": printable(record.raw),
                }
            )
    piece.tables = {t: to_table(t, r) for t, r in rows.items() if r}
    piece.rejects = pa.Table.from_pylist(rejects, schema=_rejects_schema())
    piece.last_record_no = records[-1].record_no if records else 0
    return piece


def _sorted(table: pa.Table) -> pa.Table:
    """Rows in record order; a stable sort keeps a record's own rows in their order."""
    order = pc.sort_indices(table.column("record_no"), sort_keys=[("", "ascending")])
    return table.take(order)


Split = Callable[[pa.Table, pa.ChunkedArray], dict[str, list[pa.Table]]]
"""A batch and its accepted-records mask to ledger rows per table."""


def keep_rows(table: pa.Table, mask: pa.ChunkedArray) -> pa.Table:
    """``table.filter(mask)``, or the table itself when every row is kept."""
    return table if pc.all(mask).as_py() else table.filter(mask)


def canonical_split(batch: pa.Table, accepted: pa.ChunkedArray) -> dict[str, list[pa.Table]]:
    """One ledger row per accepted record, in its kind's table.

    The table's columns are selected before rows are filtered: filtering the
    whole batch would copy the violation lists too.
    """
    out: dict[str, list[pa.Table]] = {}
    kinds = batch.column("_kind")
    for kind, table_name in KIND_TABLE.items():
        keep = pc.and_(accepted, pc.equal(kinds, kind))
        if pc.any(keep).as_py():
            schema = TABLE_SCHEMAS[table_name]
            out[table_name] = [keep_rows(batch.select(schema.names), keep).cast(schema)]
    return out


def piece_of(
    batch: pa.Table,
    raw_texts: Callable[[Sequence[int]], list[str]],
    reference: Callable[[int], RawRecord],
    check: Callable[[RawRecord], Checked],
    split: Split = canonical_split,
) -> Piece:
    """One result batch of the SQL checks as a :class:`Piece`.

    ``batch`` has ``_rn``, ``_kind``, ``_status``, ``_violations``,
    ``_warn_n``, ``location`` and what ``split`` reads. Records with status
    ``X`` go through ``check`` (the reference) and are merged back in order.
    """
    status = batch.column("_status")
    kinds = batch.column("_kind")
    piece = Piece({}, pa.table({}))
    if batch.num_rows:
        piece.last_record_no = int(pc.max(batch.column("_rn")).as_py())
    for kind in KIND_TABLE:
        of_kind = pc.equal(kinds, kind)
        for code, counter in (("A", piece.accepted), ("R", piece.rejected)):
            n = int(pc.sum(pc.and_(of_kind, pc.equal(status, code))).as_py() or 0)
            if n:
                counter[kind] += n
                piece.received[kind] += n
    counted = pc.or_(pc.equal(status, "A"), pc.equal(status, "R"))
    piece.warnings = int(pc.sum(pc.filter(batch.column("_warn_n"), counted)).as_py() or 0)
    tables = split(batch, pc.equal(status, "A"))

    rejected = batch.select(["_rn", "_kind", "location", "_violations"]).filter(
        pc.equal(status, "R")
    )
    reject_parts = [_reject_rows(rejected, raw_texts, piece.rules)]

    by_reference = pc.filter(batch.column("_rn"), pc.equal(status, "X")).to_pylist()
    piece.by_reference = len(by_reference)
    if by_reference:
        extra = reference_piece([reference(r) for r in by_reference], check)
        for name, table in extra.tables.items():
            tables.setdefault(name, []).append(table)
        reject_parts.append(extra.rejects)
        for counter, more in (
            (piece.received, extra.received),
            (piece.accepted, extra.accepted),
            (piece.rejected, extra.rejected),
            (piece.rules, extra.rules),
        ):
            counter.update(more)
        piece.warnings += extra.warnings
    for name, parts in tables.items():
        if parts:
            table = pa.concat_tables(parts)
            piece.tables[name] = _sorted(table) if by_reference else table
    rejects = pa.concat_tables(reject_parts)
    piece.rejects = _sorted(rejects) if by_reference else rejects
    return piece


def _reject_rows(
    rejected: pa.Table,
    raw_texts: Callable[[Sequence[int]], list[str]],
    rules: Counter[str],
) -> pa.Table:
    schema = _rejects_schema()
    if rejected.num_rows == 0:
        return schema.empty_table()
    lists = rejected.column("_violations").combine_chunks()
    parents = pc.list_parent_indices(lists)
    flat = pc.list_flatten(lists)
    record_nos = rejected.column("_rn")
    raws = pa.array(raw_texts(record_nos.to_pylist()), pa.string())
    rule = flat.field("rule")
    for value, count in zip(*_counts(rule), strict=True):
        rules[value] += count
    columns = {
        "record_no": record_nos.take(parents),
        "kind": rejected.column("_kind").take(parents),
        "location": rejected.column("location").take(parents),
        "segment": flat.field("segment"),
        "field": flat.field("field"),
        "rule": rule,
        "message": _printable(messages(flat)),
        "raw": _printable(raws).take(parents),
    }
    return pa.table(columns).cast(schema)


def messages(flat: pa.StructArray) -> pa.Array:
    """Each violation's message: ``head``, or ``head + repr(arg) + tail``.

    The quoting is Python's own ``repr``, applied here to rejected records
    only, so that a message quotes a value exactly as the reference does.
    """
    heads = flat.field("head").to_pylist()
    args = flat.field("arg").to_pylist()
    tails = flat.field("tail").to_pylist()
    return pa.array(
        [h if a is None else f"{h}{a!r}{t}" for h, a, t in zip(heads, args, tails, strict=True)],
        pa.string(),
    )


def _counts(values: pa.Array) -> tuple[list[str], list[int]]:
    counted = pc.value_counts(values)
    return counted.field("values").to_pylist(), counted.field("counts").to_pylist()


class Collected:
    """Pieces added up: what ``pipeline._Collector`` holds after reading a whole file."""

    def __init__(self, *, keep_tables: bool = True) -> None:
        self.keep_tables = keep_tables
        """False: count only (the rows are streamed to the ledger, not kept here)."""
        self.received: Counter[str] = Counter()
        self.accepted: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.rules: Counter[str] = Counter()
        self.warnings = 0
        self.by_reference = 0
        self._tables: dict[str, list[pa.Table]] = {t: [] for t in TABLE_SCHEMAS}
        self._rejects: list[pa.Table] = []

    def add(self, piece: Piece) -> None:
        if self.keep_tables:
            for name, table in piece.tables.items():
                self._tables[name].append(table)
            if piece.rejects.num_rows:
                self._rejects.append(piece.rejects)
        self.received.update(piece.received)
        self.accepted.update(piece.accepted)
        self.rejected.update(piece.rejected)
        self.rules.update(piece.rules)
        self.warnings += piece.warnings
        self.by_reference += piece.by_reference

    def tables(self) -> dict[str, pa.Table]:
        """Accepted rows per ledger table (only non-empty ones) and the reject rows."""
        out: dict[str, pa.Table] = {}
        for name, schema in TABLE_SCHEMAS.items():
            parts = self._tables[name]
            if parts:
                table = pa.concat_tables(parts).cast(schema)
                if table.num_rows:
                    out[name] = table
        schema = _rejects_schema()
        out["rejects"] = (
            pa.concat_tables(self._rejects).cast(schema) if self._rejects else schema.empty_table()
        )
        return out

    def counts(self) -> dict[str, RecordCounts]:
        kinds = sorted(set(self.received))
        return {
            KIND_TABLE[k]: RecordCounts(self.received[k], self.accepted[k], self.rejected[k])
            for k in kinds
        }
