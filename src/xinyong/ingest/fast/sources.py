"""Canonical files (CSV, JSON Lines, Parquet) staged, a chunk at a time, for the SQL checks.

Each loader returns a :class:`Staged` file, or ``None`` when what it can see
at once (a CSV header, a Parquet schema) already shows the file is for the
reference path. A staged file is read in chunks of records, never whole; a
chunk that shows the file is one the fast reading could get wrong (a quoted
line break or a blank line shifts the line numbers, a line separator
Python's ``splitlines`` knows and a byte split does not, bytes that are not
UTF-8) raises :class:`~xinyong.ingest.fast.outcome.Declined`, and the file
goes through the reference reader, which also raises the same whole-file
errors (encoding, header) with the same messages.

CSV is parsed by Arrow's CSV reader, not DuckDB's: DuckDB trims blanks
around a quoted value (``a, "b" ,c`` gives ``b``), where Python's ``csv``
module, which the reference uses, keeps `` "b" `` as it is; Arrow's parser
follows Python's quoting rules, and any row it cannot parse the same way
(a wrong number of values) makes it raise, which sends the file to the
reference path. It is also the faster of the two, several times over.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from xinyong.ingest import csv_format, jsonl_format, parquet_format
from xinyong.ingest.canonical_schema import kind_schema
from xinyong.ingest.records import FileRejected, RawRecord
from xinyong.ingest.source import BOM, Source, line_blocks, open_binary
from xinyong.ingest.text import KINDS

from .canonical_sql import StagedField, given_fields, known_fields
from .outcome import Declined
from .sqltext import ident, literal, python_whitespace

BLOCK_BYTES: Final = 2 << 20
"""Bytes of a text file staged at a time (whole lines); tests make it small."""
PARQUET_ROWS: Final = 16_384
"""Rows of a Parquet file staged at a time; tests make it small."""

_HEADER_BYTES: Final = 1 << 16
_TEXT_TYPES: Final = (pa.string(), pa.large_string(), pa.null())
_INT_TYPES: Final = (
    pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(),
)  # fmt: skip


@dataclass
class Chunk:
    """Consecutive records of a file in the shape :mod:`canonical_sql` expects.

    ``table`` has ``_rn`` (record numbers, ``first`` onwards) and the
    columns the file's :class:`Staged` describes. ``raw_texts`` gives the
    text a reject row quotes for given record numbers, ``reference`` the
    reference reader's :class:`RawRecord` of one record (both for records
    of this chunk only).
    """

    table: pa.Table
    first: int
    raw_texts: Callable[[Sequence[int]], list[str]]
    reference: Callable[[int], RawRecord]

    @property
    def last(self) -> int:
        return self.first + int(self.table.num_rows) - 1


@dataclass
class Staged:
    """A file ready to be checked chunk by chunk.

    ``chunks(con)`` reads the file and yields its records in chunks (``con``
    is a DuckDB connection the loader may use for its own queries). Every
    chunk has ``v_<field>`` for every known field present (its value as
    Python's ``str()`` would give it, NULL for None), ``t_<field>`` where a
    field can hold more than one type, and whatever columns ``unknown``
    (SELECT items giving ``_unknown_<kind>``, NULL or a list, and
    ``_has_unknown_<kind>``; they may read ``_kind``), ``ref`` (the record needs the
    reference path) and ``location`` (SQL of the location text) refer to.
    """

    chunks: Callable[[duckdb.DuckDBPyConnection], Iterator[Chunk]]
    fields: dict[str, StagedField]
    unknown: list[str]
    location: str
    ref: str = "false"


def _kind_fields(kind: str) -> frozenset[str]:
    return frozenset(kind_schema(kind).checks)


def _unknown_lists(columns: Mapping[str, str]) -> list[str]:
    """``_unknown_<kind>`` and ``_has_unknown_<kind>``: furnished fields outside a kind's schema.

    ``columns`` maps a column name, in furnished order, to the SQL condition
    under which the reference reader keeps it in the record's fields. The
    list is built only for records of that kind which have such a field (it
    is NULL, read as empty, elsewhere): a file of both kinds has columns of
    each, which are unknown to the other kind on every record, and building
    a list per record and kind cost more than all of a field's checks. The
    items come after ``_kind`` in the SELECT, which they read.
    """
    out = []
    for kind in KINDS:
        own = _kind_fields(kind)
        others = {name: cond for name, cond in columns.items() if name not in own}
        items = [f"CASE WHEN {cond} THEN {literal(name)} END" for name, cond in others.items()]
        has = " OR ".join(f"({c})" for c in others.values()) or "false"
        value = (
            f"CASE WHEN _kind = {literal(kind)} AND ({has}) "
            f"THEN list_filter([{', '.join(items)}], lambda x: x IS NOT NULL) END"
            if items
            else "NULL::VARCHAR[]"
        )
        out.append(f"{value} AS {ident('_unknown_' + kind)}")
        out.append(f"coalesce({has}, false) AS {ident('_has_unknown_' + kind)}")
    return out


def numbers(n: int, start: int = 1) -> pa.Array:
    """start, start + 1, ..., start + n - 1 as int64, built in Arrow (no Python int per element)."""
    ones = pc.fill_null(pa.nulls(n, pa.int64()), 1)
    numbers: pa.Array = pc.add(pc.cumulative_sum(ones), start - 1)
    return numbers


def take_rows(table: pa.Table, record_nos: Sequence[int]) -> pa.Table:
    """Rows ``record_no - 1`` of ``table``, in the given order.

    ``Table.take`` on a table of many chunks concatenates them first (tens of
    milliseconds for a million rows, per call); here each run of rows in one
    chunk is taken from that chunk alone, which keeps a call proportional to
    the rows asked for, and the result in few chunks (a chunk per row made
    reading its columns back cost more than the rest of a reject).
    """
    batches = table.to_batches()
    starts = np.cumsum([0] + [batch.num_rows for batch in batches])
    rows = np.asarray(record_nos, dtype=np.int64) - 1
    which = np.searchsorted(starts, rows, side="right") - 1
    edges = [0, *(np.flatnonzero(np.diff(which)) + 1).tolist(), len(rows)]
    parts = []
    for begin, end in itertools.pairwise(edges):
        if end > begin:
            batch = int(which[begin])
            parts.append(batches[batch].take(pa.array(rows[begin:end] - starts[batch])))
    return pa.Table.from_batches(parts, schema=table.schema)


def _local(record_nos: Sequence[int], first: int) -> list[int]:
    """File record numbers as numbers within a chunk starting at record ``first``."""
    return [r - first + 1 for r in record_nos]


def _trailing_line_breaks(data: bytes, start: int) -> int:
    """How many bytes of ``\\r`` and ``\\n`` end ``data[start:]``."""
    end = len(data)
    while end > start and data[end - 1] in b"\r\n":
        end -= 1
    return len(data) - end


def _newlines(data: bytes, start: int, end: int) -> int:
    """``data.count(b"\\n", start, end)``, vectorised: four times faster on megabyte blocks."""
    return int(np.count_nonzero(np.frombuffer(data, np.uint8, end - start, start) == 0x0A))


# --- CSV ----------------------------------------------------------------------------


def _csv_header(data: Source) -> list[str] | None:
    """The header's names, if the first line is a header the fast path reads as Python does."""
    with open_binary(data) as stream:
        raw = stream.read(_HEADER_BYTES + len(BOM))
    raw = raw[len(BOM) :] if raw.startswith(BOM) else raw[:_HEADER_BYTES]
    end = raw.find(b"\n")
    if end < 0:
        return None
    try:
        first = raw[:end].rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return None
    header = [name.strip() for name in next(csv.reader([first]))]
    if not header or "record_kind" not in header or set(header) - set(known_fields()):
        return None
    if len(set(header)) != len(header):
        return None
    return header


def _csv_table(buffer: pa.Buffer, header: list[str], quoted: bool = True) -> pa.Table:
    """One block of whole CSV lines (no header) parsed, every value as text.

    ``quoted``: the block may hold a quote character. Only a quoted value can
    hold a line break, so a block without quotes is parsed without looking
    for line breaks in values: the same table, for about a quarter less CPU
    (Arrow's parser then splits the block at every line break, unquoted).
    """
    try:
        return pacsv.read_csv(
            pa.BufferReader(buffer),
            read_options=pacsv.ReadOptions(column_names=header, use_threads=True),
            parse_options=pacsv.ParseOptions(
                delimiter=",",
                quote_char='"',
                double_quote=True,
                escape_char=False,
                # Quoted line breaks parsed as Python does, so that they merge
                # lines into one record and the line count shows it.
                newlines_in_values=quoted,
                ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise Declined(f"CSV block not parsed as Python would: {exc}") from exc


def stage_csv(data: Source) -> Staged | None:
    """A CSV file whose records are one line each, parsed as Python's ``csv`` would."""
    header = _csv_header(data)
    if header is None:
        return None
    text_header = list(header)
    names = [f"v_{name}" for name in header]

    def chunk(table: pa.Table, first: int) -> Chunk:
        def raw_texts(record_nos: Sequence[int]) -> list[str]:
            rows = take_rows(table, _local(record_nos, first))
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

        contract = table.rename_columns(names).append_column("_rn", numbers(table.num_rows, first))
        return Chunk(contract, first, raw_texts, reference)

    def chunks(_con: duckdb.DuckDBPyConnection) -> Iterator[Chunk]:
        first = 1
        blank_before = False  # blank lines ended the previous block
        with open_binary(data) as stream:
            for i, block in enumerate(line_blocks(stream, BLOCK_BYTES)):
                # ``in`` first: a search stops at the first match, a count reads every byte.
                if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
                    raise Declined("a lone carriage return is a line break to Python's csv")
                start = 0
                if i == 0:
                    start = len(BOM) if block.startswith(BOM) else 0
                    start = block.index(b"\n", start) + 1  # past the header line
                tail = _trailing_line_breaks(block, start)
                end = len(block) - tail
                lines = _newlines(block, start, end) + 1 if end > start else 0
                if lines and blank_before:
                    raise Declined("a blank line between records shifts the line numbers")
                breaks = block.count(b"\n", end) - (1 if lines else 0)
                blank_before = blank_before or breaks > 0
                if not lines:
                    continue
                body = pa.py_buffer(block).slice(start, end - start)
                table = _csv_table(body, header, quoted=b'"' in block)
                if table.num_rows != lines:
                    raise Declined("blank lines or quoted line breaks: line numbers would differ")
                yield chunk(table, first)
                first += table.num_rows

    fields = {name: StagedField(True, frozenset("s")) for name in header}
    unknown = _unknown_lists({name: f"{ident('v_' + name)} <> ''" for name in header})
    return Staged(chunks, fields, unknown, "'line ' || (_rn + 1)")


# --- JSON Lines ---------------------------------------------------------------------


def _lines(body: pa.Buffer) -> pa.Array:
    """The block's lines (split at ``\\n`` only), as UTF-8 text; Declined if it is not UTF-8."""
    offsets = pa.array([0, body.size], pa.int64()).buffers()[1]
    whole = pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, body])
    flat = pc.split_pattern(whole, pattern="\n").flatten()
    try:
        text: pa.Array = flat.cast(pa.large_string())
    except pa.ArrowInvalid as exc:
        raise Declined("not UTF-8: the reference reader refuses the file") from exc
    return text


def _json_select() -> tuple[dict[str, StagedField], str, list[str]]:
    """The fields, the SQL that parses a chunk of lines (``json_lines``), the unknown items.

    DuckDB parses each line: ``json_valid`` (an object: valid, and ``{``
    first), ``json_keys``, and ``from_json`` into a struct of every known
    field as JSON text (one parse for all fields, where lists of paths cost
    a list per line to take apart). A field's JSON text gives its type by
    its first character (a quote for text; an integer is an integer's own
    canonical text) and its value (``json_extract_string`` of that text).

    DuckDB's parser is more lenient than Python's ``json`` in a few ways
    (trailing commas, ``nan``/``inf`` spellings, the first of duplicate keys
    where Python keeps the last), and it cannot tell every Python type apart
    (floats, booleans, huge integers): such lines, and lines that are not
    JSON objects at all, go to the reference reader one by one. A lenient
    number in a known field makes it odd already; elsewhere it can only sit
    in a field no kind knows, so only lines with one are searched for it.
    """
    names = list(known_fields())
    fields = {
        name: StagedField(
            True, frozenset("si"), given=ident("g_" + name) if name in given_fields() else "true"
        )
        for name in names
    }
    struct = "{" + ", ".join(f'"{name}": "JSON"' for name in names) + "}"
    texts = [f"_s.{ident(name)}::VARCHAR AS {ident('x_' + name)}" for name in names]
    types = []
    for name in names:
        x = ident("x_" + name)
        types.append(
            f"CASE WHEN left({x}, 1) = '\"' THEN 's' "
            f"WHEN CAST(TRY_CAST({x} AS BIGINT) AS VARCHAR) = {x} THEN 'i' END "
            f"AS {ident('t_' + name)}"
        )
    items = ["_rn", "_line", "line"]
    odd_types = []
    for name in names:
        x, t = ident("x_" + name), ident("t_" + name)
        items.append(
            f"CASE WHEN {t} = 's' THEN json_extract_string({x}, '$') ELSE {x} END "
            f"AS {ident('v_' + name)}"
        )
        items.append(t)
        odd_types.append(f"({x} IS NOT NULL AND {t} IS NULL)")
    # A record's unknown fields are listed for its own kind only (NULL, read
    # as empty, for the other): ``_pr`` is ``_kind = 'public_record'`` as
    # kind_columns decides it (a JSON string, exactly that).
    public = "public_record"
    unknown_items = [
        "coalesce(left(x_record_kind, 1) = '\"' AND "
        f"json_extract_string(x_record_kind, '$') = {literal(public)}, false) AS _pr"
    ]
    for kind in KINDS:
        own = ", ".join(literal(n) for n in sorted(_kind_fields(kind)))
        mine = "_pr" if kind == public else "NOT _pr"
        unknown_items.append(
            f"CASE WHEN {mine} THEN list_filter(_keys, lambda k: NOT list_contains([{own}], k)) "
            f"END AS {ident('_unknown_' + kind)}"
        )
    # Keys outside every kind's fields: only these can hide a lenient number
    # (known fields are all typed above). They are among the record's own
    # kind's unknown fields (every kind's fields are known fields), so only
    # records with one are searched for them, and only those lines for the number.
    known = ", ".join(literal(n) for n in sorted(names))
    foreign = " ".join(
        f"WHEN len({ident('_unknown_' + kind)}) > 0 THEN len(list_filter("
        f"{ident('_unknown_' + kind)}, lambda k: NOT list_contains([{known}], k))) > 0"
        for kind in KINDS
    )
    has_foreign = f"coalesce(CASE {foreign} ELSE false END, false)"
    trailing_comma = "regexp_matches(line, ',[ \\t\\n\\r]*[\\]}]')"
    lenient_number = "regexp_matches(line, '(?i)[:,\\[][ \\t\\n\\r]*[-+]?(nan|inf)')"
    duplicate = "len(list_filter(_keys, lambda k, i: list_position(_keys, k) <> i)) > 0"
    items.append(
        f"(NOT _object OR {duplicate} OR {trailing_comma} OR "
        f"CASE WHEN {has_foreign} THEN {lenient_number} ELSE false END OR "
        f"{' OR '.join(odd_types)}) AS _ref"
    )
    for name in sorted(given_fields()):
        items.append(f"list_contains(_keys, {literal(name)}) AS {ident('g_' + name)}")
    items += [ident("_unknown_" + kind) for kind in KINDS]
    select = f"""
        WITH q AS (
            SELECT _rn, _line, line,
                json_valid(line) AND regexp_matches(line, '^[ \\t\\n\\r]*\\{{') AS _object
            FROM json_lines
        ),
        r AS (
            SELECT *,
                CASE WHEN _object THEN json_keys(line) END AS _keys,
                CASE WHEN _object THEN from_json(line, {literal(struct)}) END AS _s
            FROM q
        ),
        x0 AS (SELECT _rn, _line, line, _object, _keys, {", ".join(texts)} FROM r),
        x AS (SELECT *, {", ".join(unknown_items)} FROM x0),
        t AS (SELECT *, {", ".join(types)} FROM x)
        SELECT {", ".join(items)} FROM t
    """
    unknown = [ident("_unknown_" + kind) for kind in KINDS] + [
        f"coalesce(len({ident('_unknown_' + kind)}) > 0, false) AS {ident('_has_unknown_' + kind)}"
        for kind in KINDS
    ]
    return fields, select, unknown


_LINES_SCHEMA: Final = pa.schema(
    [("_rn", pa.int64()), ("_line", pa.int64()), ("line", pa.large_string())]
)
JSON_ROWS: Final = 8_192
"""Records parsed by DuckDB given out at a time as one chunk."""


def stage_jsonl(data: Source) -> Staged | None:
    """JSON Lines split at ``\\n``, one ``\\r`` before it dropped (:func:`jsonl_format.lines`).

    The lines are cut in Arrow and parsed by one streaming DuckDB query on
    the loader's own connection (planned once per file: its SQL is large),
    whose output batches are the chunks; each keeps its lines' text, for the
    raw text of a reject and the reference reader.
    """
    fields, select, unknown = _json_select()
    blank_class = "^[" + "".join(f"\\x{{{ord(c):X}}}" for c in python_whitespace()) + "]*$"

    def chunk(parsed: pa.Table) -> Chunk:
        first = int(parsed.column("_rn")[0].as_py())
        lines = parsed.select(["_line", "line"])

        def raw_texts(record_nos: Sequence[int]) -> list[str]:
            picked = take_rows(lines.select(["line"]), _local(record_nos, first)).column("line")
            return [str(s) for s in picked.to_pylist()]

        def reference(record_no: int) -> RawRecord:
            (line,) = raw_texts([record_no])
            (local,) = _local([record_no], first)
            number = take_rows(lines.select(["_line"]), [local]).column("_line")[0].as_py()
            record = next(jsonl_format.read(line.encode("utf-8")))
            return replace(record, record_no=record_no, location=f"line {number}")

        return Chunk(parsed.drop_columns(["line"]), first, raw_texts, reference)

    def line_tables(failed: list[BaseException]) -> Iterator[pa.RecordBatch]:
        first, line_no = 1, 0
        try:
            with open_binary(data) as stream:
                for i, block in enumerate(line_blocks(stream, BLOCK_BYTES)):
                    start = len(BOM) if i == 0 and block.startswith(BOM) else 0
                    lines = _lines(pa.py_buffer(block).slice(start))
                    if block.endswith(b"\n"):
                        lines = lines.slice(0, len(lines) - 1)  # no line after the final break
                    if b"\r" in block:
                        lines = pc.replace_substring_regex(
                            lines, pattern="\r$", replacement="", max_replacements=1
                        )
                    keep = pc.invert(pc.match_substring_regex(lines, blank_class))
                    line_nos = pc.filter(numbers(len(lines), line_no + 1), keep)
                    text = pc.filter(lines, keep)
                    line_no += len(lines)
                    if len(text):
                        columns = [numbers(len(text), first), line_nos, text]
                        yield pa.RecordBatch.from_arrays(columns, schema=_LINES_SCHEMA)
                        first += len(text)
        except GeneratorExit:
            raise
        except BaseException as exc:
            failed.append(exc)  # DuckDB, which pulls these, reports it as its own error
            raise

    def chunks(con: duckdb.DuckDBPyConnection) -> Iterator[Chunk]:
        failed: list[BaseException] = []
        con.register(
            "json_lines", pa.RecordBatchReader.from_batches(_LINES_SCHEMA, line_tables(failed))
        )
        parsed: pa.RecordBatchReader | None = None
        try:
            parsed = con.sql(select).to_arrow_reader(JSON_ROWS)  # starts pulling lines at once
            for batch in parsed:
                if batch.num_rows:
                    yield chunk(pa.Table.from_batches([batch]))
        except Exception:
            if failed:
                raise failed[0] from None
            raise
        finally:
            if parsed is not None:  # the query before the connection: closing that under it crashes
                parsed.close()
            with contextlib.suppress(duckdb.Error):
                con.unregister("json_lines")

    return Staged(chunks, fields, unknown, "'line ' || _line", "_ref")


# --- Parquet ------------------------------------------------------------------------


def stage_parquet(data: Source) -> Staged | None:
    """A Parquet file whose known columns are text, integers, or dates in date fields."""
    try:
        with open_binary(data) as stream:
            schema = parquet_format.open_parquet(stream).schema_arrow
    except FileRejected:
        return None
    names = schema.names
    if "record_kind" not in names or len(set(names)) != len(names):
        return None
    kinds = known_fields()
    fields: dict[str, StagedField] = {}
    for name, type_ in zip(names, schema.types, strict=True):
        if name not in kinds:
            continue
        if any(type_ == t for t in _TEXT_TYPES):
            fields[name] = StagedField(True, frozenset("s"))
        elif any(type_ == t for t in _INT_TYPES):
            fields[name] = StagedField(True, frozenset("i"))
        elif type_ == pa.date32() and kinds[name] == "date":
            fields[name] = StagedField(True, frozenset("d"))
        else:
            return None
    present = {
        name: f"{ident('v_' + name)} IS NOT NULL" if name in kinds else ident(f"k{i}")
        for i, name in enumerate(names)
    }

    def chunk(table: pa.Table, first: int) -> Chunk:
        columns: dict[str, Any] = {"_rn": numbers(table.num_rows, first)}
        for i, (name, column) in enumerate(zip(names, table.columns, strict=True)):
            if name in kinds:
                columns[f"v_{name}"] = column.cast(pa.string())
            else:
                columns[f"k{i}"] = pc.is_valid(column)

        def rows(record_nos: Sequence[int]) -> list[dict[str, Any]]:
            rows_: list[dict[str, Any]] = take_rows(table, _local(record_nos, first)).to_pylist()
            return rows_

        def raw_texts(record_nos: Sequence[int]) -> list[str]:
            return [parquet_format.row_record(0, row).raw for row in rows(record_nos)]

        def reference(record_no: int) -> RawRecord:
            (row,) = rows([record_no])
            return parquet_format.row_record(record_no, row)

        return Chunk(pa.table(columns), first, raw_texts, reference)

    def chunks(_con: duckdb.DuckDBPyConnection) -> Iterator[Chunk]:
        first = 1
        with open_binary(data) as stream:
            parquet = pq.ParquetFile(stream)
            batches = parquet.iter_batches(batch_size=PARQUET_ROWS)
            while True:
                try:
                    batch = next(batches, None)
                except Exception as exc:  # pyarrow raises several types for a damaged file
                    raise Declined(f"Parquet file not readable: {exc}") from exc
                if batch is None:
                    return
                if batch.num_rows:
                    yield chunk(pa.Table.from_batches([batch]), first)
                    first += batch.num_rows

    return Staged(chunks, fields, _unknown_lists(present), "'row ' || _rn")


LOADERS: Final[dict[str, Callable[[Source], Staged | None]]] = {
    "csv": stage_csv,
    "jsonl": stage_jsonl,
    "parquet": stage_parquet,
}
