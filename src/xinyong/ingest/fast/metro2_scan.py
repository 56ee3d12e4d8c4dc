"""The first scan of a Metro 2 file: is it one the reference reader takes, and do its totals add up?

Everything that decides between the vectorised path and the reference
reader is settled here, before any outcome exists: no second header and no
trailer before the end, printable ASCII (checked while framing,
:mod:`metro2_frame`), not mostly records outside the vectorised shapes, and
the trailer totals recomputed from the records as
``trailer.trailer_totals`` does (records of other shapes by that function
itself). The scan also hands each block's SSNs to the :class:`SsnBook`, so
their validation starts at once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from xinyong.ingest.metro2.codec import decode_segment
from xinyong.ingest.metro2.layout import BASE, TRAILER_STATUS_CODES, TRAILER_TOTAL_FIELDS
from xinyong.ingest.metro2.model import Metro2File, Record, Segment
from xinyong.ingest.metro2.reader import _parse_record
from xinyong.ingest.metro2.trailer import trailer_totals

from .metro2_fields import (
    BASE_AT,
    J1_AT,
    PEOPLE_NUMERIC,
    SIMPLE_WIDTH,
    Block,
    Bools,
    Ints,
    SegmentAt,
)
from .metro2_frame import Chunk, Framed, Uniform, printable
from .metro2_gates import has_ssn
from .metro2_ids import SsnBook

COMPLEX_SHARE: Final = 0.25
COMPLEX_MINIMUM: Final = 1000
"""Above this share (and number) of records outside the vectorised shapes, the
reference path takes the whole file: checking them one by one is its work anyway."""

Frame = Uniform | Framed


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


@dataclass
class _Totals:
    """Trailer totals as the scan goes: counters, and code histograms resolved at the end."""

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

    def resolve(self, count: int, blocks: int) -> Counter[str]:
        """The totals, with the code histograms read the way the reference reads codes."""
        out = Counter(self.counts)
        status_fields = {c: f"total_status_code_{c.lower()}" for c in TRAILER_STATUS_CODES}
        for lane in np.flatnonzero(self.status).tolist():
            code = lane.to_bytes(2, "little").decode("ascii").rstrip(" ")
            if code in status_fields:
                out[status_fields[code]] += int(self.status[lane])
        for byte in np.flatnonzero(self.ecoa).tolist():
            if chr(byte).rstrip(" ") == "Z":
                out["total_ecoa_code_z"] += int(self.ecoa[byte])
        out["total_base_records"] = count
        out["block_count"] = blocks
        return out


def _scan_chunk(
    chunk: Chunk, totals: _Totals, book: SsnBook, ends: tuple[Segment, Segment], rows: int
) -> bool:
    ssns = []
    for start in range(0, chunk.n, rows):
        b = Block(chunk.rec[start : start + rows], PEOPLE_NUMERIC)
        if _stray(b):
            return False
        simple, has_j1 = shapes(b, chunk.lengths[start : start + rows])
        others = np.flatnonzero(~simple)
        totals.complex_records += len(others)
        if len(others):
            records = [reference_record(chunk, start + i) for i in others.tolist()]
            extra = trailer_totals(Metro2File(ends[0], records, ends[1], block_count=0))
            for name in ("total_base_records", "block_count"):
                extra.pop(name)
            totals.counts.update(extra)
        status = b.lane(BASE_AT.pos("account_status").offset, 2)[simple]
        totals.status += np.bincount(status, minlength=1 << 16)
        totals.counts["total_consumer_segments_j1"] += int(has_j1.sum())
        totals.people(b, BASE_AT, simple, "base")
        totals.people(b, J1_AT, has_j1, "j1")
        for seg, where in ((BASE_AT, simple), (J1_AT, has_j1)):
            number, present = ssn_values(b, seg, where)
            ssns.append(number[present])
    book.add(np.unique(np.concatenate(ssns)) if ssns else np.zeros(0, np.int64))
    return True


def scan(frame: Frame, book: SsnBook, chunk_rows: int, block_rows: int) -> bool:
    """The first scan; False where the reference must decide (it then refuses the file).

    Raises :class:`metro2_frame.NotUniform` when a fixed-length file turns out
    not to be one stride throughout.
    """
    if frame.header[4:10] != b"HEADER" or frame.trailer[4:11] != b"TRAILER":
        return False
    if not printable(frame.header) or not printable(frame.trailer):
        return False
    header = decode_segment("header", frame.header[: BASE.length])[0]
    trailer = decode_segment("trailer", frame.trailer[: BASE.length])[0]
    totals = _Totals()
    limit = max(COMPLEX_MINIMUM, COMPLEX_SHARE * frame.count)
    for chunk in frame.chunks(chunk_rows):
        if not _scan_chunk(chunk, totals, book, (header, trailer), block_rows):
            return False
        if totals.complex_records > limit:
            return False
    book.freeze()
    expected = totals.resolve(frame.count, frame.blocks)
    return all(
        trailer.number(name) == expected.get(name, 0)
        for name in TRAILER_TOTAL_FIELDS
        if name != "reserved_1"
    )
