"""Shared checks for text furnisher files: the encoding, and the record kind."""

from __future__ import annotations

from typing import Any

from xinyong.ingest.records import FileRejected, Violation

KINDS = ("account", "public_record")


def decode_utf8(data: bytes, format_name: str) -> str:
    """The file as text; UTF-8 (a byte-order mark is tolerated) or the whole file is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"{format_name} file is not UTF-8: byte {exc.start} is 0x{data[exc.start]:02x}",
            rule="encoding",
        ) from exc


def record_kind(fields: dict[str, Any]) -> tuple[str, list[Violation]]:
    """The record's kind, defaulting to ``account`` with a violation when it is unknown."""
    kind = fields.get("record_kind")
    if kind in KINDS:
        return str(kind), []
    return "account", [
        Violation(
            "record_kind",
            "code_list" if kind else "required",
            f"record_kind {kind!r} is not one of: {', '.join(KINDS)}",
        )
    ]
