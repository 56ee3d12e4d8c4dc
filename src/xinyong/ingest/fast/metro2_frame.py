"""Metro 2 character files cut into blocks of records, as NumPy matrices.

Most files are fixed-length with every record as long as the header says
(what :func:`xinyong.ingest.metro2.write` and most furnishers produce),
perhaps each followed by the same line break: record ``i`` then sits at
``i * stride``, and a block of records is the file's bytes reshaped, read a
block at a time from disk, so memory does not grow with the file
(:class:`Uniform`). Whether a file really is so (every descriptor word the
header's, every line break the same, only printable ASCII) is checked block by
block during the first scan, which raises :class:`NotUniform` otherwise.

Any other file (variable-length blocks, records of different lengths, stray
line breaks) is framed by the reference reader's own framer over the whole
file in memory (:class:`Framed`), exactly as the reference reads it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xinyong.ingest.metro2.model import Metro2FileError
from xinyong.ingest.metro2.reader import _Framer, _OffsetMap, _strip_line_breaks

from .metro2_fields import BLOCK_WIDTH, Bytes, Ints


class NotUniform(Exception):
    """The file is not fixed-length records of one stride: frame it with the reader's framer."""


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


@dataclass
class Uniform:
    """A fixed-length file: header, ``count`` data records and trailer, one stride apart."""

    source: bytes | Path
    width: int
    stride: int
    count: int
    header: bytes
    trailer: bytes

    @property
    def blocks(self) -> int:
        return self.count + 2  # in a fixed file every record is its own block

    @property
    def newline(self) -> bytes:
        return self.header_line[self.width :]

    @property
    def header_line(self) -> bytes:
        return self._read(0, self.stride)

    def _read(self, start: int, size: int) -> bytes:
        if isinstance(self.source, bytes):
            return self.source[start : start + size]
        with self.source.open("rb") as f:
            f.seek(start)
            return f.read(size)

    def chunks(self, rows: int, *, check: bool = True, keep: int = 1) -> Iterator[Chunk]:
        """The data records, ``rows`` at a time; raises :class:`NotUniform` on a deviation.

        ``check=False`` skips the byte checks (a second reading of a checked
        file). The chunks' memory is reused: a chunk stays valid while the
        consumer holds at most ``keep`` later ones (fresh pages cost as much as
        the copy itself).
        """
        word, newline = b"%04d" % self.width, self.newline
        rows = max(1, min(rows, self.count))
        lengths = np.full(rows, self.width, np.int64)
        width = row_width(self.width)
        read = bytearray(rows * self.stride)
        pool = [np.full((rows, width), ord(" "), np.uint8) for _ in range(keep + 1)]
        with _open(self.source) as stream:
            stream.seek(self.stride)
            for k, first in enumerate(range(0, self.count, rows)):
                n = min(rows, self.count - first)
                view = memoryview(read)[: n * self.stride]
                if stream.readinto(view) != n * self.stride:
                    raise NotUniform("short read")
                matrix = np.frombuffer(view, np.uint8).reshape(n, self.stride)
                body = matrix[:, : self.width]
                if check:
                    breaks = matrix[:, self.width :]
                    if newline and not (breaks == np.frombuffer(newline, np.uint8)).all():
                        raise NotUniform("line breaks differ")
                    if not (body[:, :4] == np.frombuffer(word, np.uint8)).all():
                        raise NotUniform("a record of another length")
                    if not printable(body):
                        raise NotUniform("not printable ASCII")
                rec = pool[k % len(pool)][:n]
                rec[:, : self.width] = body  # the padding stays blank
                offsets = (np.arange(first, first + n, dtype=np.int64) + 1) * self.stride
                yield Chunk(first + 1, rec, lengths[:n].copy(), offsets)


def _open(source: bytes | Path) -> io.BufferedIOBase:
    """The file as a stream (``BytesIO`` over bytes: ``readinto`` copies, no slicing)."""
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return source.open("rb")


def uniform(source: bytes | Path, size: int, head: bytes) -> Uniform | None:
    """The file as a :class:`Uniform` one, if its size and first record allow it."""
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
    frame = Uniform(source, width, stride, units - 2, b"", b"")
    frame.header = frame._read(0, width)
    frame.trailer = frame._read((units - 1) * stride, width)
    return frame


@dataclass
class Framed:
    """A file framed by the reference reader's framer (in memory)."""

    buf: bytes
    starts: list[int]
    ends: list[int]
    where: _OffsetMap
    blocks: int
    header: bytes
    trailer: bytes

    @property
    def count(self) -> int:
        return len(self.starts)

    def chunks(self, rows: int, *, check: bool = True, keep: int = 1) -> Iterator[Chunk]:
        """The data records, ``rows`` at a time (framing checked the file already).

        ``check`` and ``keep`` are :meth:`Uniform.chunks`'; here each chunk is new.
        """
        for first in range(0, self.count, rows):
            starts = self.starts[first : first + rows]
            ends = self.ends[first : first + rows]
            lengths = np.array(ends, np.int64) - np.array(starts, np.int64)
            rec = np.full((len(starts), row_width(int(lengths.max()))), 32, np.uint8)
            for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
                rec[i, : end - start] = np.frombuffer(self.buf, np.uint8, end - start, start)
            offsets = np.array([self.where(p) for p in starts], np.int64)
            yield Chunk(first + 1, rec, lengths, offsets)


def framed(data: bytes, variant: str) -> Framed | None:
    """The reference framer's units of a whole file, or None where the reader would refuse it."""
    buf, where = (
        _strip_line_breaks(data) if b"\n" in data or b"\r" in data else (data, _OffsetMap([]))
    )
    if not printable(buf):
        return None
    framer = _Framer(buf, packed=False, where=where)
    try:
        framer.run(blocked=variant == "variable")
    except Metro2FileError:
        return None
    units = framer.units
    if len(units) < 2:
        return None
    head, tail = units[0], units[-1]
    return Framed(
        buf,
        [u.start for u in units[1:-1]],
        [u.end for u in units[1:-1]],
        where,
        framer.blocks,
        buf[head.start : head.end],
        buf[tail.start : tail.end],
    )
