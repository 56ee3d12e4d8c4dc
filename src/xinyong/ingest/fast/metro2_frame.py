"""Metro 2 character files cut into chunks of records, as NumPy matrices, in one pass.

Most files are fixed-length with every record as long as the header says
(what :func:`xinyong.ingest.metro2.write` and most furnishers produce),
perhaps each followed by the same line break: record ``i`` then sits at
``i * stride``, and a chunk of records is the file's bytes reshaped
(:class:`Uniform`). Whether a file really is so (every descriptor word the
header's, every line break the same, only printable ASCII) is checked chunk
by chunk as it is read.

Any other file (variable-length blocks, records of different lengths, stray
line breaks), or the rest of a fixed one from the first chunk that is not
uniform, is framed by the reference reader's own framer a window at a time
(:class:`Streamed`): line breaks removed, one block (or unblocked record) per
framer step, file offsets mapped back as the reader maps them. Either way
memory holds a chunk or two of records, never the file.

A file the reference reader refuses or reads otherwise (a framing error, a
byte that is not printable ASCII, a second header, data after the trailer,
no trailer) raises :class:`NotOurs` at the chunk where that shows, before
the chunk is given out: the reference path then decides, with its own error.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from xinyong.ingest.metro2.layout import BASE
from xinyong.ingest.metro2.model import Metro2FileError
from xinyong.ingest.metro2.reader import _Framer

from .metro2_fields import BLOCK_WIDTH, Bytes, Ints

READ_BYTES: Final = 1 << 20
"""Bytes read from the file at a time by :class:`Streamed`."""
MARGIN: Final = 1 << 15
"""Framed bytes kept ahead of a framer step: it reads at most two 4-digit lengths ahead."""


class NotOurs(Exception):
    """The reference reader refuses this file or reads it otherwise: it must decide."""


@dataclass
class Chunk:
    """Consecutive data records: their text (blank-padded rows), lengths and file offsets."""

    first_no: int
    rec: Bytes
    lengths: Ints
    offsets: Ints

    @property
    def n(self) -> int:
        return int(self.rec.shape[0])

    def raw(self, i: int) -> bytes:
        """The ``i``-th record's own bytes (line breaks removed)."""
        return self.rec[i, : int(self.lengths[i])].tobytes()


def row_width(longest: int) -> int:
    """The width of a block holding records of up to ``longest`` bytes: whole 8-byte words."""
    return max(-(-longest // 8) * 8, BLOCK_WIDTH)


def printable(data: bytes | Bytes) -> bool:
    """Whether every byte is printable ASCII (0x20-0x7E)."""
    array = np.frombuffer(data, np.uint8) if isinstance(data, bytes) else data
    return array.size == 0 or (int(array.min()) >= 0x20 and int(array.max()) <= 0x7E)


def _open(source: bytes | Path) -> io.BufferedIOBase:
    """The file as a stream (``BytesIO`` over bytes: ``readinto`` copies, no slicing)."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return source.open("rb")


@dataclass
class Ends:
    """What framing tells of the whole file: header, trailer, data records and blocks.

    The trailer, the count and the blocks are final once the chunks are exhausted.
    """

    header: bytes = b""
    trailer: bytes = b""
    count: int = 0
    blocks: int = 0


class Uniform:
    """A fixed-length file: header, data records and trailer, one stride apart."""

    def __init__(self, source: bytes | Path, width: int, stride: int, count: int) -> None:
        self.source = source
        self.width = width
        self.stride = stride
        self._count = count
        self.ends = Ends(self._read(0, width), self._read((count + 1) * stride, width))
        self.ends.count, self.ends.blocks = count, count + 2  # each record its own block

    @property
    def newline(self) -> bytes:
        return self._read(0, self.stride)[self.width :]

    def _read(self, start: int, size: int) -> bytes:
        if isinstance(self.source, bytes):
            return self.source[start : start + size]
        with self.source.open("rb") as f:
            f.seek(start)
            return f.read(size)

    def _uniform_ends(self) -> bool:
        """Header and trailer each one printable record of the common width, then the end."""
        word, ends = b"%04d" % self.width, (self.ends.header, self.ends.trailer)
        after = self._read((self._count + 1) * self.stride + self.width, self.stride)
        return (
            all(e[:4] == word and printable(e) for e in ends)
            and self.ends.header[4:10] == b"HEADER"
            and self.ends.trailer[4:11] == b"TRAILER"
            and after in (b"", self.newline)
        )

    def chunks(self, rows: int, keep: int = 1) -> Iterator[Chunk]:
        """The data records, ``rows`` at a time; from the first irregular chunk on, framed.

        The chunks' memory is reused: a chunk stays valid while the consumer
        holds at most ``keep`` later ones (fresh pages cost as much as the copy).
        """
        if not self._uniform_ends():
            yield from self._framed_from(0, rows)
            return
        word, newline = b"%04d" % self.width, self.newline
        rows = max(1, min(rows, self._count))
        lengths = np.full(rows, self.width, np.int64)
        width = row_width(self.width)
        read = bytearray(rows * self.stride)
        pool = [np.full((rows, width), ord(" "), np.uint8) for _ in range(keep + 1)]
        with _open(self.source) as stream:
            stream.seek(self.stride)
            for k, first in enumerate(range(0, self._count, rows)):
                n = min(rows, self._count - first)
                view = memoryview(read)[: n * self.stride]
                matrix = np.frombuffer(view, np.uint8).reshape(-1, self.stride)
                body = matrix[:, : self.width]
                if not (
                    stream.readinto(view) == n * self.stride
                    and (not newline or (matrix[:, self.width :] == list(newline)).all())
                    and (body[:, :4] == np.frombuffer(word, np.uint8)).all()
                    and printable(body)
                ):
                    yield from self._framed_from(first, rows)
                    return
                rec = pool[k % len(pool)][:n]
                rec[:, : self.width] = body  # the padding stays blank
                offsets = (np.arange(first, first + n, dtype=np.int64) + 1) * self.stride
                yield Chunk(first + 1, rec, lengths[:n].copy(), offsets)

    def _framed_from(self, first: int, rows: int) -> Iterator[Chunk]:
        """The records from the ``first``-th on, framed by the reader's framer.

        Up to there the file was uniform: the reader's framer, run over the
        whole file, would stand at this record with one block per record read.
        """
        if first == 0:
            rest = Streamed(self.source, blocked=False)
        else:
            ends = Ends(self.ends.header, b"", first, first + 1)
            rest = Streamed(self.source, blocked=False, start=(first + 1) * self.stride, ends=ends)
        self.ends = rest.ends
        yield from rest.chunks(rows)


class Streamed:
    """A file framed by the reference reader's framer, a window at a time.

    Positions are in the stream without line breaks, from ``start``; the
    file offset of a position is found as the reader's ``_OffsetMap`` finds
    it, from the removed line breaks still ahead of the framing.
    """

    def __init__(
        self, source: bytes | Path, *, blocked: bool, start: int = 0, ends: Ends | None = None
    ) -> None:
        self.source = source
        self.blocked = blocked
        self.start = start
        self.ends = ends if ends is not None else Ends()
        self._header_due = ends is None
        self._buf = b""
        self._base = 0
        """The position of ``_buf[0]``."""
        self._read_at = 0
        """Bytes of the file read, from ``start``."""
        self._removed = 0
        self._kept_before = np.zeros(0, np.int64)
        """For each line break not yet passed: the bytes kept before it (``_OffsetMap``)."""
        self._passed = 0
        self._eof = False
        self._bodies: list[bytes] = []
        """The data records framed since the last chunk."""
        self._starts: list[int] = []
        """Their positions, until their file offsets are found (:meth:`_forget`)."""
        self._offsets: list[int] = []

    def where(self, pos: int) -> int:
        """The file offset of position ``pos`` (in the reader's messages)."""
        ahead = int(np.searchsorted(self._kept_before, pos, side="right"))
        return self.start + pos + self._passed + ahead

    def _fill(self, stream: io.BufferedIOBase) -> None:
        raw = stream.read(READ_BYTES)
        if not raw:
            self._eof = True
            return
        array = np.frombuffer(raw, np.uint8)
        breaks = np.flatnonzero((array == 0x0A) | (array == 0x0D))
        if breaks.size:
            kept = self._read_at + breaks - (self._removed + np.arange(breaks.size))
            self._kept_before = np.concatenate([self._kept_before, kept])
            self._removed += int(breaks.size)
            raw = raw.replace(b"\r", b"").replace(b"\n", b"")
        self._read_at += len(array)
        if not printable(raw):
            raise NotOurs("a byte that is not printable ASCII")
        self._buf += raw

    def _ahead(self, stream: io.BufferedIOBase, pos: int) -> bool:
        """Read enough past ``pos`` for one framer step; whether any record is left there.

        The reader frames up to the last byte that is not a blank.
        """
        while not self._eof and len(self._buf) - (pos - self._base) < MARGIN:
            self._fill(stream)
        at = pos - self._base
        if self._buf[at : at + 8].strip(b" "):  # a descriptor word: the usual case
            return True
        while True:
            if self._buf[at:].strip(b" "):
                return True
            if self._eof:
                return False
            self._fill(stream)

    def _forget(self, pos: int) -> None:
        """Drop what lies before ``pos``: framing never looks back.

        The file offsets of the records framed so far are found first.
        """
        starts = np.array(self._starts, np.int64)
        ahead = np.searchsorted(self._kept_before, starts, side="right")
        self._offsets += (self.start + starts + self._passed + ahead).tolist()
        self._starts = []
        self._buf = self._buf[pos - self._base :]
        self._base = pos
        passed = int(np.searchsorted(self._kept_before, pos, side="right"))
        self._passed += passed
        self._kept_before = self._kept_before[passed:]

    def chunks(self, rows: int, keep: int = 1) -> Iterator[Chunk]:
        """The data records, ``rows`` at a time (``keep`` as :meth:`Uniform.chunks`)."""
        ends = self.ends
        framer = _Framer(b"", packed=False, where=lambda p: self.where(p + self._base))
        framer.blocks = ends.blocks
        pos = 0
        with _open(self.source) as stream:
            stream.seek(self.start)
            while self._ahead(stream, pos):
                at, stop = pos - self._base, len(self._buf) - (0 if self._eof else MARGIN)
                while at < stop and len(self._bodies) < rows:
                    end = self._whole(at)
                    if not end:
                        break
                    self._unit(at + 4 if self.blocked else at, end)
                    framer.blocks += 1
                    at = end
                if at == pos - self._base:  # not the usual record or block: the reader frames it
                    framer.buf = self._buf
                    try:
                        at = framer.step(at, blocked=self.blocked)
                    except Metro2FileError as exc:
                        raise NotOurs(str(exc)) from exc
                    for unit in framer.units:
                        self._unit(unit.start, unit.end)
                    framer.units.clear()
                    framer.notes.clear()  # tolerances noted by the reader: not an outcome
                pos = at + self._base
                if len(self._bodies) >= rows:
                    yield self._chunk(pos)
                elif pos - self._base > 4 * READ_BYTES:
                    self._forget(pos)
        ends.blocks = framer.blocks
        if not ends.trailer or ends.header[4:10] != b"HEADER":
            raise NotOurs("no trailer record")
        if self._bodies:
            yield self._chunk(pos)

    def _whole(self, at: int) -> int:
        """The end of the unit at ``at`` where it is the usual one, as the reader frames it.

        Fixed: a record whose descriptor word is at least the base segment's
        length. Variable: a block holding one such record and nothing else
        (BDW = RDW + 4), not the trailer (which the reader frames apart).
        Else 0: the reader's framer decides.
        """
        buf = self._buf
        word = buf[at : at + 4]
        if not word.isdigit():
            return 0
        size = int(word)
        if self.blocked:
            rdw = buf[at + 4 : at + 8]
            if not rdw.isdigit() or int(rdw) + 4 != size or buf[at + 4 : at + 11] == b"TRAILER":
                return 0
            size -= 4
        if size < BASE.length or at + size + 4 * self.blocked > len(buf):
            return 0
        return at + size + 4 * self.blocked

    def _unit(self, start: int, end: int) -> None:
        """A framed unit: the header, a data record or the trailer."""
        body, ends = self._buf[start:end], self.ends
        if self._header_due:
            ends.header, self._header_due = body, False
        elif ends.trailer or body[4:10] == b"HEADER":
            raise NotOurs("data after the trailer, or a second header")
        elif body[4:11] == b"TRAILER":
            ends.trailer = body
        else:
            self._bodies.append(body)
            self._starts.append(start + self._base)

    def _chunk(self, pos: int) -> Chunk:
        """The records framed so far, as a chunk; what lies before ``pos`` is forgotten."""
        self._forget(pos)
        bodies, offsets = self._bodies, np.array(self._offsets, np.int64)
        lengths = np.array([len(b) for b in bodies], np.int64)
        rec = np.full((len(bodies), row_width(int(lengths.max()))), ord(" "), np.uint8)
        rec[np.arange(rec.shape[1]) < lengths[:, None]] = np.frombuffer(b"".join(bodies), np.uint8)
        chunk = Chunk(self.ends.count + 1, rec, lengths, offsets)
        self.ends.count += len(bodies)
        self._bodies, self._offsets = [], []
        return chunk


Frame = Uniform | Streamed


def frame_of(source: bytes | Path, size: int, head: bytes, variant: str) -> Frame:
    """The file as a :class:`Uniform` one where its size and first record allow it."""
    uniform = _uniform(source, size, head) if variant == "fixed" else None
    return uniform if uniform is not None else Streamed(source, blocked=variant == "variable")


def _uniform(source: bytes | Path, size: int, head: bytes) -> Uniform | None:
    if not head[:4].isdigit():
        return None
    width = int(head[:4])
    if width < 426:
        return None
    after = head[width : width + 2]
    newline = b"\r\n" if after == b"\r\n" else after[:1] if after[:1] in (b"\r", b"\n") else b""
    stride = width + len(newline)
    if size % stride == 0:
        units = size // stride
    elif newline and (size + len(newline)) % stride == 0:
        units = (size + len(newline)) // stride  # no line break after the trailer
    else:
        return None
    if units < 2:
        return None
    return Uniform(source, width, stride, units - 2)
