"""Canonical records as CSV: a header row of schema field names, one record a row.

Values are text; empty means absent. The raw record kept for a rejection is
the row re-written as CSV, so a furnisher can search for it in its own file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from xinyong.ingest.canonical_schema import kind_schema
from xinyong.ingest.records import FileRejected, RawRecord, Violation
from xinyong.ingest.source import Source, open_binary, universal_lines, utf8_text
from xinyong.ingest.text import KINDS, record_kind

FORMAT = "csv"


def sniff(data: bytes) -> bool:
    """A CSV of ours starts with a header naming ``record_kind`` among known fields."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip()
    if b"," not in head or head.startswith((b"{", b"[")):
        return False
    names = {name.strip().strip('"') for name in head.decode("utf-8", "replace").split(",")}
    return "record_kind" in names


def read(data: Source) -> Iterator[RawRecord]:
    """Yield each data row as a raw record; a bad header refuses the whole file.

    The file is read a block at a time (a path is never read whole); bytes
    that are not UTF-8 refuse the file when the reader reaches them.
    """
    with open_binary(data) as stream:
        reader = csv.reader(universal_lines(utf8_text(stream, "CSV")))
        try:
            header = next(reader)
        except StopIteration:
            raise FileRejected("CSV file is empty: no header row", rule="header") from None
        header = [name.strip() for name in header]
        known = set().union(*(kind_schema(kind).checks for kind in KINDS))
        unknown = [name for name in header if name not in known]
        if unknown or "record_kind" not in header:
            raise FileRejected(
                "CSV header line 1 is not the canonical format: "
                + (f"unknown columns {unknown}" if unknown else "no record_kind column"),
                rule="header",
            )
        if len(set(header)) != len(header):
            raise FileRejected("CSV header line 1 repeats a column name", rule="header")
        record_no = 0
        line = reader.line_num
        for row in reader:
            start = line + 1
            line = reader.line_num
            if not row:
                continue
            record_no += 1
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow(row)
            problems: list[Violation] = []
            if len(row) != len(header):
                problems.append(
                    Violation(
                        "*", "columns", f"row has {len(row)} values, the header has {len(header)}"
                    )
                )
            fields = dict(zip(header, row, strict=False))
            kind, kind_problems = record_kind(fields)
            schema_fields = kind_schema(kind).checks
            fields = {k: v for k, v in fields.items() if k in schema_fields or v != ""}
            yield RawRecord(
                record_no,
                f"line {start}",
                out.getvalue(),
                fields,
                kind,
                tuple(problems + kind_problems),
            )
