"""A submitted file, as bytes in memory or a path on disk, read a bounded block at a time.

The API hands ingest an upload's bytes; the CLI hands it the path of a file
that may be larger than memory. Everything ingest does with a file (hash it,
sniff its format, read its records) goes through here, so that both arrive
the same way, as a stream, and no step needs the whole file at once.

The text helpers reproduce, piece by piece, what the whole-text code they
replace did: ``bytes.decode("utf-8")`` (with the same error position),
``io.StringIO(text, newline="")`` line splitting (what :mod:`csv` reads) and
a split at ``\\n`` only (JSON Lines).
"""

from __future__ import annotations

import codecs
import hashlib
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final

from xinyong.ingest.records import FileRejected

Source = bytes | Path
"""A submitted file: its bytes, or the path of a file on disk."""

BLOCK_BYTES: Final = 4 << 20
"""Bytes read at a time: large enough to amortise per-block work, small against memory."""

SNIFF_BYTES: Final = 1 << 16
"""How much of a file's start format detection looks at (the sniffers read no further)."""

BOM: Final = b"\xef\xbb\xbf"


@contextmanager
def open_binary(source: Source) -> Iterator[BinaryIO]:
    """The file as a binary stream (bytes are wrapped, not copied)."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            yield stream
    else:
        yield io.BytesIO(source)


def sha256(source: Source) -> str:
    """SHA-256 hex of the file's bytes, read in blocks."""
    if isinstance(source, Path):
        with source.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    return hashlib.sha256(source).hexdigest()


def sample(source: Source) -> bytes:
    """What format detection needs: the first :data:`SNIFF_BYTES`, and the last 8 bytes.

    Every sniffer looks at the start of a file only, except Parquet's, which
    also checks the magic number at its end; the tail is appended beyond the
    first :data:`SNIFF_BYTES`, where no other sniffer looks, so each sniffer
    answers exactly as it would for the whole file.
    """
    if not isinstance(source, Path):
        return source if len(source) <= SNIFF_BYTES + 8 else source[:SNIFF_BYTES] + source[-8:]
    with source.open("rb") as stream:
        head = stream.read(SNIFF_BYTES + 8)
        if len(head) < SNIFF_BYTES + 8:
            return head
        stream.seek(-8, io.SEEK_END)
        return head[:SNIFF_BYTES] + stream.read(8)


def line_blocks(stream: BinaryIO, block_bytes: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The stream's bytes in blocks of about ``block_bytes``, each ending just after a ``\\n``.

    Only the last block may end otherwise; a line longer than a block makes
    its block longer. Joined, the blocks are the stream's bytes.
    """
    carry = b""
    while True:
        data = stream.read(block_bytes)
        if not data:
            if carry:
                yield carry
            return
        if carry:
            data = carry + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            carry = data
            continue
        if cut == len(data):
            carry = b""
            yield data
        else:
            carry = data[cut:]
            yield data[:cut]


def utf8_text(stream: BinaryIO, format_name: str, block_bytes: int = BLOCK_BYTES) -> Iterator[str]:
    """The stream decoded as UTF-8 in pieces; a byte-order mark at the start is dropped.

    Bytes that are not UTF-8 refuse the whole file with the message
    :func:`xinyong.ingest.text.decode_utf8` gives: the byte's position (after
    the mark) and value. A caller that has already used the pieces before
    that point is told then; ingest discards what it wrote.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    fed = 0  # bytes given to the decoder so far
    first = True
    while True:
        block = stream.read(block_bytes)
        if first:
            while len(block) < len(BOM) and (more := stream.read(block_bytes)):
                block += more
            first = False
            if block.startswith(BOM):
                block = block[len(BOM) :]
                if not block:
                    continue  # the mark filled the block: not yet the end
        final = not block
        held = len(decoder.getstate()[0])
        try:
            text = decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            position, value = fed - held + exc.start, exc.object[exc.start]
            raise FileRejected(
                f"{format_name} file is not UTF-8: byte {position} is 0x{value:02x}",
                rule="encoding",
            ) from exc
        fed += len(block)
        if text:
            yield text
        if final:
            return


def universal_lines(pieces: Iterable[str]) -> Iterator[str]:
    """Lines ended by ``\\r\\n``, ``\\r`` or ``\\n``, kept: as ``io.StringIO(text, newline="")``.

    What :mod:`csv` expects to read. A ``\\r`` at the end of a piece is held
    back until the next piece shows whether a ``\\n`` follows it.
    """
    pending = ""
    for piece in pieces:
        text = pending + piece
        cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
        if cut == 0:
            pending = text
            continue
        yield from io.StringIO(text[:cut], newline="")
        pending = text[cut:]
    if pending:
        yield from io.StringIO(pending, newline="")


def newline_lines(pieces: Iterable[str]) -> Iterator[str]:
    """Lines split at ``\\n`` only, one ``\\r`` before it dropped; a final ``\\n`` ends the last.

    ``str.splitlines`` would also split at U+2028, U+2029, ``\\x1c`` and the
    like, which JSON allows raw inside a string, and cut such a record in two.
    """
    pending = ""
    for piece in pieces:
        parts = (pending + piece).split("\n")
        pending = parts.pop()
        for part in parts:
            yield part[:-1] if part.endswith("\r") else part
    if pending:
        yield pending[:-1] if pending.endswith("\r") else pending
