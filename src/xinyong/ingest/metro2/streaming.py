"""Read a Metro 2 file a window at a time: its data records, in bounded memory.

:func:`~xinyong.ingest.metro2.reader.read` parses a whole file in memory;
a file larger than memory must stream. :class:`Metro2Stream` reads the file a
block at a time and frames it with the reader's own framer one step (a block
or an unblocked record) at a time, over a window that always holds at least
two descriptor-word lengths ahead of the step, so every step sees what it
would see in the whole buffer. Units go to the reader's own assembler, so
records, offsets, raw bytes and messages are the reader's.

Records are given out as they are framed; whether the file is acceptable as
a whole is known only at its end. The whole-file faults keep the reader's
order of precedence, which is not file order: a byte that is not ASCII
anywhere in a character file outranks a framing fault, which outranks a unit
out of place (a second header, data after the trailer), which outranks a
missing trailer, which outranks a trailer that does not add up. So a byte
that is not ASCII is raised where it is found (nothing outranks it), any
other fault is held while framing (and the ASCII scan) goes on to the end,
and the one the reader would report is raised there; nothing is given out
after a held fault. The consumer must therefore treat the records as
provisional until the iteration ends: the ingest pipeline writes them into
a ledger batch that only appears, by one rename, once they are all through,
and is discarded on an exception.

One pass, not a first pass that checks and a second that gives out: a file
larger than memory is larger than the page cache too, so a second pass
would read it from disk and parse it again, for every file, where the one
pass costs extra only on a file refused at its end (its records checked and
written, then discarded).
"""

from __future__ import annotations

import bisect
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from xinyong.ingest.metro2.model import Detection, Frame, Metro2FileError, Record, Segment
from xinyong.ingest.metro2.reader import (
    _BLANK_FILE,
    _WHY_BYTES,
    _Assembler,
    _check_ascii,
    _Framer,
    _Unit,
    _why_not_metro2,
    detect,
)
from xinyong.ingest.metro2.trailer import TrailerTally, mismatches

READ_BYTES: Final = 1 << 20
"""Bytes read from the file at a time."""
MARGIN: Final = 1 << 18
"""Buffer kept ahead of a framer step: a step reads at most two descriptor-word
lengths past its start (9,999 bytes each in character files, 65,535 packed)."""
_LINE_BREAK = re.compile(rb"[\r\n]")


def _end_without(stream: io.BufferedIOBase, size: int, blank: bytes) -> int:
    """The length of the file's first ``size`` bytes less their trailing run of ``blank`` bytes.

    Read backwards a block at a time: only the run is read.
    """
    end = size
    while end > 0:
        start = max(0, end - READ_BYTES)
        stream.seek(start)
        kept = len(stream.read(end - start).rstrip(blank))
        if kept:
            return start + kept
        end = start
    return 0


class _Window:
    """The reader's buffer (a character file's bytes less line breaks), a window of it.

    ``buf`` holds buffer positions ``base`` onwards; :meth:`where` maps a
    buffer position to its file offset as the reader's ``_OffsetMap`` does,
    from the line breaks not yet forgotten.
    """

    def __init__(self, stream: io.BufferedIOBase, limit: int, *, packed: bool) -> None:
        self.stream = stream
        self.left = limit
        """File bytes still to read (a packed file's trailing line breaks are not its)."""
        self.packed = packed
        self.buf = b""
        self.base = 0
        self.eof = limit == 0
        self._kept_before: list[int] = []
        """For each line break not yet forgotten: the buffer bytes before it."""
        self._passed = 0
        """Line breaks forgotten (all before ``base``)."""

    @property
    def end(self) -> int:
        """The buffer position after the last byte read."""
        return self.base + len(self.buf)

    def where(self, pos: int) -> int:
        """The file offset of buffer position ``pos`` (from ``base - 1`` on)."""
        return pos + self._passed + bisect.bisect_right(self._kept_before, pos)

    def fill(self) -> None:
        """Read the next block; refuse a character file at a byte that is not ASCII."""
        raw = self.stream.read(min(READ_BYTES, self.left))
        self.left -= len(raw)
        self.eof = not raw or self.left == 0
        start = self.end
        if not self.packed:
            breaks = [m.start() for m in _LINE_BREAK.finditer(raw)]
            if breaks:
                # As ``_OffsetMap``: the buffer bytes before each line break removed.
                self._kept_before += [start + at - j for j, at in enumerate(breaks)]
                raw = raw.replace(b"\r", b"").replace(b"\n", b"")
            _check_ascii(raw, start, self.where)
        self.buf += raw

    def ensure(self, pos: int) -> None:
        """Read until :data:`MARGIN` bytes past ``pos`` are held, or the file ends."""
        while not self.eof and self.end - pos < MARGIN:
            self.fill()

    def forget(self, pos: int) -> None:
        """Drop the buffer before ``pos``: framing never looks back.

        :meth:`where` still maps ``pos - 1`` (a missing trailer's message names it).
        """
        self.buf = self.buf[pos - self.base :]
        self.base = pos
        passed = bisect.bisect_right(self._kept_before, pos - 1)
        self._passed += passed
        del self._kept_before[:passed]

    def drain(self) -> None:
        """Read the rest of the file: for the ASCII check, and the buffer's full length."""
        while not self.eof:
            self.fill()
            self.forget(self.end)


class Metro2Stream:
    """A Metro 2 file, bytes or on disk, read a window at a time.

    Iterate :meth:`records` to the end; after that the header, trailer,
    block count and :meth:`trailer_mismatches` are those of
    :func:`~xinyong.ingest.metro2.reader.read` for the same bytes.
    """

    def __init__(self, source: bytes | Path) -> None:
        self.source = source
        self.detection: Detection | None = None
        self.header: Segment | None = None
        self.header_frame: Frame | None = None
        self.trailer: Segment | None = None
        self.trailer_frame: Frame | None = None
        self.block_count = 0
        self.tally = TrailerTally()

    def records(self) -> Iterator[Record]:
        """The data records in file order; a whole-file fault raises after the last one.

        Raises :class:`Metro2FileError` with the message
        :func:`~xinyong.ingest.metro2.reader.read` gives for the same bytes.
        """
        stream: io.BufferedIOBase
        stream = (
            io.BytesIO(self.source) if isinstance(self.source, bytes) else self.source.open("rb")
        )
        with stream:
            yield from self._records(stream)

    def _records(self, stream: io.BufferedIOBase) -> Iterator[Record]:
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        head = stream.read(_WHY_BYTES)
        detection = self.detection = detect(head)
        if detection is None:
            blank = _end_without(stream, size, _BLANK_FILE) == 0
            raise _why_not_metro2(head, blank=blank)
        packed = detection.format == "metro2_packed"
        blocked = detection.variant == "variable"
        # The reader's buffer: packed, the bytes less trailing line breaks; framed
        # up to its last byte that is not blank (file offset ``content_end``).
        limit = _end_without(stream, size, b"\r\n") if packed else size
        content_end = _end_without(stream, limit, b" \x00" if packed else b" \r\n")
        stream.seek(0)
        window = _Window(stream, limit, packed=packed)
        framer = _Framer(b"", packed=packed, where=lambda p: window.where(p + window.base))
        assembler = _Assembler(packed=packed, where=window.where)
        held: Metro2FileError | None = None
        """A unit out of place: raised at the end unless a framing fault outranks it."""
        pos = 0
        while True:
            window.ensure(pos)
            if window.where(pos) >= content_end:
                break
            framer.buf = window.buf
            try:
                after = framer.step(pos - window.base, blocked=blocked)
            except Metro2FileError:
                window.drain()  # a byte that is not ASCII outranks the framing fault
                raise
            framer.notes.clear()  # tolerances: kept by ``read`` for people, not an outcome
            for unit in framer.units:
                if held is not None:
                    break
                start = window.base + unit.start
                body = window.buf[unit.start : unit.end]
                absolute = _Unit(start, window.base + unit.end, unit.rdw, unit.bdw)
                try:
                    record = assembler.take(absolute, body)
                except Metro2FileError as exc:
                    held = exc
                    continue
                if record is not None:
                    self.tally.add(record)
                    yield record
            framer.units.clear()
            pos = window.base + after
            if pos - window.base >= READ_BYTES:
                window.forget(pos)
        self.block_count = framer.blocks
        if held is not None:
            raise held
        window.drain()  # trailing blanks: the buffer's length is in a missing trailer's message
        self.header, self.header_frame = assembler.header, assembler.header_frame
        self.trailer, self.trailer_frame = assembler.trailer(window.end)

    def trailer_mismatches(self) -> list[str]:
        """One message per trailer total that disagrees with the records (after :meth:`records`)."""
        if self.trailer is None:
            raise RuntimeError("the records have not all been read")
        return mismatches(self.trailer, self.tally.result(self.block_count))
