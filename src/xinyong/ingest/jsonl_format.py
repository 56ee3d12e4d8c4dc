"""Canonical records as JSON Lines: one JSON object a line, schema field names as keys."""

from __future__ import annotations

import json
from collections.abc import Iterator

from xinyong.ingest.records import RawRecord, Violation
from xinyong.ingest.text import decode_utf8, record_kind

FORMAT = "jsonl"


def sniff(data: bytes) -> bool:
    """Its first non-blank line is a JSON object with a ``record_kind``."""
    for line in data[:65536].lstrip(b"\xef\xbb\xbf").splitlines():
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
    for number, line in enumerate(text.splitlines(), start=1):
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
