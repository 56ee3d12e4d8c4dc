"""SQL fragments that reproduce Python's own semantics inside DuckDB.

The reference path is Python: ``hmac`` keys a hash, ``mask_compact`` hides
all but four characters, ``str.strip()`` knows Unicode whitespace. The fast
path must give byte-identical results, so each of those is written here
once, built from Python itself where possible (the whitespace set is
computed from this interpreter's Unicode tables, not typed in; :mod:`prep`
strips with it in Arrow), and tested against the Python original.

``repr()`` is the one thing not attempted in SQL: a violation carries the
value to be quoted, and Python's own ``repr`` writes it into the message for
the few rejected records (:mod:`outcome`).
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from functools import cache
from typing import Final

_BLOCK = 64
"""HMAC-SHA256 block size in bytes."""


def literal(text: str) -> str:
    """A SQL string literal for ``text``, control characters spelled with ``chr()``."""
    parts: list[str] = []
    plain: list[str] = []
    for ch in text:
        if ch < " " or ch == "\x7f":
            if plain:
                parts.append("'" + "".join(plain).replace("'", "''") + "'")
                plain = []
            parts.append(f"chr({ord(ch)})")
        else:
            plain.append(ch)
    if plain or not parts:
        parts.append("'" + "".join(plain).replace("'", "''") + "'")
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@cache
def python_whitespace() -> str:
    """Every character ``str.isspace()`` accepts: what ``str.strip()`` removes.

    Checked 4096 code points at a time (``split()`` drops whitespace, so a
    block without any comes back whole), which keeps this to milliseconds.
    """
    out: list[str] = []
    for base in range(0, sys.maxunicode + 1, 4096):
        text = "".join(map(chr, range(base, min(base + 4096, sys.maxunicode + 1))))
        if "".join(text.split()) != text:
            out.extend(c for c in text if c.isspace())
    return "".join(out)


def _pads(key: bytes) -> tuple[str, str]:
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    return inner, outer


def hmac_sha256(key: bytes, message_expr: str) -> str:
    """HMAC-SHA256 hex of a VARCHAR expression's UTF-8 bytes, from DuckDB's ``sha256``.

    RFC 2104: ``H((K ^ opad) || H((K ^ ipad) || m))``; the same value as
    :func:`xinyong.identifiers.keyed_hash` gives for the joined parts (tests
    compare the two). Computed per row inside DuckDB, in parallel.
    """
    if not isinstance(key, bytes | bytearray) or not key:
        raise ValueError("the hash key must be non-empty bytes")
    inner, outer = _pads(bytes(key))
    return f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({message_expr}))))"


def mask(expr: str) -> str:
    """:func:`xinyong.identifiers.base.mask_compact`: all but the last 4 (or len/2) hidden."""
    keep = f"least(4, length({expr}) // 2)"
    return f"(repeat('*', length({expr}) - {keep}) || right({expr}, {keep}))"


@dataclass(frozen=True, slots=True)
class ViolationSQL:
    """A violation as six SQL expressions (every one VARCHAR), one per field of a violation.

    The message is ``head`` alone, or, where ``arg`` is not NULL,
    ``head + repr(arg) + tail``: Python's ``repr`` is applied in Python
    (:func:`outcome.messages`), to the few rejected records only, so that it
    is Python's own whatever the text holds.
    """

    segment: str
    field: str
    rule: str
    head: str
    arg: str
    tail: str

    def parts(self) -> tuple[str, str, str, str, str, str]:
        """The six expressions in :data:`VIOLATION_FIELDS` order."""
        return (self.segment, self.field, self.rule, self.head, self.arg, self.tail)


def violation(
    field: str,
    rule: str,
    message: str,
    segment: str = "'base'",
    arg: str = "NULL",
    tail: str = "''",
) -> ViolationSQL:
    """A violation; every argument is SQL (see :class:`ViolationSQL` for the message)."""
    return ViolationSQL(segment, field, rule, message, arg, tail)


VIOLATION_FIELDS: Final = ("segment", "field", "rule", "head", "arg", "tail")
"""The fields of a violation (all text), as :func:`outcome.piece_of` reads them."""

_QUOTED: Final = "'(?:[^']|'')*'"
_PIECE: Final = re.compile(f"{_QUOTED}|chr\\((\\d+)\\)")
_ONE: Final = f"(?:{_QUOTED}|chr\\(\\d+\\))"
_CONSTANT: Final = re.compile(f"{_ONE}(?: \\|\\| {_ONE})*")


def constant(expr: str) -> tuple[bool, str | None]:
    """Whether a SQL expression is a constant :func:`literal` (or NULL), and its value.

    Only the forms :func:`literal` writes are recognised (a quoted text,
    or quoted texts and ``chr(n)`` joined with ``||`` in parentheses); any
    other expression counts as not constant, which is always safe: the
    query then computes it.
    """
    if expr == "NULL":
        return True, None
    inner = expr[1:-1] if expr.startswith("(") and expr.endswith(")") else expr
    if not _CONSTANT.fullmatch(inner):
        return False, None
    pieces = []
    for match in _PIECE.finditer(inner):
        code = match.group(1)
        text = match.group(0)[1:-1].replace("''", "'")
        pieces.append(chr(int(code)) if code is not None else text)
    return True, "".join(pieces)


def any_of(items: list[tuple[str, ViolationSQL]]) -> str:
    """Whether any condition of (condition, struct) pairs holds (NULL counts as no)."""
    return "(" + " OR ".join(f"({c})" for c, _ in items) + ")" if items else "false"
