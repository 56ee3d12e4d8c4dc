"""Per-column text work done in Arrow before the SQL: stripping and control characters.

``str.strip()`` (Unicode whitespace) and the control-character search are
the two checks every text value needs. In DuckDB both cost about a
microsecond per value (``trim`` with a character set, a regular expression),
which over 40 columns of a million records is most of a minute; so they are
done here instead, column by column:

* one pass over each column's data buffer (``bytes.translate``, a few
  hundred megabytes a second) finds whether any value can hold a control
  character or a whitespace character at all; most columns hold neither;
* only the columns that might are stripped (Arrow's ``utf8_trim`` with
  Python's whitespace set) or searched (RE2, per value).

The outcome is ``st_<field>`` (the stripped text) for the fields that may
need stripping and ``ctl_<field>`` (whether it holds a control character)
for the few columns that can; elsewhere the value itself is its stripped text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from .canonical_sql import CONTROL_RE2, StagedField
from .sqltext import python_whitespace

_CONTROL_BYTES: Final = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SPACE_BYTES: Final = bytes(sorted({ord(c) for c in python_whitespace() if c < "\x80"}))
# Lead bytes of the UTF-8 encodings of the non-ASCII whitespace characters.
_SPACE_LEADS: Final = bytes(sorted({c.encode()[0] for c in python_whitespace() if c >= "\x80"}))
_NOT_CONTROL: Final = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
_NOT_INTERESTING: Final = bytes(
    b for b in range(256) if b not in _CONTROL_BYTES + _SPACE_BYTES + _SPACE_LEADS
)


def _scan(column: pa.ChunkedArray) -> tuple[bool, bool]:
    """Whether any value may need stripping, and whether any may hold a control character.

    Looks at the raw data buffers (all values back to back), so it may say
    yes for bytes outside the column's slice; it never says no wrongly.
    """
    found = b""
    for chunk in column.chunks:
        data = chunk.buffers()[2]
        if data is not None and data.size:
            found += bytes(memoryview(data)).translate(None, _NOT_INTERESTING)
    return bool(found), bool(found.translate(None, _NOT_CONTROL))


def prepare(
    table: pa.Table, fields: Mapping[str, StagedField]
) -> tuple[pa.Table, dict[str, StagedField]]:
    """``table`` with ``st_f`` and ``ctl_f`` where needed, and the fields saying which."""
    out = dict(fields)
    whitespace = python_whitespace()
    for name, field in fields.items():
        if not field.present:
            continue
        column = table.column("v_" + name)
        if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            column = column.cast(pa.string())
        spaces, controls = _scan(column)
        stripped = column
        if spaces:
            stripped = pc.utf8_trim(column, whitespace)
            table = table.append_column("st_" + name, stripped)
        if controls:
            table = table.append_column(
                "ctl_" + name, pc.match_substring_regex(stripped, CONTROL_RE2)
            )
        out[name] = replace(field, controls=controls, stripped=spaces)
    return table, out
