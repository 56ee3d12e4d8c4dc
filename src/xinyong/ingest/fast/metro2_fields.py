"""Fields of fixed-width Metro 2 records as NumPy vectors, computed in bulk.

A block of records is an ``(n, width)`` ``uint8`` matrix, one record per row,
blank-padded to a multiple of 8 bytes. Any 8 bytes of a record, for all
records at once, are one strided gather of unaligned 8-byte loads (a view of
the matrix with a stride of one record): a "lane", as a ``uint64`` vector
contiguous over the records. What the rules need is computed from lanes with
a few integer operations for whole groups of fields at a time (SIMD within a
register), as ``(fields, n)`` matrices:

* all digits, all blanks, all zeros (:func:`_all_digits`, comparisons);
* the number or the date the digits spell, eight digits at a time
  (:func:`_parse8`);
* whether a 1- or 2-byte value is in a set, by a lookup table that Python
  fills by evaluating the reference's own predicate on every printable value
  (:func:`truth_table`), so the table cannot disagree with it.

Lanes are little-endian: a field's first character is a lane's lowest byte.
Only printable ASCII reaches here (the file check sends anything else to the
reference reader), which the digit test relies on: no byte is above 0x7E,
so adding 0x46 or 0x50 to each byte never carries into the next byte.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from xinyong.ingest.metro2.layout import BASE, J1, Field, Layout

Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Bytes = npt.NDArray[np.uint8]
Words = npt.NDArray[np.uint64]

PRINTABLE: Final = range(0x20, 0x7F)
SUB_ROWS: Final = 1024
"""Records per step of the numeric facts: their temporaries fit in a core's cache."""
_DAYS_IN_MONTH: Final = np.array([0, *(calendar.monthrange(2001, m)[1] for m in range(1, 13))])
"""Days in each month (index 1-12) of a common year; February 29th is handled apart."""
_MONTH_START: Final = np.concatenate([[0], np.cumsum(_DAYS_IN_MONTH[:-1])])
"""Days before each month (index 1-12) of a common year."""


@dataclass(frozen=True, slots=True)
class Pos:
    """A field of a segment at its position in the record (0-based ``offset``)."""

    segment: str
    field: Field
    offset: int

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def length(self) -> int:
        return self.field.length

    @property
    def numeric(self) -> bool:
        """Digits by layout: numbers, dates and timestamps."""
        return self.field.kind in ("numeric", "date", "timestamp")


class SegmentAt:
    """A segment layout placed in the record: the base at 0, a J1 right after it."""

    def __init__(self, layout: Layout, offset: int) -> None:
        self.layout = layout
        self.offset = offset
        self._positions = {
            f.name: Pos(layout.name, f, offset + f.start - 1) for f in layout.data_fields
        }

    @property
    def name(self) -> str:
        return self.layout.name

    def pos(self, name: str) -> Pos:
        return self._positions[name]

    def positions(self) -> list[Pos]:
        return list(self._positions.values())


BASE_AT: Final = SegmentAt(BASE, 0)
J1_AT: Final = SegmentAt(J1, BASE.length)
SIMPLE_WIDTH: Final = BASE.length + J1.length
"""A base segment and one J1: the widest record the vectorised checks read."""
BLOCK_WIDTH: Final = -(-SIMPLE_WIDTH // 8) * 8
"""The narrowest block: records padded to whole words."""


def _rep(byte: int, size: int = 8) -> int:
    """``byte`` repeated in the ``size`` lowest bytes of an integer."""
    return int.from_bytes(bytes([byte]) * size, "little")


_MASKS: Final = np.array([(1 << (8 * k)) - 1 for k in range(9)], np.uint64)


def _mask(size: Any) -> Any:
    """The ``size`` (0 to 8) lowest bytes set, for a scalar or an array of sizes."""
    return _MASKS[size]


def _all_digits(lane: Words) -> Bools:
    """Whether every byte of 8-byte lanes is an ASCII digit (bytes are at most 0x7E)."""
    high = np.uint64(_rep(0x80))
    at_least_0 = lane + np.uint64(_rep(0x50))  # high bit set where a byte is >= 0x30
    above_9 = lane + np.uint64(_rep(0x46))  # high bit set where a byte is > 0x39
    out: Bools = (at_least_0 & ~above_9 & high) == high
    return out


def _parse8(lane: Words) -> Ints:
    """Eight ASCII digits (first digit in the lowest byte) as their number."""
    v = lane - np.uint64(_rep(0x30))
    v = (v * np.uint64(10) + (v >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    v = (v * np.uint64(100) + (v >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    v = (v * np.uint64(10000) + (v >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return v.astype(np.int64)


def _year_tables() -> tuple[Ints, Bools]:
    """Days from 1970-01-01 to January 1st of every year 1-9999, and which years are leap."""
    years = range(1, 10000)
    epoch = dt.date(1970, 1, 1).toordinal()
    starts = np.zeros(10000, np.int64)
    starts[1:] = [dt.date(y, 1, 1).toordinal() - epoch for y in years]
    leap = np.zeros(10000, np.bool_)
    leap[1:] = [calendar.isleap(y) for y in years]
    return starts, leap


_YEAR_START, _LEAP = _year_tables()


def days_from_civil(year: Ints, month: Ints, day: Ints) -> Ints:
    """Days since 1970-01-01 of valid dates (``datetime.date`` and Arrow ``date32`` agree)."""
    y, m = np.clip(year, 0, 9999), np.clip(month, 0, 12)
    out: Ints = _YEAR_START[y] + _MONTH_START[m] + ((m > 2) & _LEAP[y]) + day - 1
    return out


def calendar_ok(year: Ints, month: Ints, day: Ints) -> Bools:
    """Whether ``datetime.date(year, month, day)`` exists (years 1 to 9999)."""
    month_ok = (month >= 1) & (month <= 12)
    days = _DAYS_IN_MONTH[np.where(month_ok, month, 0)]
    ok: Bools = month_ok & (year >= 1) & (day >= 1) & (day <= days)
    feb29 = np.nonzero((month == 2) & (day == 29))
    if feb29[0].size:
        ok[feb29] = (year[feb29] >= 1) & _LEAP[np.clip(year[feb29], 0, 9999)]
    return ok


@cache
def truth_table(size: int, predicate: Callable[[str], bool]) -> Bools:
    """``predicate`` of every printable text of ``size`` (1 or 2) bytes, indexed by its value.

    Unprintable values (never seen: the file check refuses them) are False.
    """
    table = np.zeros(1 << (8 * size), np.bool_)
    if size == 1:
        for b in PRINTABLE:
            table[b] = predicate(chr(b))
    else:
        for b0 in PRINTABLE:
            for b1 in PRINTABLE:
                table[b0 | (b1 << 8)] = predicate(chr(b0) + chr(b1))
    return table


@dataclass(frozen=True)
class _Truths:
    """``predicate`` of the texts of ``size`` bytes met so far, indexed by their value."""

    size: int
    predicate: Callable[[str], bool]
    table: Bools
    known: Bools


@cache
def _truths(size: int, predicate: Callable[[str], bool]) -> _Truths:
    n = 1 << (8 * size)
    return _Truths(size, predicate, np.zeros(n, np.bool_), np.zeros(n, np.bool_))


def truths(size: int, predicate: Callable[[str], bool], values: Words) -> Bools:
    """``predicate`` of each value's text (1 or 2 bytes), as :func:`truth_table` has it.

    The predicate is evaluated once per distinct value ever met, not for all
    9,025 printable 2-byte texts up front (a third of a CPU-second per process
    for the code lists); unprintable values are False, as there.
    """
    t = _truths(size, predicate)
    missing = ~t.known[values]
    if missing.any():
        for value in np.unique(values[missing]).tolist():
            raw = int(value).to_bytes(size, "little")
            ok = all(byte in PRINTABLE for byte in raw) and predicate(raw.decode("ascii"))
            t.table[value] = ok
            t.known[value] = True
    out: Bools = t.table[values]
    return out


@dataclass(frozen=True)
class Dates:
    """A date field: where ``Segment.date`` gives a date, and that date's parts."""

    valid: Bools
    year: Ints
    month: Ints
    day: Ints

    @property
    def ordinal(self) -> Ints:
        """``year * 10000 + month * 100 + day``: compares as the dates do."""
        out: Ints = self.year * 10000 + self.month * 100 + self.day
        return out

    def days(self, rows: npt.NDArray[np.intp]) -> Ints:
        """Days since 1970-01-01 (Arrow ``date32``) of ``rows``, meaningful where ``valid``."""
        return days_from_civil(self.year[rows], self.month[rows], self.day[rows])


@dataclass(frozen=True)
class _Plan:
    """Where the lanes of a group of fields are: 8 record bytes from ``start``, of which
    ``size`` bytes from ``skip`` belong to the field (its first, or for a long number its
    last, part); ``first[i]`` is the first lane of the group's ``i``-th field."""

    fields: tuple[Pos, ...]
    start: Ints
    skip: Ints
    size: Ints
    first: Ints

    @cached_property
    def row(self) -> dict[int, int]:
        """The group row of a field, by its offset."""
        return {p.offset: i for i, p in enumerate(self.fields)}

    @cached_property
    def two(self) -> Ints:
        """The fields with two lanes (their second lane follows their first)."""
        return np.flatnonzero(np.diff(np.append(self.first, len(self.start))) == 2)

    @cached_property
    def dated(self) -> Ints:
        """The date and timestamp fields (their first lane is ``MMDDYYYY``)."""
        kinds = [p.field.kind for p in self.fields]
        return np.array([i for i, k in enumerate(kinds) if k in ("date", "timestamp")], np.intp)

    @cached_property
    def valued(self) -> Ints:
        """The fields whose number is read (dates are read as dates instead)."""
        kinds = [p.field.kind for p in self.fields]
        return np.array([i for i, k in enumerate(kinds) if k != "date"], np.intp)

    @cached_property
    def valued_two(self) -> Ints:
        """The rows among :attr:`valued` of the fields with two lanes."""
        return np.flatnonzero(np.isin(self.valued, self.two))

    @cached_property
    def two_scale(self) -> Ints:
        """For each of :attr:`valued_two`: ten to the number of digits of its second lane."""
        second = self.first[self.valued[self.valued_two]] + 1
        out: Ints = (10 ** self.size[second]).astype(np.int64)[:, None]
        return out

    @cached_property
    def value_row(self) -> dict[int, int]:
        """The row among :attr:`valued` of a field, by its offset."""
        return {self.fields[i].offset: j for j, i in enumerate(self.valued.tolist())}

    @cached_property
    def date_row(self) -> dict[int, int]:
        """The row among :attr:`dated` of a date field, by its offset."""
        return {self.fields[i].offset: j for j, i in enumerate(self.dated.tolist())}

    def per_field(self, lanes: Bools) -> Bools:
        """A test of every lane to one of every field: all its lanes pass."""
        out: Bools = lanes[self.first]
        out[self.two] &= lanes[self.first[self.two] + 1]
        return out


def _numeric_plan(fields: Sequence[Pos]) -> _Plan:
    """Numbers up to 16 digits: 8 digits and then the rest, each right-aligned in its lane."""
    start: list[int] = []
    skip: list[int] = []
    size: list[int] = []
    first: list[int] = []
    for pos in fields:
        first.append(len(start))
        o, n = pos.offset, pos.length
        if n > 16:
            raise ValueError(f"{pos.name}: numbers of more than 16 digits are not laned")
        if n > 8:
            start += [o, o + n - 8]
            skip += [0, 16 - n]
            size += [8, n - 8]
        else:
            begin = max(0, o + n - 8)
            start.append(begin)
            skip.append(o - begin)
            size.append(n)
    return _Plan(tuple(fields), *(np.array(v, np.int64) for v in (start, skip, size, first)))


def _first_plan(fields: Sequence[Pos], width: int) -> _Plan:
    """The first (up to) 8 bytes of every field."""
    start = [min(p.offset, width - 8) for p in fields]
    skip = [p.offset - s for p, s in zip(fields, start, strict=True)]
    size = [min(p.length, 8 - k) for p, k in zip(fields, skip, strict=True)]
    first = list(range(len(fields)))
    return _Plan(tuple(fields), *(np.array(v, np.int64) for v in (start, skip, size, first)))


ALL_FIELDS: Final = (*BASE_AT.positions(), *J1_AT.positions())
NUMERIC: Final = _numeric_plan([p for p in ALL_FIELDS if p.numeric])
"""Every numeric field of a base and a J1 segment."""
PEOPLE_NUMERIC: Final = _numeric_plan(
    [
        s.pos(n)
        for s in (BASE_AT, J1_AT)
        for n in ("social_security_number", "date_birth", "telephone_number")
    ]
)
"""What the trailer totals count of each consumer: SSN, birth date, telephone."""
FIRST: Final = _first_plan(
    [p for p in ALL_FIELDS if not p.numeric and not p.name.startswith("reserved")], BLOCK_WIDTH
)
"""Every text field (codes, names, identifiers) but fillers."""


@dataclass
class NumericFacts:
    """Every numeric, date and timestamp field of a block, as ``(fields, n)`` matrices."""

    plan: _Plan
    part: Words
    """Each lane's field bytes, at the bottom of the lane."""
    digits: Bools
    zeros: Bools
    blank: Bools
    undecodable: Bools
    """All ``?`` (``codec.UNDECODABLE``): the reference rules skip such fields."""
    value: Ints
    month: Ints
    day: Ints
    year: Ints
    date_ok: Bools
    """Date and timestamp fields (rows of ``plan.dated``): the first 8 digits are a
    real ``MMDDYYYY`` date (``model.parse_date``)."""

    @classmethod
    def empty(cls, plan: _Plan, n: int) -> NumericFacts:
        fields, lanes, dated = len(plan.fields), len(plan.start), len(plan.dated)

        def ints(rows: int) -> Ints:
            return np.empty((rows, n), np.int64)

        def bools(rows: int) -> Bools:
            return np.empty((rows, n), np.bool_)

        return cls(
            plan,
            np.empty((lanes, n), np.uint64),
            digits=bools(fields),
            zeros=bools(fields),
            blank=bools(fields),
            undecodable=bools(fields),
            value=ints(len(plan.valued)),
            month=ints(dated),
            day=ints(dated),
            year=ints(dated),
            date_ok=bools(dated),
        )

    def fill(self, raw: Words, at: slice) -> None:
        """The facts of records ``at`` from their lanes ``raw`` (``plan.start``)."""
        plan = self.plan
        size = plan.size.astype(np.uint64)[:, None]
        part = (raw >> (plan.skip.astype(np.uint64)[:, None] * np.uint64(8))) & _mask(size)
        self.part[:, at] = part
        top = (np.uint64(8) - size) * np.uint64(8)
        fill = np.uint64(_rep(0x30)) & ~(_mask(size) << top)
        # The field's bytes at the top of the lane, '0' below: a right-aligned number.
        number = (part << top) | fill
        valued = plan.first[plan.valued]
        value = _parse8(number[valued])
        two = plan.valued_two
        if len(two):
            second = valued[two] + 1
            value[two] = value[two] * plan.two_scale + _parse8(number[second])
        self.value[:, at] = value
        dated = number[plan.first[plan.dated]]
        pairs = (dated - np.uint64(_rep(0x30))) * np.uint64(10) + (
            (dated - np.uint64(_rep(0x30))) >> np.uint64(8)
        )
        pairs_i = pairs.astype(np.int64)
        month, day = pairs_i & 0xFF, (pairs_i >> 16) & 0xFF
        year = ((pairs_i >> 32) & 0xFF) * 100 + ((pairs_i >> 48) & 0xFF)
        self.month[:, at], self.day[:, at], self.year[:, at] = month, day, year
        digits = _all_digits(number)
        self.digits[:, at] = plan.per_field(digits)
        self.zeros[:, at] = plan.per_field(number == np.uint64(_rep(0x30)))
        for matrix, byte in ((self.blank, ord(" ")), (self.undecodable, ord("?"))):
            matrix[:, at] = plan.per_field(part == (np.uint64(_rep(byte)) & _mask(size)))
        self.date_ok[:, at] = digits[plan.first[plan.dated]] & calendar_ok(year, month, day)


class Block:
    """A block of records and the field facts computed from it, each computed once."""

    def __init__(self, rec: Bytes, numeric: _Plan = NUMERIC) -> None:
        """``numeric``: the numeric fields to read (all, unless a scan needs only a few)."""
        n, width = rec.shape
        if not rec.flags.c_contiguous or width < BLOCK_WIDTH or width % 8:
            raise ValueError("a block is a C-contiguous (n, 8k >= 528) uint8 matrix")
        self.rec = rec
        self.n = n
        self.width = width
        self._at: Words = np.ndarray((width - 7, n), "<u8", rec, 0, (1, width))
        """Every unaligned 8 bytes of every record, a view: row ``s``, the bytes at ``s``."""
        self.plan = numeric
        self._memo: dict[tuple[object, ...], Any] = {}

    def memo(self, key: tuple[object, ...], make: Callable[[], Any]) -> Any:
        """``make()``, computed once per block for ``key``."""
        value = self._memo.get(key)
        if value is None:
            value = self._memo[key] = make()
        return value

    def lanes(self, starts: Ints) -> Words:
        """The 8 bytes at each of ``starts`` of every record: a ``(len(starts), n)`` matrix.

        One strided gather of unaligned 8-byte loads (starts up to ``width - 8``).
        """
        out: Words = self._at[starts]
        return out

    def lane(self, offset: int, size: int) -> Words:
        """The ``size`` (1 to 8) bytes at ``offset`` of every record, as one integer each."""

        def make() -> Words:
            start = min(offset, self.width - 8)
            raw = self.lanes(np.array([start]))[0] >> np.uint64(8 * (offset - start))
            out: Words = raw & _mask(size) if size < 8 else raw
            return out

        result: Words = self.memo(("lane", offset, size), make)
        return result

    def span_filled(self, start: int, stop: int, byte: int) -> Bools:
        """Whether bytes ``start:stop`` of every record are all ``byte`` (True if empty)."""
        if stop <= start:
            return np.ones(self.n, np.bool_)
        starts = np.arange(start, stop, 8)
        starts = np.minimum(starts, stop - 8) if stop - start >= 8 else starts
        sizes = np.minimum(stop - starts, 8)
        lanes = self.lanes(np.minimum(starts, self.width - 8))
        shift = ((starts - np.minimum(starts, self.width - 8)) * 8).astype(np.uint64)[:, None]
        masks = _mask(sizes)[:, None]
        out: Bools = (((lanes >> shift) & masks) == (np.uint64(_rep(byte)) & masks)).all(axis=0)
        return out

    @cached_property
    def numeric(self) -> NumericFacts:
        """Digits, zeros, values and dates of every numeric field, in bulk.

        Computed :data:`SUB_ROWS` records at a time: the dozen temporaries of
        a few dozen lanes each then stay in the core's cache (for a whole
        block they would not, and memory traffic would be most of the cost).
        """
        plan = self.plan
        facts = NumericFacts.empty(plan, self.n)
        for start in range(0, self.n, SUB_ROWS):
            at = slice(start, min(start + SUB_ROWS, self.n))
            facts.fill(self._at[:, at][plan.start], at)
        return facts

    @cached_property
    def _first(self) -> Words:
        """The first (up to) 8 bytes of every field, each lane's field bytes at the bottom."""
        plan = FIRST
        shift = plan.skip.astype(np.uint64)[:, None] * np.uint64(8)
        mask = _mask(plan.size.astype(np.uint64)[:, None])
        out: Words = np.empty((len(plan.start), self.n), np.uint64)
        for start in range(0, self.n, SUB_ROWS):  # in the core's cache, as :attr:`numeric`
            at = slice(start, min(start + SUB_ROWS, self.n))
            raw = self._at[:, at][plan.start]
            np.right_shift(raw, shift, out=raw)
            np.bitwise_and(raw, mask, out=out[:, at])
        return out

    def _numeric_row(self, pos: Pos) -> int | None:
        return self.plan.row.get(pos.offset) if pos.numeric else None

    def first_lane(self, pos: Pos) -> Words:
        """The field's first (up to) 8 bytes as one integer per record."""
        row = self._numeric_row(pos)
        if row is not None:
            part: Words = self.numeric.part[self.plan.first[row]]
            return part
        first = FIRST.row.get(pos.offset)
        if first is None:  # a filler field: read on its own
            return self.lane(pos.offset, min(pos.length, 8))
        out: Words = self._first[first]
        return out

    def digits(self, pos: Pos) -> Bools:
        """Whether the field is all ASCII digits (``str.isdigit`` on printable ASCII)."""
        row = self._numeric_row(pos)
        if row is not None:
            out: Bools = self.numeric.digits[row]
            return out
        return self.memo(("digits", pos.offset), lambda: self._spans(pos, _all_digits))  # type: ignore[no-any-return]

    def _spans(self, pos: Pos, test: Callable[[Words], Bools]) -> Bools:
        """``test`` of every byte of the field (lanes padded with '0' beyond it)."""
        out = np.ones(self.n, np.bool_)
        for start in range(pos.offset, pos.offset + pos.length, 8):
            size = min(8, pos.offset + pos.length - start)
            lane = self.lane(start, size)
            if size < 8:
                lane = lane | (np.uint64(_rep(0x30)) & ~_mask(size))
            out &= test(lane)
        return out

    def filled(self, pos: Pos, char: str) -> Bools:
        """Whether the field is ``char`` repeated."""
        row = self._numeric_row(pos)
        if row is not None and char in " 0?":
            facts = self.numeric
            matrix = {" ": facts.blank, "0": facts.zeros, "?": facts.undecodable}[char]
            out: Bools = matrix[row]
            return out
        byte = ord(char)

        def make() -> Bools:
            maybe: Bools = self.first_lane(pos) == (
                np.uint64(_rep(byte)) & _mask(min(pos.length, 8))
            )
            if pos.length <= 8 or not maybe.any():
                return maybe
            rows = np.flatnonzero(maybe)
            if 8 * len(rows) > self.n:  # many (a J1 field where most records have none)
                out: Bools = maybe & self.span_filled(pos.offset, pos.offset + pos.length, byte)
                return out
            # Longer fields: the rest only where the first 8 bytes already match.
            rest = self.rec[rows, pos.offset : pos.offset + pos.length]
            maybe[rows] = (rest == byte).all(axis=1)
            return maybe

        result: Bools = self.memo(("filled", pos.offset, byte), make)
        return result

    def blank(self, pos: Pos) -> Bools:
        return self.filled(pos, " ")

    def any_blank(self, fields: Sequence[Pos]) -> Bools:
        """Whether any of ``fields`` is blank, first lanes in bulk, the rest where needed."""
        out = np.zeros(self.n, np.bool_)
        for pos in fields:
            if pos.numeric:
                out |= self.blank(pos)
        fields = [p for p in fields if not p.numeric]
        rows = np.array([FIRST.row[p.offset] for p in fields], np.intp)
        sizes = FIRST.size[rows]
        maybe = self._first[rows] == (np.uint64(_rep(0x20)) & _mask(sizes))[:, None]
        for i in np.flatnonzero(maybe.any(axis=1)).tolist():
            out |= maybe[i] if fields[i].length == sizes[i] else self.blank(fields[i])
        return out

    def zeros(self, pos: Pos) -> Bools:
        return self.filled(pos, "0")

    def zeros_or_blanks(self, pos: Pos) -> Bools:
        """Whether the field holds only '0' and ' ' (``raw.strip("0 ") == ""``).

        OR-ing 0x10 into a byte maps exactly ' ' (0x20) and '0' (0x30) to 0x30.
        """
        return self.memo(  # type: ignore[no-any-return]
            ("zeros_or_blanks", pos.offset),
            lambda: self._spans(
                pos, lambda lane: (lane | np.uint64(_rep(0x10))) == np.uint64(_rep(0x30))
            ),
        )

    def number(self, pos: Pos) -> Ints:
        """The number the field's digits spell; meaningless where not :meth:`digits`."""
        if self._numeric_row(pos) is None:
            raise ValueError(f"{pos.name} is not a numeric field read in this block")
        out: Ints = self.numeric.value[self.plan.value_row[pos.offset]]
        return out

    def dates(self, pos: Pos) -> Dates:
        """``MMDDYYYY`` in the field's first 8 bytes, as ``model.parse_date`` reads it."""
        row = self._numeric_row(pos)
        if row is None:
            raise ValueError(f"{pos.name} is not a date field")
        facts, row = self.numeric, self.plan.date_row[pos.offset]
        return Dates(facts.date_ok[row], facts.year[row], facts.month[row], facts.day[row])

    def time_of_day(self, pos: Pos) -> tuple[Ints, Ints, Ints]:
        """Hours, minutes and seconds of a ``MMDDYYYYHHMMSS`` timestamp."""
        if pos.field.kind != "timestamp":
            raise ValueError(f"{pos.name} is not a timestamp")
        clock = self.number(pos) % 1_000_000
        return clock // 10000, clock // 100 % 100, clock % 100

    def lookup(self, pos: Pos, predicate: Callable[[str], bool]) -> Bools:
        """``predicate(raw text)`` of a 1- or 2-byte field, by its truth table (:func:`truths`)."""
        return truths(pos.length, predicate, self.first_lane(pos))

    def text(self, pos: Pos) -> Bytes:
        """The field's bytes as an ``(n, length)`` contiguous matrix."""

        def make() -> Bytes:
            # A structured view copies the field as whole items (a row-by-row slice
            # copy goes byte by byte).
            item = np.dtype(
                {"names": ["f"], "formats": [f"V{pos.length}"], "offsets": [pos.offset],
                 "itemsize": self.width}
            )  # fmt: skip
            field = self.rec.view(item).reshape(self.n)["f"]
            out: Bytes = field.copy().view(np.uint8).reshape(self.n, pos.length)
            return out

        result: Bytes = self.memo(("text", pos.offset, pos.length), make)
        return result

    def raw(self, row: int, pos: Pos) -> str:
        """One record's field text (for the rare per-record look)."""
        return self.rec[row, pos.offset : pos.offset + pos.length].tobytes().decode("ascii")

    def per_row(self, rows: npt.NDArray[np.intp], pos: Pos, test: Callable[[str], bool]) -> Bools:
        """``test`` of the field text of ``rows`` only (Python, for rare rows), False elsewhere."""
        out = np.zeros(self.n, np.bool_)
        for row in rows.tolist():
            out[row] = test(self.raw(row, pos))
        return out
