"""Read a Metro 2 file (character or packed) into a :class:`Metro2File`.

The reader separates two kinds of fault, as the ingest pipeline needs:

* whole-file faults (wrong encoding, truncation, a missing header or trailer,
  framing that does not add up, not Metro 2 at all) raise
  :class:`Metro2FileError` with one message naming the byte offset;
* field and segment faults inside a data record never raise: the record
  keeps its raw bytes and its structural ``problems``, and
  :func:`~xinyong.ingest.metro2.rules.validate_record` reports them with all
  field-rule violations so the furnisher gets one complete rejection.

:func:`read` parses bytes whole; :mod:`.streaming` reads a file of any size
a window at a time through the same framer (:meth:`_Framer.step`) and the
same assembly of units into records (:class:`_Assembler`), so both give the
same records and the same messages.

Framing. Every record starts with its record descriptor word (RDW, the
record length including the RDW). In a *variable* (blocked) file each block
starts with a block descriptor word (BDW, the block length including the
BDW) and holds one or more records; unused block space is blank-filled. In
a *fixed* file there are no BDWs and records may be blank-padded beyond their
segments (the CRRG asks for a header as long as the data records). Character
files may have line breaks anywhere; they are removed before framing (they
can never be data) and offsets in messages refer to the original bytes.

Tolerances for moov-io/metro2 output (each reported in ``Metro2File.notes``
when it applies):

* its trailer carries no BDW even in blocked files, so in a blocked file a
  record whose RDW is followed by ``TRAILER`` is read as an unblocked record;
* for a record alone in its block it writes a BDW that is smaller than the
  record (``unpacked_variable_file.dat``: BDW 0426, RDW 1000, 1000 bytes on
  the line including the BDW). When the first record of a block overruns the
  block, the reader takes the RDW as counted from the start of the block.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

from xinyong.ingest.metro2.codec import decode_segment, read_descriptor
from xinyong.ingest.metro2.layout import (
    APPENDAGE_ORDER,
    APPENDAGES,
    REPEATABLE_APPENDAGES,
    layout,
)
from xinyong.ingest.metro2.model import (
    Detection,
    Frame,
    Metro2File,
    Metro2FileError,
    Record,
    Segment,
    Violation,
)
from xinyong.ingest.metro2.trailer import trailer_mismatches, trailer_totals

__all__ = [
    "detect",
    "parse_data_record",
    "parse_segment",
    "read",
    "trailer_mismatches",
    "trailer_totals",
]

_NOT_ASCII = re.compile(rb"[^\x20-\x7e]")
_EBCDIC_HEADER = "HEADER".encode("cp037")


class _OffsetMap:
    """Maps positions in the line-break-free buffer back to file offsets."""

    def __init__(self, removed: list[int]) -> None:
        # For the j-th removed byte at original position r, r - j is the
        # number of kept bytes before it, i.e. its position in the buffer.
        self._kept_before = [r - j for j, r in enumerate(removed)]

    def __call__(self, pos: int) -> int:
        return pos + bisect.bisect_right(self._kept_before, pos)


def _strip_line_breaks(data: bytes) -> tuple[bytes, _OffsetMap]:
    removed = [m.start() for m in re.finditer(rb"[\r\n]", data)]
    if not removed:
        return data, _OffsetMap([])
    return data.replace(b"\r", b"").replace(b"\n", b""), _OffsetMap(removed)


def detect(data: bytes) -> Detection | None:
    """Whether ``data`` is a Metro 2 file, and which format and variant.

    Looks only at the start of the file: the header's record identifier
    ``HEADER`` sits after the RDW (offset 4) or after BDW and RDW (offset 8);
    the descriptor words are ASCII digits in character format and binary
    (two length bytes, two zero bytes) in packed format.
    """
    for offset, variant in ((4, "fixed"), (8, "variable")):
        if data[offset : offset + 6] != b"HEADER":
            continue
        words = [data[i : i + 4] for i in range(0, offset, 4)]
        if all(w.isdigit() for w in words):
            return Detection("metro2", "fixed" if variant == "fixed" else "variable")
        if all(w[2:4] == b"\x00\x00" for w in words):
            return Detection("metro2_packed", "fixed" if variant == "fixed" else "variable")
    return None


_BLANK_FILE = b" \r\n\x00"
"""Bytes of a file that holds nothing at all."""
_WHY_BYTES = 16
"""How much of a file's start :func:`_why_not_metro2` looks at."""


def _why_not_metro2(data: bytes, *, blank: bool) -> Metro2FileError:
    """The clearest whole-file error for a file that :func:`detect` rejects.

    ``data``: the file's first :data:`_WHY_BYTES` bytes (or all of it);
    ``blank``: whether the whole file is made of :data:`_BLANK_FILE` bytes.
    """
    if blank:
        return Metro2FileError("empty file: no Metro 2 header record at offset 0", 0)
    if data.startswith(b"\xef\xbb\xbf"):
        return Metro2FileError(
            "UTF-8 byte-order mark at offset 0: Metro 2 files are plain ASCII", 0
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Metro2FileError(
            "UTF-16 byte-order mark at offset 0: Metro 2 files are plain ASCII", 0
        )
    for offset in (4, 8):
        if data[offset : offset + 6] == _EBCDIC_HEADER:
            return Metro2FileError(
                f"EBCDIC-encoded file (HEADER in code page 037 at offset {offset}): "
                "Metro 2 is accepted in ASCII only; convert the file first",
                offset,
            )
    if data[:4].isdigit() and (data[4:11] == b"TRAILER" or data[8:15] == b"TRAILER"):
        return Metro2FileError("header record missing: the record at offset 0 is the trailer", 0)
    if data[:4].isdigit():
        return Metro2FileError(
            "header record missing: the record at offset 0 is not a HEADER record "
            "(expected 'HEADER' at offset 4, or at offset 8 after a block descriptor word)",
            0,
        )
    return Metro2FileError(
        "not a Metro 2 file: no record descriptor word and 'HEADER' identifier at offset 0", 0
    )


@dataclass(slots=True)
class _Unit:
    """One physical record found by framing (positions in the buffer)."""

    start: int
    end: int
    rdw: int
    bdw: int | None


def _is_padding(chunk: bytes, *, packed: bool) -> bool:
    return not chunk.strip(b" \x00" if packed else b" ")


class _Framer:
    """Splits a buffer into records using descriptor words."""

    def __init__(self, buf: bytes, *, packed: bool, where: Callable[[int], int]) -> None:
        self.buf = buf
        self.packed = packed
        self.where = where
        self.min_length = layout("base", packed=packed).length
        self.units: list[_Unit] = []
        self.blocks = 0
        self.notes: list[str] = []

    def _word_name(self) -> str:
        return "a binary descriptor word" if self.packed else "4 ASCII digits"

    def _rdw(self, pos: int) -> int:
        rdw = read_descriptor(self.buf, pos, packed=self.packed)
        if rdw is None:
            found = self.buf[pos : pos + 4]
            raise Metro2FileError(
                f"record descriptor word at offset {self.where(pos)} is not {self._word_name()} "
                f"(found {found!r})",
                self.where(pos),
            )
        if rdw < self.min_length:
            raise Metro2FileError(
                f"record at offset {self.where(pos)} declares {rdw} bytes, "
                f"less than the {self.min_length}-byte minimum record",
                self.where(pos),
            )
        return rdw

    def _check_end(self, pos: int, end: int, declared: int, what: str) -> None:
        n = len(self.buf)
        if end > n:
            raise Metro2FileError(
                f"truncated file: the {what} at offset {self.where(pos)} declares {declared} bytes "
                f"but only {n - pos} remain (file ends at offset {self.where(n - 1) + 1})",
                self.where(pos),
            )

    def _block(self, pos: int) -> int:
        """Read the block at ``pos``; return the position after it."""
        bdw = read_descriptor(self.buf, pos, packed=self.packed)
        if bdw is None or bdw < 8:
            raise Metro2FileError(
                f"block descriptor word at offset {self.where(pos)} is not {self._word_name()} "
                f"(found {self.buf[pos : pos + 4]!r})",
                self.where(pos),
            )
        block_end = pos + bdw
        p, first = pos + 4, True
        while True:
            rdw = self._rdw(p)
            end = p + rdw
            if first and end > block_end and pos + rdw - p >= self.min_length:
                end = pos + rdw  # moov-io writes RDW counted from the block start
                block_end = max(block_end, end)
                self.notes.append(
                    f"block at offset {self.where(pos)} declares {bdw} bytes but its record "
                    f"declares {rdw}; read as moov-io writes it (RDW counted from the block start)"
                )
            self._check_end(p, end, rdw, "record")
            if end > block_end:
                raise Metro2FileError(
                    f"record at offset {self.where(p)} declares {rdw} bytes, past the end of its "
                    f"block at offset {self.where(block_end - 1) + 1}",
                    self.where(p),
                )
            self.units.append(_Unit(p, end, rdw, bdw if first else None))
            p, first = end, False
            if p >= block_end or _is_padding(self.buf[p:block_end], packed=self.packed):
                break
        self._check_end(pos, block_end, bdw, "block")
        return block_end

    def run(self, *, blocked: bool) -> None:
        buf, pos = self.buf, 0
        # Blank (or, packed, NUL) fill after the last record is tolerated.
        content_end = len(buf.rstrip(b" \x00" if self.packed else b" "))
        while pos < content_end:
            pos = self.step(pos, blocked=blocked)

    def step(self, pos: int, *, blocked: bool) -> int:
        """Frame the block (or unblocked record) at ``pos``; return the position after it.

        One step at a time, so that a stream can be framed a window at a time
        (``fast.metro2_frame``): a step reads at most two descriptor-word
        lengths (9,999 bytes each) past ``pos``.
        """
        self.blocks += 1
        if blocked and self.buf[pos + 4 : pos + 11] != b"TRAILER":
            return self._block(pos)
        if blocked:
            self.notes.append(
                f"trailer record at offset {self.where(pos)} has no block descriptor word "
                "(as moov-io writes it)"
            )
        rdw = self._rdw(pos)
        self._check_end(pos, pos + rdw, rdw, "record")
        self.units.append(_Unit(pos, pos + rdw, rdw, None))
        return pos + rdw


def _parse_record(
    content: bytes, *, packed: bool, origin: int
) -> tuple[Segment, list[Segment], list[Violation], list[tuple[int, str]]]:
    """Split one data record into base and appended segments.

    Structural faults become problems, never exceptions: an unknown segment
    identifier or a truncated segment stops the split (the rest stays in the
    raw bytes); repeated or misordered segments are kept and reported. A
    segment whose data is all blank is a fixed-length placeholder and is
    skipped.
    """
    base_len = layout("base", packed=packed).length
    base, problems, bad = decode_segment("base", content[:base_len], packed=packed, origin=origin)
    segments: list[Segment] = []
    q, last_rank, seen = base_len, -1, set[str]()
    while q < len(content):
        rest = content[q:]
        if _is_padding(rest, packed=packed):
            break
        ident = rest[:2].decode("latin-1")
        lay = APPENDAGES.get(ident)
        if lay is None:
            problems.append(
                Violation(
                    "record",
                    "",
                    "unknown_segment",
                    f"unrecognised segment identifier {ident!r} at byte {q + 1} of the record; "
                    f"its last {len(rest)} bytes were not read",
                )
            )
            break
        if len(rest) < lay.length:
            problems.append(
                Violation(
                    ident,
                    "",
                    "segment_truncated",
                    f"{ident} segment at byte {q + 1} needs {lay.length} bytes, "
                    f"the record has {len(rest)} left",
                )
            )
            break
        chunk = rest[: lay.length]
        if not _is_padding(chunk[2:], packed=False):
            seg, seg_problems, seg_bad = decode_segment(ident, chunk, origin=origin + q)
            problems += seg_problems
            bad += seg_bad
            rank = APPENDAGE_ORDER[ident]
            if ident in seen and ident not in REPEATABLE_APPENDAGES:
                problems.append(
                    Violation(
                        ident, "", "segment_repeated", f"{ident} may appear only once per record"
                    )
                )
            elif rank < last_rank:
                problems.append(
                    Violation(
                        ident,
                        "",
                        "segment_order",
                        f"{ident} after a later segment; "
                        "the order is J1, J2, K1, K2, K3, K4, L1, N1",
                    )
                )
            seen.add(ident)
            last_rank = max(last_rank, rank)
            segments.append(seg)
        q += lay.length
    return base, segments, problems, bad


def _raise_not_ascii(bad: list[tuple[int, str]], where: Callable[[int], int], what: str) -> None:
    if bad:
        pos, field = bad[0]
        raise Metro2FileError(
            f"non-ASCII byte at offset {where(pos)} in field {field} of the {what}: "
            "Metro 2 text fields are ASCII",
            where(pos),
        )


class _Assembler:
    """Header, data records and trailer from framed units, taken in file order.

    Shared by :func:`read` and the streaming reader (:mod:`.streaming`), so
    that both refuse a file with the same message. Positions are in the
    line-break-free buffer, ``where`` maps them to file offsets.
    """

    def __init__(self, *, packed: bool, where: Callable[[int], int]) -> None:
        self.packed = packed
        self.where = where
        self.record_len = layout("base", packed=packed).length
        self.header: Segment | None = None
        self.header_frame: Frame | None = None
        self.trailer_unit: _Unit | None = None
        self.trailer_body = b""
        self.count = 0
        """Data records taken so far."""
        self.notes: list[str] = []

    def take(self, unit: _Unit, body: bytes) -> Record | None:
        """The data record in ``unit`` (``body``: its bytes); ``None`` for header and trailer.

        Raises :class:`Metro2FileError` for a unit out of place or text that
        is not ASCII.
        """
        where, packed = self.where, self.packed
        if self.header is None:
            header, _, bad_h = decode_segment("header", body[: self.record_len], packed=packed)
            _raise_not_ascii([(p + unit.start, f) for p, f in bad_h], where, "header record")
            if not _is_padding(body[self.record_len :], packed=packed):
                self.notes.append(
                    f"header record at offset {where(unit.start)} has non-blank data "
                    f"after byte {self.record_len}"
                )
            self.header = header
            self.header_frame = Frame(where(unit.start), unit.rdw, unit.bdw)
            return None
        if self.trailer_unit is not None:
            raise Metro2FileError(
                f"data after the trailer record, at offset {where(unit.start)}", where(unit.start)
            )
        if body[4:10] == b"HEADER":
            raise Metro2FileError(
                f"second header record at offset {where(unit.start)}: one header per file",
                where(unit.start),
            )
        if body[4:11] == b"TRAILER":
            self.trailer_unit, self.trailer_body = unit, body
            return None
        base, segments, problems, bad_r = _parse_record(body, packed=packed, origin=unit.start)
        _raise_not_ascii(bad_r, where, f"data record {self.count + 1}")
        self.count += 1
        return Record(
            base=base,
            segments=segments,
            record_no=self.count,
            offset=where(unit.start),
            raw=body,
            rdw=unit.rdw,
            bdw=unit.bdw,
            problems=tuple(problems),
        )

    def trailer(self, buffer_end: int) -> tuple[Segment, Frame]:
        """The trailer, once every unit is taken (``buffer_end``: the buffer's length).

        Raises :class:`Metro2FileError` when there is none or its text is not ASCII.
        """
        tu = self.trailer_unit
        if tu is None:
            end = self.where(buffer_end - 1) + 1
            raise Metro2FileError(
                f"trailer record missing: the file ends at offset {end} "
                f"after {self.count} data record(s)",
                end,
            )
        trailer, trailer_problems, bad_t = decode_segment(
            "trailer", self.trailer_body[: self.record_len], packed=self.packed
        )
        _raise_not_ascii([(p + tu.start, f) for p, f in bad_t], self.where, "trailer record")
        self.notes += [f"trailer: {v.field}: {v.message}" for v in trailer_problems]
        return trailer, Frame(self.where(tu.start), tu.rdw, tu.bdw)


def _check_ascii(buf: bytes, start: int, where: Callable[[int], int]) -> None:
    """Refuse a character file with a byte that is not printable ASCII in ``buf``.

    ``start``: the buffer position of ``buf[0]``.
    """
    bad = _NOT_ASCII.search(buf)
    if bad:
        pos = where(start + bad.start())
        raise Metro2FileError(
            f"non-ASCII byte 0x{buf[bad.start()]:02X} at offset {pos}: "
            "Metro 2 character files are ASCII (is the file UTF-8, Latin-1 or EBCDIC?)",
            pos,
        )


def read(data: bytes) -> Metro2File:
    """Parse a whole Metro 2 file.

    Raises :class:`Metro2FileError` for whole-file faults (see the module
    docstring). Per-record faults are kept on each :class:`Record`. A file
    on disk is read a window at a time by :func:`.streaming.records`, with
    the same outcome.
    """
    detection = detect(data)
    if detection is None:
        raise _why_not_metro2(data[:_WHY_BYTES], blank=not data.strip(_BLANK_FILE))
    packed = detection.format == "metro2_packed"
    if packed:
        buf, where = data.rstrip(b"\r\n"), _OffsetMap([])
    else:
        buf, where = _strip_line_breaks(data)
        _check_ascii(buf, 0, where)
    framer = _Framer(buf, packed=packed, where=where)
    framer.run(blocked=detection.variant == "variable")
    assembler = _Assembler(packed=packed, where=where)
    records: list[Record] = []
    for unit in framer.units:
        record = assembler.take(unit, buf[unit.start : unit.end])
        if record is not None:
            records.append(record)
    trailer, trailer_frame = assembler.trailer(len(buf))
    assert assembler.header is not None  # the first unit
    return Metro2File(
        header=assembler.header,
        records=records,
        trailer=trailer,
        format=detection.format,
        variant=detection.variant,
        header_frame=assembler.header_frame,
        trailer_frame=trailer_frame,
        block_count=framer.blocks,
        notes=(*framer.notes, *assembler.notes),
    )


def parse_data_record(data: bytes, *, packed: bool = False) -> Record:
    """Parse one data record on its own (with or without a leading BDW).

    For single-record samples such as moov-io's ``base_segment.dat``, which
    starts with a BDW and is wrapped at 80 columns. Raises
    :class:`Metro2FileError` if the bytes cannot be framed as one record.
    """
    buf, where = (data, _OffsetMap([])) if packed else _strip_line_breaks(data)
    start, bdw = 0, None
    outer = read_descriptor(buf, 0, packed=packed)
    inner = read_descriptor(buf, 4, packed=packed)
    if outer == len(buf) and inner == len(buf) - 4:
        start, bdw = 4, outer
    framer = _Framer(buf, packed=packed, where=where)
    rdw = framer._rdw(start)
    framer._check_end(start, start + rdw, rdw, "record")
    body = buf[start : start + rdw]
    base, segments, problems, bad = _parse_record(body, packed=packed, origin=start)
    _raise_not_ascii(bad, where, "record")
    return Record(base, segments, 1, where(start), body, rdw, bdw, tuple(problems))


def parse_segment(data: bytes) -> Segment:
    """Parse one appended segment (J1 .. N1) identified by its first 2 bytes."""
    buf, _ = _strip_line_breaks(data)
    ident = buf[:2].decode("latin-1")
    lay = APPENDAGES.get(ident)
    if lay is None:
        raise Metro2FileError(f"unknown segment identifier {ident!r} at offset 0", 0)
    if len(buf) < lay.length:
        raise Metro2FileError(f"truncated {ident} segment: {len(buf)} of {lay.length} bytes", 0)
    segment, _, bad = decode_segment(ident, buf[: lay.length])
    if bad:
        raise Metro2FileError(
            f"non-ASCII byte at offset {bad[0][0]} in field {bad[0][1]}", bad[0][0]
        )
    return segment
