"""What every furnisher format hands to the pipeline: raw records and violations.

Each format module turns a file's bytes into a stream of :class:`RawRecord`
(record number, where it sits in the file, its raw text, its parsed fields) or
raises :class:`FileRejected` for a whole-file error. Validation returns
:class:`Violation` rows; a record with any violation is rejected with all of
them, so a furnisher fixes everything in one resubmission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule on one field of one record; ``rule`` is a stable code."""

    field: str
    rule: str
    message: str
    segment: str = "base"


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A record as read from the file, before validation.

    ``location`` says where a person finds it in the file: ``line 12`` for
    text formats, ``row 12`` for Parquet, ``offset 4260`` for Metro 2.
    ``violations`` holds what the reader itself already found (a malformed
    line, a field that does not parse) so that nothing is lost between reading
    and validating.
    """

    record_no: int
    location: str
    raw: str
    fields: dict[str, Any]
    kind: str = "account"
    violations: tuple[Violation, ...] = field(default=())
    source: Any = None
    """The format's own parsed record (e.g. a Metro 2 record), for its own rules."""


class FileRejected(Exception):
    """The whole file is refused (wrong encoding, truncated, not the format claimed).

    Nothing of such a file is stored; the message names where the problem is.
    """

    def __init__(self, message: str, rule: str = "file") -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
