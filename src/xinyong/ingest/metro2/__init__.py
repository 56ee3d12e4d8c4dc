"""Metro 2 (CDIA), the US furnisher format: read, validate, reconcile, write.

Character (426-byte) and packed (366-byte) formats; header, base segment,
J1, J2, K1-K4, L1 and N1 appended segments, trailer.

Typical use::

    f = read(data)                       # Metro2FileError on whole-file faults
    Metro2Stream(path).records()         # the same records, a file read a window at a time
    trailer_mismatches(f)                # [] when the trailer adds up
    [validate_record(r) for r in f.records]   # every violation, per record
    write(f, "variable")                 # bytes again

Layouts (:mod:`.layout`) and code lists (:mod:`.codes`) are data; each rule
is a small function in :mod:`.rules`.
"""

from __future__ import annotations

from xinyong.ingest.metro2.layout import Field, Layout
from xinyong.ingest.metro2.model import (
    Detection,
    Frame,
    Metro2File,
    Metro2FileError,
    Record,
    Segment,
    Violation,
)
from xinyong.ingest.metro2.reader import detect, parse_data_record, parse_segment, read
from xinyong.ingest.metro2.rules import validate_header, validate_record, validate_segment
from xinyong.ingest.metro2.streaming import Metro2Stream
from xinyong.ingest.metro2.trailer import trailer_mismatches, trailer_totals, with_trailer_totals
from xinyong.ingest.metro2.writer import write

__all__ = [
    "Detection",
    "Field",
    "Frame",
    "Layout",
    "Metro2File",
    "Metro2FileError",
    "Metro2Stream",
    "Record",
    "Segment",
    "Violation",
    "detect",
    "parse_data_record",
    "parse_segment",
    "read",
    "trailer_mismatches",
    "trailer_totals",
    "validate_header",
    "validate_record",
    "validate_segment",
    "with_trailer_totals",
    "write",
]
