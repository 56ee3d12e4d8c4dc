"""Canonical records as JSON Lines: one JSON object a line, schema field names as keys."""

from __future__ import annotations

import json
from collections.abc import Iterator

from xinyong.ingest.records import RawRecord, Violation
from xinyong.ingest.text import decode_utf8, record_kind

FORMAT = "jsonl"


def lines(text: str) -> Iterator[str]:
    """The lines of JSON Lines text: split at ``\n`` only, one ``\r`` before it dropped.

    ``str.splitlines`` would also split at U+2028, U+2029, ``\x1c`` and the
    like, which JSON allows raw inside a string, and cut such a record in two.
    A final ``\n`` ends the last line rather than starting an empty one.
    """
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    for part in parts:
        yield part[:-1] if part.endswith("\r") else part


def sniff(data: bytes) -> bool:
    """Its first non-blank line is a JSON object with a ``record_kind``."""
    head = data[:65536].lstrip(b"\xef\xbb\xbf")
    for line in head.split(b"\n"):
        if line.strip():
            try:
                first = json.loads(line)
            except ValueError:
                return False
            return isinstance(first, dict) and "record_kind" in first
    return False


def read(data: bytes) -> Iterator[RawRecord]:
    """Yield each non-blank line; a line that is not a JSON object is a rejected record."""
    text = decode_utf8(data, "JSON Lines")
    record_no = 0
    for number, line in enumerate(lines(text), start=1):
        if not line.strip():
            continue
        record_no += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRecord(
                record_no,
                f"line {number}",
                line,
                {},
                "account",
                (Violation("*", "json", f"not valid JSON: {exc.msg} at column {exc.colno}"),),
            )
            continue
        except (ValueError, RecursionError) as exc:  # 4300+ digit integer, deep nesting
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            yield RawRecord(
                record_no,
                f"line {number}",
                line,
                {},
                "account",
                (Violation("*", "json", f"not valid JSON: {reason}"),),
            )
            continue
        if not isinstance(value, dict):
            yield RawRecord(
                record_no,
                f"line {number}",
                line,
                {},
                "account",
                (Violation("*", "json", "a record must be a JSON object"),),
            )
            continue
        kind, problems = record_kind(value)
        yield RawRecord(record_no, f"line {number}", line, value, kind, tuple(problems))
