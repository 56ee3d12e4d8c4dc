"""Both paths over the same bytes, and a comparison that leaves nothing out.

``reference`` runs the format module record by record exactly as the
pipeline does without the fast path; ``fast`` runs :func:`xinyong.ingest.fast.collect`.
``assert_same`` compares what the pipeline stores and reports: the counts per
kind, the rule counter, the warning count, every accepted ledger row (all
columns, in order) and every reject row (record number, kind, location,
segment, field, rule, message and raw text, in order).

Kept as a plain module (the test folders have no ``__init__.py``).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xinyong.ingest import fast
from xinyong.ingest.pipeline import _Collector, formats
from xinyong.ingest.records import FileRejected

KEY = b"fast-path-test-key"
FURNISHER = "bank-fast"


def reference(fmt: str, data: bytes, furnisher: str = FURNISHER, key: bytes = KEY) -> _Collector:
    module = formats()[fmt]
    collector = _Collector()
    for record in module.read(data):
        collector.add(record, module.check(record, furnisher, key))
    return collector


def fast_path(
    fmt: str, data: bytes, furnisher: str = FURNISHER, key: bytes = KEY
) -> fast.Collected | None:
    return fast.collect(fmt, data, furnisher, key)


def outcome(collected: Any) -> dict[str, Any]:
    """Everything the pipeline takes from a collector, as plain Python values."""
    tables = collected.tables()
    return {
        "counts": collected.counts(),
        "rules": dict(collected.rules),
        "warnings": collected.warnings,
        "tables": {name: table.to_pylist() for name, table in tables.items()},
        "schemas": {name: table.schema for name, table in tables.items()},
    }


def assert_same(
    fmt: str, data: bytes, *, fast_expected: bool | None = True, **kw: Any
) -> fast.Collected | None:
    """Both paths give the same outcome; the fast path applies iff ``fast_expected``.

    ``fast_expected=None``: either is fine (the file may or may not be one the
    fast path takes), but when it takes it, the outcome must be the same.

    A file the reference refuses as a whole must be left to it by the fast path
    (which is how the pipeline gets the reference's own message).
    """
    try:
        want = outcome(reference(fmt, data, **kw))
    except FileRejected:
        assert fast_path(fmt, data, **kw) is None, "a refused file must go to the reference"
        return None
    except Exception as exc:  # the reference crashes (and stores nothing): so must we
        with pytest.raises(type(exc)):
            collected = fast_path(fmt, data, **kw)
            if collected is None:  # the pipeline then runs the reference, which raises
                raise exc from None
            outcome(collected)
        return None
    got_collected = fast_path(fmt, data, **kw)
    if fast_expected is None and got_collected is None:
        return None
    if fast_expected is False:
        assert got_collected is None, "expected the file to go to the reference path"
        return None
    assert got_collected is not None, "the fast path declined a file it should take"
    got = outcome(got_collected)
    assert got["counts"] == want["counts"]
    assert got["rules"] == want["rules"]
    assert got["warnings"] == want["warnings"]
    assert set(got["tables"]) == set(want["tables"])
    for name, rows in want["tables"].items():
        assert got["schemas"][name] == want["schemas"][name], name
        for i, (g, w) in enumerate(zip(got["tables"][name], rows, strict=False)):
            assert g == w, f"{name} row {i}: " + _diff(g, w)
        assert len(got["tables"][name]) == len(rows), name
    return got_collected


def _diff(got: dict[str, Any], want: dict[str, Any]) -> str:
    keys = [k for k in want if got.get(k) != want.get(k)]
    return "; ".join(f"{k}: got {got.get(k)!r}, want {want.get(k)!r}" for k in keys)


# --- encoders (as the canonical ingest tests write files) --------------------------


def as_jsonl(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def columns_of(records: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for record in records:
        names += [k for k in record if k not in names]
    return names


def as_csv(records: list[dict[str, Any]], *, lineterminator: str = "\n") -> bytes:
    names = columns_of(records)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, lineterminator=lineterminator)
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
    return out.getvalue().encode()


def as_parquet(records: list[dict[str, Any]], *, typed: bool = False) -> bytes:
    """All-text columns, or (``typed``) Arrow's own inference from the Python values."""
    names = columns_of(records)
    if typed:
        table = pa.table({n: [r.get(n) for r in records] for n in names})
    else:
        columns = {n: [None if r.get(n) is None else str(r[n]) for r in records] for n in names}
        table = pa.table(columns)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


ENCODERS = {"csv": as_csv, "jsonl": as_jsonl, "parquet": as_parquet}
