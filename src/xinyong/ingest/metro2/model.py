"""Data classes for a parsed Metro 2 file.

A :class:`Segment` keeps every field as its fixed-width *character* text,
exactly as it appears in a character-format file (packed fields are decoded
into that same text). Keeping the text rather than typed values is what lets
the validator report a malformed field instead of the reader choking on it,
and lets the writer reproduce a record byte for byte. Typed views
(:meth:`Segment.value`, :meth:`Segment.number`, :meth:`Segment.date`) are
computed on demand.

Framing (offsets, descriptor words, raw bytes) is carried alongside but left
out of equality, so ``read(write(f)) == f`` compares content, not layout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from xinyong.errors import UserError
from xinyong.ingest.metro2.layout import APPENDAGES, CHARACTER_LAYOUTS, Field, Layout

Format = Literal["metro2", "metro2_packed"]
Variant = Literal["fixed", "variable"]
Value = str | int | dt.date | dt.datetime | None


class Metro2FileError(UserError, ValueError):
    """The bytes are not a readable Metro 2 file as a whole.

    Raised for encoding, framing and structure problems (truncation, missing
    header or trailer, not Metro 2 at all). The message names the byte offset
    in the original file; ``offset`` holds it too.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule in one field of one segment.

    ``rule`` is a stable code (e.g. ``"required"``, ``"date_order"``) that a
    rejection report or a furnisher's tooling can key on; ``message`` is for
    people.
    """

    segment: str
    field: str
    rule: str
    message: str


class Detection(NamedTuple):
    """What :func:`~xinyong.ingest.metro2.reader.detect` found."""

    format: Format
    variant: Variant
    """``fixed``: records framed by their RDW only (IBM fixed-block style);
    ``variable``: blocks introduced by block descriptor words."""


def _format_value(f: Field, value: Value) -> str:
    """Fixed-width character text for ``value`` in field ``f``."""
    width = f.length
    if value is None:
        return " " * width if f.kind == "alphanumeric" else "0" * width
    if f.kind == "alphanumeric":
        text = str(value)
        if len(text) > width:
            raise ValueError(f"{f.name}: {text!r} is longer than {width} characters")
        return text.ljust(width)
    if isinstance(value, dt.datetime):
        if f.kind != "timestamp":
            raise ValueError(f"{f.name}: a datetime needs a timestamp field")
        v = value
        return f"{v.month:02d}{v.day:02d}{v.year:04d}{v.hour:02d}{v.minute:02d}{v.second:02d}"
    if isinstance(value, dt.date):
        if f.kind != "date":
            raise ValueError(f"{f.name}: a date needs a date field")
        return f"{value.month:02d}{value.day:02d}{value.year:04d}"
    if isinstance(value, int):
        if value < 0 or len(str(value)) > width:
            raise ValueError(f"{f.name}: {value} does not fit {width} digits")
        return str(value).zfill(width)
    if len(value) != width:
        raise ValueError(f"{f.name}: raw text {value!r} must be exactly {width} characters")
    return value


def parse_date(text: str) -> dt.date | None:
    """``MMDDYYYY`` as a date; ``None`` for zeros, blanks or a non-date."""
    if len(text) != 8 or not text.isdigit() or text == "00000000":
        return None
    try:
        return dt.date(int(text[4:]), int(text[:2]), int(text[2:4]))
    except ValueError:
        return None


def parse_timestamp(text: str) -> dt.datetime | None:
    """``MMDDYYYYHHMMSS`` as a naive datetime; ``None`` if absent or invalid."""
    if len(text) != 14 or not text.isdigit() or int(text) == 0:
        return None
    day = parse_date(text[:8])
    if day is None:
        return None
    try:
        return dt.datetime(
            day.year, day.month, day.day, int(text[8:10]), int(text[10:12]), int(text[12:14])
        )
    except ValueError:
        return None


@dataclass(frozen=True)
class Segment:
    """One segment (header, base, trailer or an appendage) as field texts."""

    name: str
    """``header``, ``base``, ``trailer`` or an identifier ``J1`` .. ``N1``."""
    values: dict[str, str]
    """Every data field (not descriptor words) as its fixed-width text."""

    @property
    def layout(self) -> Layout:
        """The character layout this segment's texts follow."""
        return CHARACTER_LAYOUTS[self.name]

    @classmethod
    def build(cls, name: str, values: Mapping[str, Value] | None = None, **kw: Value) -> Segment:
        """A segment from typed values; unnamed fields are blank or zero-filled.

        Strings for alphanumeric fields are left-justified; for other kinds a
        string is taken as raw text and must have the field's exact width (this
        is how tests plant malformed values). Ints are zero-padded, dates and
        datetimes formatted. Raises ``ValueError`` when a value does not fit.
        """
        lay = CHARACTER_LAYOUTS[name]
        given: dict[str, Value] = {**(values or {}), **kw}
        unknown = set(given) - {f.name for f in lay.data_fields}
        if unknown:
            raise ValueError(f"{name} has no field(s) {sorted(unknown)}")
        if name in APPENDAGES:
            given.setdefault("segment_identifier", name)
        elif name in ("header", "trailer"):
            given.setdefault("record_identifier", name.upper())
        return cls(name, {f.name: _format_value(f, given.get(f.name)) for f in lay.data_fields})

    def replace(self, **kw: Value) -> Segment:
        """A copy with some fields changed (same conventions as :meth:`build`)."""
        lay = self.layout
        new = dict(self.values)
        for key, value in kw.items():
            new[key] = _format_value(lay.field(key), value)
        return Segment(self.name, new)

    def raw(self, name: str) -> str:
        """The field's text exactly as stored."""
        return self.values[name]

    def text(self, name: str) -> str:
        """The field's text without trailing blanks."""
        return self.values[name].rstrip(" ")

    def is_blank(self, name: str) -> bool:
        """Whether the field is entirely blank."""
        return self.values[name].strip(" ") == ""

    def number(self, name: str) -> int | None:
        """The field as a non-negative integer; ``None`` unless all digits."""
        text = self.values[name]
        return int(text) if text.isascii() and text.isdigit() else None

    def date(self, name: str) -> dt.date | None:
        """The field as a date; ``None`` when zero-filled, blank or invalid."""
        return parse_date(self.values[name])

    def timestamp(self, name: str) -> dt.datetime | None:
        """The field as a datetime; ``None`` when zero-filled or invalid."""
        return parse_timestamp(self.values[name])

    def value(self, name: str) -> Value:
        """The field as a typed value according to its layout kind."""
        kind = self.layout.field(name).kind
        if kind == "numeric":
            return self.number(name)
        if kind == "date":
            return self.date(name)
        if kind == "timestamp":
            return self.timestamp(name)
        return self.text(name)

    def as_dict(self) -> dict[str, Value]:
        """Every data field as a typed value (for reports and JSON)."""
        return {f.name: self.value(f.name) for f in self.layout.data_fields}


@dataclass(frozen=True)
class Record:
    """One data record: a base segment and its appended segments.

    ``record_no`` is the 1-based position among data records; ``offset`` the
    byte offset of its record descriptor word in the original file; ``raw``
    the record's bytes (line breaks removed), kept so the ingest pipeline can
    store or quote a rejected record verbatim. ``problems`` are structural
    faults found while splitting the record into segments (unknown or
    misordered segments, undecodable packed values); :func:`validate_record`
    reports them together with the field rules.
    """

    base: Segment
    segments: list[Segment] = field(default_factory=list)
    record_no: int = 0
    offset: int = field(default=0, compare=False)
    raw: bytes = field(default=b"", compare=False, repr=False)
    rdw: int | None = field(default=None, compare=False)
    bdw: int | None = field(default=None, compare=False)
    problems: tuple[Violation, ...] = field(default=(), compare=False)

    def appendages(self, name: str) -> list[Segment]:
        """The appended segments with identifier ``name``, in file order."""
        return [s for s in self.segments if s.name == name]

    def appendage(self, name: str) -> Segment | None:
        """The first appended segment with identifier ``name``, if any."""
        for s in self.segments:
            if s.name == name:
                return s
        return None


@dataclass(frozen=True, slots=True)
class Frame:
    """Where a header or trailer record sat in the file."""

    offset: int
    rdw: int | None
    bdw: int | None = None


@dataclass(frozen=True)
class Metro2File:
    """A whole Metro 2 file: header, data records and trailer.

    ``block_count`` is the number of physical blocks the reader saw (``None``
    for a file built in memory); ``notes`` lists irregularities the reader
    tolerated, such as moov-io's inconsistent descriptor words.
    """

    header: Segment
    records: list[Record]
    trailer: Segment
    format: Format = field(default="metro2", compare=False)
    variant: Variant = field(default="fixed", compare=False)
    header_frame: Frame | None = field(default=None, compare=False)
    trailer_frame: Frame | None = field(default=None, compare=False)
    block_count: int | None = field(default=None, compare=False)
    notes: tuple[str, ...] = field(default=(), compare=False)
