"""Write a :class:`Metro2File` as Metro 2 bytes.

Two variants, matching what :func:`~xinyong.ingest.metro2.reader.read`
accepts:

``fixed``
    no block descriptor words; every record (header, data, trailer) is
    blank-padded to the longest record and carries that length as its RDW,
    as the CRRG asks of fixed-length files ("the Header Record should be the
    same length as all the data records").
``variable``
    every record sits in its own block: ``BDW = RDW + 4`` and ``RDW`` is the
    record's own length. One record per block keeps ``block_count`` equal to
    ``records + 2``, which is what :func:`trailer_totals` assumes for a file
    built in memory.

Character output is ASCII; ``packed=True`` writes the 366-byte packed format
with moov-io/metro2's binary encodings (see :mod:`codec`). The trailer is
written as given: call :func:`with_trailer_totals` first to recompute it.
"""

from __future__ import annotations

from xinyong.ingest.metro2.codec import descriptor_bytes, encode_segment
from xinyong.ingest.metro2.layout import APPENDAGES, layout
from xinyong.ingest.metro2.model import Metro2File, Record, Segment, Variant

__all__ = ["write"]


def _record_length(record: Record, *, packed: bool) -> int:
    return layout("base", packed=packed).length + sum(
        APPENDAGES[s.name].length for s in record.segments
    )


def _encode_record(record: Record, *, packed: bool, rdw: int) -> bytes:
    body = encode_segment(record.base, packed=packed, rdw=rdw)
    return body + b"".join(encode_segment(s) for s in record.segments)


def _encode_single(segment: Segment, *, packed: bool, rdw: int) -> bytes:
    return encode_segment(segment, packed=packed, rdw=rdw)


def write(
    file: Metro2File,
    variant: Variant = "fixed",
    *,
    packed: bool = False,
    newline: bytes = b"",
) -> bytes:
    """Encode ``file``; ``newline`` (e.g. ``b"\\n"``) is added after each record.

    Raises ``ValueError`` naming the field when a value does not fit its
    layout, or when a record is too long for a descriptor word.
    """
    if packed and newline:
        raise ValueError("packed files are binary: no line breaks between records")
    if variant not in ("fixed", "variable"):
        raise ValueError(f"unknown variant {variant!r}: use 'fixed' or 'variable'")
    minimum = layout("base", packed=packed).length
    lengths = [_record_length(r, packed=packed) for r in file.records]
    limit = 0xFFFF - 4 if packed else 9999 - 4
    too_long = [r.record_no for r, n in zip(file.records, lengths, strict=True) if n > limit]
    if too_long:
        raise ValueError(
            f"data record(s) {too_long} longer than a descriptor word can state ({limit})"
        )

    if variant == "fixed":
        width = max([minimum, *lengths])
        pad = b" "

        def frame(body: bytes) -> bytes:
            return body + pad * (width - len(body)) + newline

        parts = [frame(_encode_single(file.header, packed=packed, rdw=width))]
        parts += [frame(_encode_record(r, packed=packed, rdw=width)) for r in file.records]
        parts.append(frame(_encode_single(file.trailer, packed=packed, rdw=width)))
        return b"".join(parts)

    def block(body: bytes) -> bytes:
        return descriptor_bytes(len(body) + 4, packed=packed) + body + newline

    parts = [block(_encode_single(file.header, packed=packed, rdw=minimum))]
    parts += [
        block(_encode_record(r, packed=packed, rdw=n))
        for r, n in zip(file.records, lengths, strict=True)
    ]
    parts.append(block(_encode_single(file.trailer, packed=packed, rdw=minimum)))
    return b"".join(parts)
