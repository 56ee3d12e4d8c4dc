"""Export the audit chain to JSON Lines and verify such a file without a database.

A regulator receives the file (and, separately, a head the operator published
earlier) and checks it offline with :func:`verify_export`: the same link, hash
and anchor checks as :func:`xinyong.audit.chain.verify`, over the file alone.
The format is one canonical JSON object per line, in seq order, with the fields
of :class:`~xinyong.audit.chain.AuditEvent`; ``at`` is in the exact text form
that was hashed, so any SHA-256 and JSON library can re-check it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TextIO

from sqlalchemy import Connection

from xinyong.audit.chain import AuditEvent, ChainHead, VerifyResult, iter_events, verify_events

__all__ = ["ExportFormatError", "export_chain", "read_export", "verify_export"]

_FIELDS: Final = frozenset(
    {"seq", "at", "actor", "action", "subject_id", "reason", "payload", "prev_hash", "hash"}
)


class ExportFormatError(ValueError):
    """A line of an export file is not a well-formed event."""

    def __init__(self, line_no: int, message: str) -> None:
        super().__init__(f"line {line_no}: {message}")
        self.line_no = line_no


def export_chain(conn: Connection, out: str | Path | TextIO) -> ChainHead | None:
    """Write every stored event, in seq order, as JSON Lines; return the last one's head.

    The returned head is what was exported, not a verification result: run
    :func:`~xinyong.audit.chain.verify` first if the operator means to vouch for it.
    """
    if isinstance(out, str | Path):
        with Path(out).open("w", encoding="utf-8", newline="\n") as fh:
            return _write(conn, fh)
    return _write(conn, out)


def _write(conn: Connection, fh: TextIO) -> ChainHead | None:
    last: AuditEvent | None = None
    for event in iter_events(conn):
        fh.write(event.to_json())
        fh.write("\n")
        last = event
    return ChainHead(last.seq, last.hash) if last is not None else None


def read_export(lines: Iterable[str]) -> Iterator[AuditEvent]:
    """Parse export lines into events, raising :class:`ExportFormatError` on a bad line.

    Blank lines are skipped; anything else must be a complete event object.
    """
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExportFormatError(line_no, f"not JSON: {exc.msg}") from exc
        yield _event(line_no, data)


def _event(line_no: int, data: Any) -> AuditEvent:
    if not isinstance(data, dict):
        raise ExportFormatError(line_no, "not a JSON object")
    if set(data) != _FIELDS:
        missing = sorted(_FIELDS - set(data))
        extra = sorted(set(data) - _FIELDS)
        raise ExportFormatError(line_no, f"fields differ: missing {missing}, unexpected {extra}")
    seq = data["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise ExportFormatError(line_no, "seq must be an integer")
    for name in ("at", "actor", "action", "prev_hash", "hash"):
        if not isinstance(data[name], str):
            raise ExportFormatError(line_no, f"{name} must be a string")
    for name in ("subject_id", "reason"):
        if data[name] is not None and not isinstance(data[name], str):
            raise ExportFormatError(line_no, f"{name} must be a string or null")
    if not isinstance(data["payload"], dict):
        raise ExportFormatError(line_no, "payload must be a JSON object")
    try:
        at = datetime.fromisoformat(data["at"])
    except ValueError as exc:
        raise ExportFormatError(line_no, f"at is not an ISO-8601 instant: {exc}") from exc
    if at.tzinfo is None:
        raise ExportFormatError(line_no, "at has no time zone")
    return AuditEvent(
        seq=seq,
        at=at,
        actor=data["actor"],
        action=data["action"],
        subject_id=data["subject_id"],
        reason=data["reason"],
        payload=data["payload"],
        prev_hash=data["prev_hash"],
        hash=data["hash"],
    )


def verify_export(source: str | Path | TextIO, anchor: ChainHead | None = None) -> VerifyResult:
    """Verify an exported chain offline; a malformed line is reported as a broken link."""
    if isinstance(source, str | Path):
        with Path(source).open(encoding="utf-8") as fh:
            return verify_events(read_export(fh), anchor=anchor)
    return verify_events(read_export(source), anchor=anchor)
