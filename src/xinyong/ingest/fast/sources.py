"""Canonical files (CSV, JSON Lines, Parquet) staged as Arrow tables for the SQL checks.

Each loader either returns a :class:`Staged` file or ``None``, meaning "this
file is for the reference path": whenever the fast reading could differ from
the reference reader (a quoted line break or a blank line shifts the line
numbers, a line separator Python's ``splitlines`` knows and a byte split does
not, a Parquet column type the checks do not translate), the whole file goes
through the reference reader, which also raises the same whole-file errors
(encoding, header) with the same messages.

CSV is parsed by Arrow's CSV reader, not DuckDB's: DuckDB trims blanks
around a quoted value (``a, "b" ,c`` gives ``b``), where Python's ``csv``
module, which the reference uses, keeps `` "b" `` as it is; Arrow's parser
follows Python's quoting rules, and any row it cannot parse the same way
(a wrong number of values) makes it raise, which sends the file to the
reference path.
"""

from __future__ import annotations

import bisect
import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from xinyong.ingest import csv_format, jsonl_format, parquet_format
from xinyong.ingest.canonical_schema import kind_schema
from xinyong.ingest.records import RawRecord
from xinyong.ingest.text import KINDS

from .canonical_sql import StagedField, given_fields, known_fields
from .sqltext import ident, literal, python_whitespace

BOM: Final = b"\xef\xbb\xbf"

_TEXT_TYPES: Final = (pa.string(), pa.large_string(), pa.null())
_INT_TYPES: Final = (
    pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(),
)  # fmt: skip


@dataclass
class Staged:
    """A file read into Arrow in the shape :mod:`canonical_sql` expects.

    ``contract(con)`` gives the table: ``_rn`` (record number), ``v_<field>``
    for every known field present (its value as Python's ``str()`` would
    give it, NULL for None), ``t_<field>`` where a field can hold more than
    one type, and whatever columns ``unknown`` (SELECT items giving
    ``_unknown_<kind>``), ``ref`` (the record needs the reference path) and
    ``location`` (SQL of the location text) refer to. ``raw_texts`` gives the
    text a reject row quotes for given record numbers, ``reference`` the
    reference reader's :class:`RawRecord` of one record.
    """

    contract: Callable[[duckdb.DuckDBPyConnection], pa.Table]
    fields: dict[str, StagedField]
    unknown: list[str]
    location: str
    raw_texts: Callable[[Sequence[int]], list[str]]
    reference: Callable[[int], RawRecord]
    ref: str = "false"


def _kind_fields(kind: str) -> frozenset[str]:
    return frozenset(kind_schema(kind).checks)


def _unknown_lists(columns: Mapping[str, str]) -> list[str]:
    """``_unknown_<kind>`` and ``_has_unknown_<kind>``: furnished fields outside a kind's schema.

    ``columns`` maps a column name, in furnished order, to the SQL condition
    under which the reference reader keeps it in the record's fields.
    """
    out = []
    for kind in KINDS:
        own = _kind_fields(kind)
        others = {name: cond for name, cond in columns.items() if name not in own}
        items = [f"CASE WHEN {cond} THEN {literal(name)} END" for name, cond in others.items()]
        has = " OR ".join(f"({c})" for c in others.values()) or "false"
        value = (
            f"CASE WHEN {has} THEN list_filter([{', '.join(items)}], lambda x: x IS NOT NULL) "
            "ELSE []::VARCHAR[] END"
            if items
            else "[]::VARCHAR[]"
        )
        out.append(f"{value} AS {ident('_unknown_' + kind)}")
        out.append(f"coalesce({has}, false) AS {ident('_has_unknown_' + kind)}")
    return out


def numbers(n: int) -> pa.Array:
    """1, 2, ..., n as int64, built in Arrow (no Python int per element)."""
    ones = pc.fill_null(pa.nulls(n, pa.int64()), 1)
    numbers: pa.Array = pc.cumulative_sum(ones)
    return numbers


def take_rows(table: pa.Table, record_nos: Sequence[int]) -> pa.Table:
    """Rows ``record_no - 1`` of ``table``, in the given order.

    ``Table.take`` on a table of many chunks concatenates them first (tens of
    milliseconds for a million rows, per call); here each chunk is looked up
    on its own, which keeps a call proportional to the rows asked for.
    """
    batches = table.to_batches()
    starts = [0]
    for batch in batches:
        starts.append(starts[-1] + batch.num_rows)
    parts = []
    for record_no in record_nos:
        row = record_no - 1
        i = bisect.bisect_right(starts, row) - 1
        parts.append(batches[i].slice(row - starts[i], 1))
    return pa.Table.from_batches(parts, schema=table.schema)


# --- CSV ----------------------------------------------------------------------------


def stage_csv(data: bytes) -> Staged | None:
    """A CSV file whose records are one line each, parsed as Python's ``csv`` would."""
    body = memoryview(data)[3:] if data.startswith(BOM) else memoryview(data)
    raw = bytes(body[: min(len(body), 1 << 16)])
    end = raw.find(b"\n")
    if end < 0:
        return None
    try:
        first = raw[:end].rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return None
    header = [name.strip() for name in next(csv.reader([first]))]
    known = set(known_fields())
    if not header or "record_kind" not in header or set(header) - known:
        return None
    if len(set(header)) != len(header):
        return None
    buffer = pa.py_buffer(body)
    carriage = data.count(b"\r")
    if carriage and carriage != data.count(b"\r\n"):
        return None  # a lone CR is a line break to Python's csv module
    try:
        table = pacsv.read_csv(
            pa.BufferReader(buffer),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, use_threads=True),
            parse_options=pacsv.ParseOptions(
                delimiter=",",
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    lines = bytes(body).rstrip(b"\r\n").count(b"\n") + 1 if len(body) else 0
    if lines != table.num_rows + 1:
        return None  # blank lines or quoted line breaks: line numbers would differ
    n = table.num_rows
    fields = {name: StagedField(True, frozenset("s")) for name in header}
    contract = table.rename_columns([f"v_{name}" for name in header]).append_column(
        "_rn", numbers(n)
    )
    unknown = _unknown_lists({name: f"{ident('v_' + name)} <> ''" for name in header})
    text_header = list(header)

    def raw_texts(record_nos: Sequence[int]) -> list[str]:
        rows = take_rows(table, record_nos)
        out = []
        for row in zip(*(rows.column(i).to_pylist() for i in range(len(header))), strict=True):
            buffer_ = io.StringIO()
            csv.writer(buffer_, lineterminator="").writerow(row)
            out.append(buffer_.getvalue())
        return out

    def reference(record_no: int) -> RawRecord:
        (line,) = raw_texts([record_no])
        head = io.StringIO()
        csv.writer(head, lineterminator="").writerow(text_header)
        text = head.getvalue() + "\n" + line + "\n"
        record = next(csv_format.read(text.encode("utf-8")))
        return replace(record, record_no=record_no, location=f"line {record_no + 1}")

    return Staged(
        lambda _con: contract, fields, unknown, "'line ' || (_rn + 1)", raw_texts, reference
    )


# --- JSON Lines ---------------------------------------------------------------------


def _lines(body: pa.Buffer) -> pa.Array | None:
    """The file's lines (split at ``\\n`` only), as UTF-8 text; None if it is not UTF-8."""
    offsets = pa.array([0, body.size], pa.int64()).buffers()[1]
    whole = pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, body])
    flat = pc.split_pattern(whole, pattern="\n").flatten()
    try:
        return flat.cast(pa.large_string())
    except pa.ArrowInvalid:
        return None  # not UTF-8: the reference reader refuses the file


def stage_jsonl(data: bytes) -> Staged | None:
    """JSON Lines split at ``\\n``, one ``\\r`` before it dropped (:func:`jsonl_format.lines`).

    DuckDB parses each line (``json_valid``, ``json_keys``, one
    ``json_extract_string`` and one ``json_type`` over all known paths).
    DuckDB's parser is more lenient than Python's ``json`` in a few ways
    (trailing commas, ``nan``/``inf`` spellings, the first of duplicate keys
    where Python keeps the last), and it cannot tell every Python type apart
    (floats, booleans, huge integers): such lines, and lines that are not
    JSON objects at all, go to the reference reader one by one.
    """
    body = memoryview(data)[3:] if data.startswith(BOM) else memoryview(data)
    lines = _lines(pa.py_buffer(body))
    if lines is None:
        return None
    if b"\r" in data:
        lines = pc.replace_substring_regex(lines, pattern="\r$", replacement="", max_replacements=1)
    blank_class = "^[" + "".join(f"\\x{{{ord(c):X}}}" for c in python_whitespace()) + "]*$"
    keep = pc.invert(pc.match_substring_regex(lines, blank_class))
    line_no = pc.filter(numbers(len(lines)), keep)
    text = pc.filter(lines, keep)
    table = pa.table({"_rn": numbers(len(text)), "_line": line_no, "line": text})
    names = list(known_fields())
    fields = {
        name: StagedField(
            True, frozenset("si"), given=ident("g_" + name) if name in given_fields() else "true"
        )
        for name in names
    }
    paths = "[" + ", ".join(literal('$."' + name + '"') for name in names) + "]"
    items = ["_rn", "_line"]
    odd_types = []
    for i, name in enumerate(names, start=1):
        t, v = f"_types[{i}]", f"_vals[{i}]"
        items.append(f"{v} AS {ident('v_' + name)}")
        items.append(
            f"CASE WHEN {t} = 'VARCHAR' THEN 's' WHEN {t} IN ('BIGINT', 'UBIGINT') THEN 'i' END "
            f"AS {ident('t_' + name)}"
        )
        # A missing key has no type (NULL): that is not odd.
        odd_types.append(
            f"coalesce({t} NOT IN ('VARCHAR', 'BIGINT', 'UBIGINT', 'NULL') OR "
            f"({t} = 'UBIGINT' AND TRY_CAST({v} AS BIGINT) IS NULL), false)"
        )
    lenient = (
        "regexp_matches(line, ',[ \\t\\n\\r]*[\\]}]') OR "
        "regexp_matches(line, '(?i)[:,\\[][ \\t\\n\\r]*[-+]?(nan|inf)')"
    )
    items.append(
        f"(_top IS DISTINCT FROM 'OBJECT' OR len(_keys) <> len(list_distinct(_keys)) OR "
        f"{lenient} OR {' OR '.join(odd_types)}) AS _ref"
    )
    for name in sorted(given_fields()):
        items.append(f"list_contains(_keys, {literal(name)}) AS {ident('g_' + name)}")
    for kind in KINDS:
        own = ", ".join(literal(n) for n in sorted(_kind_fields(kind)))
        items.append(
            f"coalesce(list_filter(_keys, lambda k: NOT list_contains([{own}], k)), []) "
            f"AS {ident('_unknown_' + kind)}"
        )
    select = f"""
        WITH p AS (SELECT _rn, _line, line, json_valid(line) AS _ok FROM json_lines),
        q AS (SELECT *, CASE WHEN _ok THEN json_type(line) END AS _top FROM p),
        r AS (
            SELECT *,
                CASE WHEN _top = 'OBJECT' THEN json_keys(line) END AS _keys,
                CASE WHEN _top = 'OBJECT' THEN json_extract_string(line, {paths}) END AS _vals,
                CASE WHEN _top = 'OBJECT' THEN json_type(line, {paths}) END AS _types
            FROM q
        )
        SELECT {", ".join(items)} FROM r
    """

    def contract(con: duckdb.DuckDBPyConnection) -> pa.Table:
        con.register("json_lines", table)
        try:
            result: pa.Table = con.sql(select).to_arrow_table()
        finally:
            con.unregister("json_lines")
        return result

    def raw_texts(record_nos: Sequence[int]) -> list[str]:
        picked = take_rows(table.select(["line"]), record_nos).column("line")
        return [str(s) for s in picked.to_pylist()]

    def reference(record_no: int) -> RawRecord:
        (line,) = raw_texts([record_no])
        number = take_rows(table.select(["_line"]), [record_no]).column("_line")[0].as_py()
        record = next(jsonl_format.read(line.encode("utf-8")))
        return replace(record, record_no=record_no, location=f"line {number}")

    unknown = [ident("_unknown_" + kind) for kind in KINDS] + [
        f"len({ident('_unknown_' + kind)}) > 0 AS {ident('_has_unknown_' + kind)}" for kind in KINDS
    ]
    return Staged(contract, fields, unknown, "'line ' || _line", raw_texts, reference, "_ref")


# --- Parquet ------------------------------------------------------------------------


def stage_parquet(data: bytes) -> Staged | None:
    """A Parquet file whose known columns are text, integers, or dates in date fields."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception:  # pyarrow raises several types for a damaged file
        return None
    names = table.column_names
    if "record_kind" not in names or len(set(names)) != len(names):
        return None
    kinds = known_fields()
    fields: dict[str, StagedField] = {}
    columns: dict[str, pa.ChunkedArray] = {"_rn": pa.chunked_array([numbers(table.num_rows)])}
    present: dict[str, str] = {}
    for i, (name, column) in enumerate(zip(names, table.columns, strict=True)):
        if name not in kinds:
            columns[f"k{i}"] = pc.is_valid(column)
            present[name] = ident(f"k{i}")
            continue
        if any(column.type == t for t in _TEXT_TYPES):
            fields[name] = StagedField(True, frozenset("s"))
        elif any(column.type == t for t in _INT_TYPES):
            fields[name] = StagedField(True, frozenset("i"))
        elif column.type == pa.date32() and kinds[name] == "date":
            fields[name] = StagedField(True, frozenset("d"))
        else:
            return None
        columns[f"v_{name}"] = column.cast(pa.string())
        present[name] = f"{ident('v_' + name)} IS NOT NULL"
    contract = pa.table(columns)

    def rows(record_nos: Sequence[int]) -> list[dict[str, Any]]:
        rows_: list[dict[str, Any]] = take_rows(table, record_nos).to_pylist()
        return rows_

    def raw_texts(record_nos: Sequence[int]) -> list[str]:
        return [parquet_format.row_record(0, row).raw for row in rows(record_nos)]

    def reference(record_no: int) -> RawRecord:
        (row,) = rows([record_no])
        return parquet_format.row_record(record_no, row)

    return Staged(
        lambda _con: contract,
        fields,
        _unknown_lists(present),
        "'row ' || _rn",
        raw_texts,
        reference,
    )


LOADERS: Final[dict[str, Callable[[bytes], Staged | None]]] = {
    "csv": stage_csv,
    "jsonl": stage_jsonl,
    "parquet": stage_parquet,
}
