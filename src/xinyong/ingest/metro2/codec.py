"""Bytes <-> field texts, for the character and the packed format.

Character format is plain ASCII, one byte per character. In the packed
(366-byte) format the header, trailer and base segment carry binary fields;
appended segments are always character data.

Packed encodings follow moov-io/metro2 (``pkg/lib/converters.go``), the only
public implementation with a packed sample:

* numbers (amounts, SSN, telephone, trailer counts): unsigned big-endian
  binary filling the field (5 or 6 bytes);
* dates ``0MMDDYYYYs`` (5 bytes): ``0x00``, the integer MMDDYYYY in 3
  big-endian bytes, then ``0x73``; all zeros when absent;
* timestamps (8 bytes): ``0x00``, MMDDYYYYHHMMSS in 6 bytes, ``0x73``;
* descriptor words: a 2-byte big-endian length and two zero bytes.

The CRRG's notation (``0MMDDYYYYs``, "s is the sign") reads like IBM packed
decimal, which moov does not implement; a furnisher sending true packed
decimal would see ``packed`` violations here. Open question for the CRRG.
"""

from __future__ import annotations

import functools
import re

from xinyong.ingest.metro2.layout import APPENDAGES, CHARACTER_LAYOUTS, Field, Layout, layout
from xinyong.ingest.metro2.model import Segment, Violation

UNDECODABLE = "?"
"""Fill character for a packed value that cannot be decoded; the rule
modules skip fields made of it because the reader already reported them."""

_PACKED_SIGN = 0x73


def read_descriptor(buf: bytes, pos: int, *, packed: bool) -> int | None:
    """The descriptor word at ``pos``, or ``None`` if there is none there."""
    word = buf[pos : pos + 4]
    if len(word) < 4:
        return None
    if packed:
        if word[2:4] != b"\x00\x00":
            return None
        return int.from_bytes(word[:2], "big")
    return int(word) if word.isdigit() else None


def descriptor_bytes(length: int, *, packed: bool) -> bytes:
    """Encode a descriptor word; ``ValueError`` if the length cannot fit."""
    limit = 0xFFFF if packed else 9999
    if not 0 < length <= limit:
        raise ValueError(f"descriptor word {length} outside 1..{limit}")
    if packed:
        return length.to_bytes(2, "big") + b"\x00\x00"
    return f"{length:04d}".encode("ascii")


def _decode_packed(f: Field, char: Field, data: bytes) -> tuple[str, str | None]:
    """Character text for one packed field, and a problem message if any."""
    width = char.length
    if char.kind == "numeric":
        text = str(int.from_bytes(data, "big")).zfill(width)
        if len(text) > width:
            return UNDECODABLE * width, f"packed value {text} does not fit {width} digits"
        return text, None
    size = f.length
    if data == bytes(size):
        return "0" * width, None
    if data[0] == 0 and data[-1] == _PACKED_SIGN:
        text = str(int.from_bytes(data[1:-1], "big")).zfill(width)
        if len(text) == width:
            return text, None
    return UNDECODABLE * width, f"packed {char.kind} bytes {data.hex()} are not a 0MMDDYYYYs value"


def _encode_packed(f: Field, char: Field, text: str) -> bytes:
    if not text.isdigit():
        raise ValueError(f"{f.name}: {text!r} is not digits and cannot be packed")
    value = int(text)
    if char.kind == "numeric":
        return value.to_bytes(f.length, "big")
    if value == 0:
        return bytes(f.length)
    return b"\x00" + value.to_bytes(f.length - 2, "big") + bytes([_PACKED_SIGN])


_NOT_PRINTABLE = re.compile(rb"[^\x20-\x7e]")


@functools.cache
def _text_slices(name: str) -> tuple[tuple[str, slice], ...]:
    """(field, slice) for every data field of a character layout, computed once."""
    return tuple((f.name, f.slice) for f in CHARACTER_LAYOUTS[name].data_fields)


def _field_at(lay: Layout, index: int) -> str:
    return next((f.name for f in lay.fields if f.start - 1 <= index < f.start - 1 + f.length), "?")


def decode_segment(
    name: str, data: bytes, *, packed: bool = False, origin: int = 0
) -> tuple[Segment, list[Violation], list[tuple[int, str]]]:
    """Decode one segment's bytes (starting at its RDW or identifier).

    Returns the segment, problems found in packed fields, and the position
    and field name of the first byte that is not printable ASCII where text is
    expected (``origin`` is added to the position; the caller decides what to
    raise).
    """
    lay = layout(name, packed=packed)
    if not packed or name in APPENDAGES:
        # Pure character segment: one decode, then slice by the layout.
        skip = 4 if lay.fields[0].kind == "descriptor" else 0
        bad = _NOT_PRINTABLE.search(data, skip)
        bad_text = [] if bad is None else [(origin + bad.start(), _field_at(lay, bad.start()))]
        text = data.decode("latin-1")
        return Segment(name, {key: text[cut] for key, cut in _text_slices(name)}), [], bad_text
    char_lay = CHARACTER_LAYOUTS[name]
    values: dict[str, str] = {}
    problems: list[Violation] = []
    bad_text = []
    for f in lay.data_fields:
        chunk = data[f.slice]
        char = char_lay.field(f.name)
        if f.kind == "packed":
            value, problem = _decode_packed(f, char, chunk)
            if problem:
                problems.append(Violation(name, f.name, "packed", problem))
        else:
            bad = _NOT_PRINTABLE.search(chunk)
            if bad is not None and not bad_text:
                bad_text.append((origin + f.start - 1 + bad.start(), f.name))
            # Only reserved fields differ in width between the formats
            # (header 146/86, trailer 19/135 bytes); normalise to character.
            value = chunk.decode("latin-1")[: char.length].ljust(char.length)
        values[f.name] = value
    return Segment(name, values), problems, bad_text


def encode_segment(segment: Segment, *, packed: bool = False, rdw: int | None = None) -> bytes:
    """Encode a segment; header, base and trailer start with their RDW.

    ``rdw`` is required for records (header, base, trailer). Raises
    ``ValueError`` when a field's text does not have its layout width or a
    packed field is not digits, naming the field.
    """
    lay: Layout = layout(segment.name, packed=packed)
    char_lay = CHARACTER_LAYOUTS[segment.name]
    out = bytearray()
    for f in lay.fields:
        if f.kind == "descriptor":
            if rdw is None:
                raise ValueError(f"{segment.name}: a record needs its RDW")
            out += descriptor_bytes(rdw, packed=packed)
            continue
        text = segment.values[f.name]
        char = char_lay.field(f.name)
        if len(text) != char.length:
            raise ValueError(
                f"{segment.name}.{f.name}: {text!r} is not {char.length} characters wide"
            )
        if f.kind == "packed":
            out += _encode_packed(f, char, text)
        else:
            out += text[: f.length].ljust(f.length).encode("ascii")
    return bytes(out)
