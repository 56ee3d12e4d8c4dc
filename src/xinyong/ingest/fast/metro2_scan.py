"""Reading a chunk of a Metro 2 file ahead of its check: shapes, SSNs and trailer totals.

As each chunk is read (:mod:`metro2_frame`), every block of it is prepared
(:func:`prepare`): its field facts (:class:`metro2_fields.Block`), which
records have the vectorised shapes, and their SSNs, which go to the
:class:`metro2_ids.SsnBook` at once, so their validation starts a chunk
before the check needs it. The trailer totals are recomputed on the way, as
``trailer.trailer_totals`` does (records of other shapes by that function
itself), and compared with the trailer once the file is read
(:meth:`Totals.match`). A second header or a trailer before the end makes the
reference reader refuse the file: :class:`metro2_frame.NotOurs`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from xinyong.ingest.metro2.codec import decode_segment
from xinyong.ingest.metro2.layout import BASE, TRAILER_STATUS_CODES, TRAILER_TOTAL_FIELDS
from xinyong.ingest.metro2.model import Metro2File, Record, Segment
from xinyong.ingest.metro2.reader import _parse_record
from xinyong.ingest.metro2.trailer import trailer_totals

from .metro2_fields import BASE_AT, J1_AT, SIMPLE_WIDTH, Block, Bools, Ints, SegmentAt
from .metro2_frame import Chunk, Ends, NotOurs
from .metro2_gates import has_ssn


def _word(text: bytes) -> int:
    return int.from_bytes(text, "little")


def shapes(b: Block, lengths: Ints) -> tuple[Bools, Bools]:
    """(simple, has_j1): records of a base alone, or a base and one J1, blank-padded after.

    As ``reader._parse_record`` splits them: a J1 whose data is all blank is
    a placeholder (skipped), so such a record is not "base and J1"; it, and
    anything else after the base, goes to the reference.
    """
    width = b.rec.shape[1]
    after_base = b.span_filled(BASE.length, width, ord(" "))
    j1 = (
        (b.lane(BASE.length, 2) == _word(b"J1"))
        & (lengths >= SIMPLE_WIDTH)
        & ~b.span_filled(BASE.length + 2, SIMPLE_WIDTH, ord(" "))
        & b.span_filled(SIMPLE_WIDTH, width, ord(" "))
    )
    return after_base | j1, j1


def _stray(b: Block) -> bool:
    """Whether a data record is a second header, or a trailer before the end."""
    header = (b.lane(4, 4) == _word(b"HEAD")) & (b.lane(8, 2) == _word(b"ER"))
    trailer = (b.lane(4, 4) == _word(b"TRAI")) & (b.lane(8, 2) == _word(b"LE"))
    trailer &= b.lane(10, 1) == ord("R")
    return bool(header.any() or trailer.any())


def ssn_values(b: Block, seg: SegmentAt, where: Bools) -> tuple[Ints, Bools]:
    """The SSN as a number, and where one is furnished (``Segment.number`` nonzero)."""
    pos = seg.pos("social_security_number")
    number = b.number(pos)
    present: Bools = where & b.digits(pos) & (number != 0)
    return number, present


def reference_record(chunk: Chunk, i: int) -> Record:
    """The reference reader's :class:`Record` of the chunk's ``i``-th record."""
    body = chunk.raw(i)
    offset = int(chunk.offsets[i])
    base, segments, problems, _ = _parse_record(body, packed=False, origin=offset)
    return Record(
        base, segments, chunk.first_no + i, offset, body, int(body[:4]), None, tuple(problems)
    )


@dataclass(frozen=True)
class Prepared:
    """A block of a chunk, read ahead of its check: field facts, shapes and SSNs."""

    b: Block
    start: int
    stop: int
    simple: Bools
    has_j1: Bools
    base_ssn: Ints
    base_present: Bools
    j1_ssn: Ints
    j1_present: Bools


@dataclass
class Totals:
    """Trailer totals as the file is read: counters, and code histograms resolved at the end."""

    counts: Counter[str] = field(default_factory=Counter)
    status: Ints = field(default_factory=lambda: np.zeros(1 << 16, np.int64))
    ecoa: Ints = field(default_factory=lambda: np.zeros(1 << 8, np.int64))
    complex_records: int = 0

    def people(self, b: Block, seg: SegmentAt, where: Bools, label: str) -> None:
        """The per-consumer counts of the base (or J1) segments at ``where``."""
        ssn = int((where & has_ssn(b, seg)).sum())
        births = int((where & b.dates(seg.pos("date_birth")).valid).sum())
        phone = seg.pos("telephone_number")
        phones = int((where & b.digits(phone) & (b.number(phone) > 0)).sum())
        for name, value in (
            (f"total_social_numbers_{label}_segments", ssn),
            ("total_social_numbers_all_segments", ssn),
            (f"total_dates_birth_{label}_segments", births),
            ("total_dates_birth_all_segments", births),
            ("total_telephone_numbers_all_segments", phones),
        ):
            self.counts[name] += value
        ecoa = b.lane(seg.pos("ecoa_code").offset, 1)[where]
        self.ecoa += np.bincount(ecoa, minlength=1 << 8)

    def add(self, chunk: Chunk, p: Prepared) -> None:
        """The totals of a prepared block's records."""
        others = np.flatnonzero(~p.simple)
        self.complex_records += len(others)
        if len(others):
            records = [reference_record(chunk, p.start + i) for i in others.tolist()]
            ends = Segment("header", {}), Segment("trailer", {})
            extra = trailer_totals(Metro2File(ends[0], records, ends[1], block_count=0))
            for name in ("total_base_records", "block_count"):
                extra.pop(name)
            self.counts.update(extra)
        status = p.b.lane(BASE_AT.pos("account_status").offset, 2)[p.simple]
        self.status += np.bincount(status, minlength=1 << 16)
        self.counts["total_consumer_segments_j1"] += int(p.has_j1.sum())
        self.people(p.b, BASE_AT, p.simple, "base")
        self.people(p.b, J1_AT, p.has_j1, "j1")

    def match(self, ends: Ends) -> bool:
        """Whether the trailer's totals are the records' (the file is read)."""
        trailer = decode_segment("trailer", ends.trailer[: BASE.length])[0]
        expected = Counter(self.counts)
        status_fields = {c: f"total_status_code_{c.lower()}" for c in TRAILER_STATUS_CODES}
        for lane in np.flatnonzero(self.status).tolist():
            code = lane.to_bytes(2, "little").decode("ascii").rstrip(" ")
            if code in status_fields:
                expected[status_fields[code]] += int(self.status[lane])
        for byte in np.flatnonzero(self.ecoa).tolist():
            if chr(byte).rstrip(" ") == "Z":
                expected["total_ecoa_code_z"] += int(self.ecoa[byte])
        expected["total_base_records"] = ends.count
        expected["block_count"] = ends.blocks
        return all(
            trailer.number(name) == expected.get(name, 0)
            for name in TRAILER_TOTAL_FIELDS
            if name != "reserved_1"
        )


def prepare(chunk: Chunk, rows: int, totals: Totals) -> list[Prepared]:
    """The blocks of a chunk, ``rows`` records each, prepared; their totals counted."""
    out = []
    for start in range(0, chunk.n, rows):
        stop = min(start + rows, chunk.n)
        b = Block(chunk.rec[start:stop])
        if _stray(b):
            raise NotOurs("a second header, or a trailer before the end")
        simple, has_j1 = shapes(b, chunk.lengths[start:stop])
        base_ssn, base_present = ssn_values(b, BASE_AT, simple)
        j1_ssn, j1_present = ssn_values(b, J1_AT, has_j1)
        p = Prepared(b, start, stop, simple, has_j1, base_ssn, base_present, j1_ssn, j1_present)
        totals.add(chunk, p)
        out.append(p)
    return out


def distinct_ssns(blocks: list[Prepared]) -> Ints:
    """The distinct SSNs furnished in the blocks' records (sorted)."""
    parts = [np.zeros(0, np.int64)]
    for p in blocks:
        parts += [p.base_ssn[p.base_present], p.j1_ssn[p.j1_present]]
    return np.unique(np.concatenate(parts))
