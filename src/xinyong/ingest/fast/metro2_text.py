"""Arrow string columns from fixed-width text, without Python per value.

A fixed-width field of ``n`` records is an ``(n, width)`` byte matrix: as it
stands, that is already an Arrow string array (offsets ``0, width, 2 * width
...`` over the matrix's bytes). Stripping is Arrow's own kernel; short coded
fields (one or two bytes: a status, a state) are looked up instead, their few
distinct values stripped by Python itself. Only printable ASCII reaches here,
where ``str.strip()`` removes exactly the blanks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from .metro2_fields import Bools, Bytes, Ints

_BLANK: Final = ord(" ")


def _validity(valid: Bools | None) -> pa.Buffer | None:
    if valid is None or bool(valid.all()):
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def with_lengths(data: Bytes, lengths: Ints, valid: Bools | None = None) -> pa.Array:
    """Strings of the given byte lengths, back to back in ``data``."""
    offsets = np.zeros(len(lengths) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    return pa.StringArray.from_buffers(
        len(lengths), pa.py_buffer(offsets), pa.py_buffer(data), _validity(valid)
    )


def fixed(matrix: Bytes, valid: Bools | None = None) -> pa.Array:
    """Each row of an ``(n, width)`` matrix as one string (null where not ``valid``)."""
    n, width = matrix.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    data = np.ascontiguousarray(matrix)
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(data), _validity(valid)
    )


def padded(matrix: Bytes, lengths: Ints, valid: Bools | None = None) -> pa.Array:
    """Row ``i`` of the matrix cut to ``lengths[i]`` bytes."""
    if len(lengths) and bool((lengths == matrix.shape[1]).all()):
        return fixed(matrix, valid)
    keep = np.arange(matrix.shape[1]) < lengths[:, None]
    return with_lengths(matrix[keep], lengths, valid)


def stripped(matrix: Bytes, blank: Bools, *, null_if_blank: bool = True) -> pa.Array:
    """``raw.strip() or None`` of every row (``""`` for blanks without ``null_if_blank``)."""
    array = pc.ascii_rtrim(fixed(matrix, ~blank if null_if_blank else None), " ")
    if matrix.shape[1] > 1 and bool(((matrix[:, 0] == _BLANK) & ~blank).any()):
        array = pc.ascii_ltrim(array, " ")
    return array


def rstripped(matrix: Bytes) -> pa.Array:
    """``raw.rstrip(" ")`` (``Segment.text``) of every row."""
    return pc.ascii_rtrim(fixed(matrix), " ")


def coded(lane: npt.NDArray[Any], size: int, text: Callable[[str], str | None]) -> pa.Array:
    """``text(raw)`` of a 1- or 2-byte field, computed once per distinct value."""
    counts = np.bincount(lane.astype(np.int64), minlength=1 << (8 * size))
    values = np.flatnonzero(counts)
    index = np.zeros(len(counts), np.int32)
    index[values] = np.arange(len(values), dtype=np.int32)
    raws = [int(v).to_bytes(size, "little").decode("ascii") for v in values.tolist()]
    dictionary = pa.array([text(raw) for raw in raws], pa.string())
    return dictionary.take(pa.array(index[lane.astype(np.int64)]))


def masked(strings: pa.Array) -> pa.Array:
    """``mask_compact`` of every (non-null) string: all but the last 4 (or half) as ``*``."""
    offsets = np.frombuffer(strings.buffers()[1], np.int32, len(strings) + 1, strings.offset * 4)
    start = offsets[:-1].astype(np.int64)
    lengths = np.diff(offsets).astype(np.int64)
    data = np.frombuffer(strings.buffers()[2], np.uint8)[offsets[0] : offsets[-1]].copy()
    keep = np.minimum(4, lengths // 2)
    row = np.repeat(np.arange(len(lengths)), lengths)
    position = np.arange(len(data)) - (start[row] - offsets[0])
    data[position < (lengths - keep)[row]] = ord("*")
    return with_lengths(data, lengths)


def hex_strings(digests: bytes, size: int = 32) -> pa.Array:
    """Concatenated ``size``-byte digests as lowercase hex strings."""
    data = np.frombuffer(digests.hex().encode("ascii"), np.uint8)
    return with_lengths(data, np.full(len(digests) // size, 2 * size, np.int64))
