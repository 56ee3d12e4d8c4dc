"""Canonical records as JSON Lines: one JSON object a line, schema field names as keys."""

from __future__ import annotations

import json
from collections.abc import Iterator

from xinyong.ingest.records import RawRecord, Violation
from xinyong.ingest.source import Source, newline_lines, open_binary, utf8_text
from xinyong.ingest.text import record_kind

FORMAT = "jsonl"


def lines(text: str) -> Iterator[str]:
    """The lines of JSON Lines text: split at ``\n`` only, one ``\r`` before it dropped.

    ``str.splitlines`` would also split at U+2028, U+2029, ``\x1c`` and the
    like, which JSON allows raw inside a string, and cut such a record in two.
    A final ``\n`` ends the last line rather than starting an empty one.
    """
    return newline_lines([text])


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


def read(data: Source) -> Iterator[RawRecord]:
    """Yield each non-blank line; a line that is not a JSON object is a rejected record.

    The file is read a block at a time (a path is never read whole); bytes
    that are not UTF-8 refuse the file when the reader reaches them.
    """
    with open_binary(data) as stream:
        yield from _records(newline_lines(utf8_text(stream, "JSON Lines")))


def _records(texts: Iterator[str]) -> Iterator[RawRecord]:
    record_no = 0
    for number, line in enumerate(texts, start=1):
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
