"""The vectorised check of a Metro 2 character file (fixed or variable length).

Whole-file checks first, all before any outcome is produced, so that a file
the reference reader would refuse goes to it (and gets its message):
printable ASCII, framing by the descriptor words, one header first and one
trailer last, and the trailer totals recomputed from the records.

Framing a fixed-length file whose records all have the header's length (what
:func:`xinyong.ingest.metro2.write` and most furnishers produce) is a stride
through the buffer; any other file is framed by the reference reader's own
framer. The records then become one Arrow string array over the file's
bytes, and DuckDB cuts the fields out with ``substr`` (:mod:`metro2_sql`).

Records with a base segment alone, or a base and one J1 segment, are checked
in SQL; every other record (J2, K1-K4, L1, N1, unknown or misordered
segments) goes through the reference path record by record, and so do
records whose account number holds ``|`` (``keyed_hash`` hashes those over
its length-prefixed encoding, which the SQL does not build). The packed
format is not handled here.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.ingest import metro2, metro2_format
from xinyong.ingest.canonical_rules import Checked
from xinyong.ingest.ledger_tables import ACCOUNTS_SCHEMA
from xinyong.ingest.metro2.codec import decode_segment
from xinyong.ingest.metro2.layout import BASE, J1, TRAILER_TOTAL_FIELDS
from xinyong.ingest.metro2.model import Metro2File, Metro2FileError, Record
from xinyong.ingest.metro2.reader import (
    _Framer,
    _OffsetMap,
    _parse_record,
    _strip_line_breaks,
)
from xinyong.ingest.metro2.trailer import trailer_totals
from xinyong.ingest.records import RawRecord

from .canonical import BATCH_ROWS, batched, connect, materialise
from .identifiers import check_keys, keys, lookup
from .metro2_sql import (
    feature_columns,
    field_columns,
    row_columns,
    ssn_value,
    trailer_sql,
    violations_sql,
)
from .outcome import Piece, keep_rows, piece_of
from .sources import numbers
from .sqltext import VIOLATION_TYPE, hmac_sha256, ident, mask

_PRINTABLE: Final = bytes(range(0x20, 0x7F)) + b"\r\n"
COMPLEX_SHARE: Final = 0.25
COMPLEX_MINIMUM: Final = 1000
"""Above this share (and number) of records outside the SQL's shapes, the reference path
takes the whole file: checking them one by one is its work anyway."""

_ID_COLUMNS: Final = (
    "id_ok", "id_rule", "id_message", "id_country", "id_hash", "id_masked", "id_warnings",
    "warn_n",
)  # fmt: skip


@dataclass
class Framed:
    """A file cut into records: the data records' text, numbers and file offsets."""

    records: pa.Table  # _rn, _off, rec
    header: bytes
    trailer: bytes
    blocks: int


def _frame(data: bytes, variant: str) -> Framed | None:
    """The data records of a character file, or None where the reference must decide."""
    breaks = b"\n" in data or b"\r" in data
    buf, where = _strip_line_breaks(data) if breaks else (data, _OffsetMap([]))
    width = int(buf[:4]) if buf[:4].isdigit() else 0
    content_end = len(buf.rstrip(b" "))
    count = -(-content_end // width) if width >= BASE.length else 0
    word = b"%04d" % width
    if (
        variant == "fixed"
        and count >= 2
        and count * width <= len(buf)
        and all(buf.startswith(word, p) for p in range(0, count * width, width))
    ):
        # Every record the header's length: the data records lie back to back.
        n = count - 2
        ends = pc.multiply(numbers(n + 1), width)  # width, 2 * width, ...
        texts = pa.LargeStringArray.from_buffers(n, ends.buffers()[1], pa.py_buffer(buf))
        header, trailer = buf[:width], buf[(n + 1) * width : (n + 2) * width]
        blocks = count
        firsts = range(width, (n + 1) * width, width)
        positions = pa.array([where(p) for p in firsts], pa.int64()) if breaks else ends.slice(0, n)
    else:
        framer = _Framer(buf, packed=False, where=where)
        try:
            framer.run(blocked=variant == "variable")
        except Metro2FileError:
            return None
        units = framer.units
        if len(units) < 2:
            return None
        n = len(units) - 2
        # Records and the gaps between them (descriptor words, fill) as one string
        # array over the buffer; the records are every other value.
        bounds = [units[0].start]
        for unit, after in zip(units, [*units[1:], units[-1]], strict=True):
            bounds += [unit.end, after.start if after is not unit else unit.end]
        offsets = pa.array(bounds[:-1], pa.int64()).buffers()[1]
        spans = pa.LargeStringArray.from_buffers(2 * len(units) - 1, offsets, pa.py_buffer(buf))
        texts = spans.take(pa.array(range(2, 2 * n + 1, 2), pa.int64()))
        starts = [u.start for u in units[1 : n + 1]]
        header = buf[units[0].start : units[0].end]
        trailer = buf[units[-1].start : units[-1].end]
        blocks = framer.blocks
        positions = pa.array([where(p) for p in starts], pa.int64())
    records = pa.table({"_rn": numbers(n), "_off": positions, "rec": texts})
    return Framed(records, header, trailer, blocks)


def _simple_sql() -> str:
    """A record the SQL handles: base only, or base and one J1, blank-padded."""
    j1_end = BASE.length + J1.length
    after_base, j1_data = BASE.length + 1, f"{BASE.length + 3}, {J1.length - 2}"
    return (
        f"(trim(substr(rec, {after_base})) = '' OR (substr(rec, {after_base}, 2) = 'J1' "
        f"AND length(rec) >= {j1_end} AND trim(substr(rec, {j1_data})) <> '' "
        f"AND trim(substr(rec, {j1_end + 1})) = ''))"
    )


def _record(framed: Framed, record_no: int) -> Record:
    """The reference reader's :class:`Record` for one record."""
    row = framed.records.slice(record_no - 1, 1).to_pylist()[0]
    body = row["rec"].encode("ascii")
    base, segments, problems, _ = _parse_record(body, packed=False, origin=row["_off"])
    rdw = int(body[:4])
    return Record(base, segments, record_no, row["_off"], body, rdw, None, tuple(problems))


def _trailer_matches(
    con: duckdb.DuckDBPyConnection, framed: Framed, complex_records: list[Record]
) -> bool:
    """Whether the trailer's totals are those of the records (``trailer_mismatches`` is empty)."""
    totals: Counter[str] = Counter()
    row = (
        con.sql(f"SELECT {', '.join(trailer_sql())} FROM parsed WHERE _simple")
        .to_arrow_table()
        .to_pylist()[0]
    )
    totals.update({k: int(v) for k, v in row.items()})
    if complex_records:
        extra = trailer_totals(
            Metro2File(
                framed_header(framed), complex_records, framed_trailer(framed), block_count=0
            )
        )
        extra.pop("total_base_records")
        extra.pop("block_count")
        totals.update(extra)
    totals["total_base_records"] = framed.records.num_rows
    totals["block_count"] = framed.blocks
    trailer = framed_trailer(framed)
    return all(
        trailer.number(name) == totals.get(name, 0)
        for name in TRAILER_TOTAL_FIELDS
        if name != "reserved_1"
    )


def framed_header(framed: Framed) -> metro2.Segment:
    return decode_segment("header", framed.header[: BASE.length])[0]


def framed_trailer(framed: Framed) -> metro2.Segment:
    return decode_segment("trailer", framed.trailer[: BASE.length])[0]


def _identifiers(con: duckdb.DuckDBPyConnection, hash_key: bytes) -> pa.Table:
    """Each record's SSN outcome for the base (``b_``) and J1 (``j_``) consumer, in order."""
    values = con.sql(
        f"SELECT {ssn_value('b_')} AS b, CASE WHEN _has_j1 THEN {ssn_value('j_')} END AS j "
        "FROM parsed"
    ).to_arrow_table()
    n = values.num_rows
    scheme = pa.chunked_array([pa.array(["us_ssn"] * n, pa.string())]) if n else None
    country = pa.chunked_array([pa.nulls(n, pa.string())])
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    row_keys = {
        p: keys(scheme, values.column(p), country)
        if scheme is not None
        else pa.array([], pa.string())
        for p in ("b", "j")
    }
    distinct = pc.unique(pa.concat_arrays([row_keys["b"], row_keys["j"]]))
    con.register("ids_raw", check_keys(distinct))
    message = "_v_scheme || '|' || coalesce(_v_country, '') || '|' || _v_value"
    results = con.sql(
        f"""SELECT _key, _id_ok AS id_ok, _id_rule AS id_rule, _id_message AS id_message,
            _v_country AS id_country,
            CASE WHEN _id_ok THEN {hmac_sha256(hash_key, message)} END AS id_hash,
            CASE WHEN _id_ok THEN {mask("_v_value")} END AS id_masked,
            _id_warnings AS id_warnings, _id_warn_n AS warn_n
        FROM ids_raw"""
    ).to_arrow_table()
    con.unregister("ids_raw")
    for p in ("b", "j"):
        found = lookup(row_keys[p], results)
        for name in _ID_COLUMNS:
            columns[f"{p}_{name}"] = found.column(name)
    return pa.table(columns)


def _main_sql(hash_key: bytes, furnisher_id: str) -> str:
    base_bad, j1_bad, listed = violations_sql()
    account = f"trim({ident('b_consumer_account_number')})"
    return f"""
        WITH v AS (
            SELECT *, coalesce({base_bad}, false) AS _base_bad,
                coalesce(_has_j1 AND {j1_bad}, false) AS _j1_bad
            FROM with_ids
        ),
        s AS (
            SELECT *,
                CASE WHEN NOT _simple THEN 'X'
                    WHEN _base_bad OR _j1_bad THEN 'R'
                    WHEN contains({account}, '|') THEN 'X'
                    ELSE 'A' END AS _status
            FROM v
        )
        SELECT _rn, 'account' AS _kind, _status, _has_j1,
            'offset ' || _off AS location,
            CASE WHEN _status = 'R' THEN {listed} ELSE CAST([] AS {VIOLATION_TYPE}) END
                AS _violations,
            CASE WHEN _status = 'R' THEN rec END AS _raw,
            coalesce(b_warn_n, 0) + CASE WHEN _has_j1 AND NOT _base_bad AND NOT _j1_bad
                THEN coalesce(j_warn_n, 0) ELSE 0 END AS _warn_n,
            {", ".join(row_columns(hash_key, furnisher_id, "b_", 0))},
            {", ".join(row_columns(hash_key, furnisher_id, "j_", 1))}
        FROM s
    """


def _split(batch: pa.Table, accepted: pa.ChunkedArray) -> dict[str, list[pa.Table]]:
    """The base consumer's row and, where there is one, the J1 consumer's, in that order."""
    names = ACCOUNTS_SCHEMA.names
    base = keep_rows(batch.select([f"b_out_{n}" for n in names]), accepted)
    base = base.rename_columns(names)
    with_j1 = pc.and_(accepted, batch.column("_has_j1"))
    if not pc.any(with_j1).as_py():
        return {"accounts": [base.cast(ACCOUNTS_SCHEMA)]}
    j1 = batch.select([f"j_out_{n}" for n in names]).filter(with_j1).rename_columns(names)
    both = pa.concat_tables([base, j1]).cast(ACCOUNTS_SCHEMA)
    order = pc.sort_indices(
        both, sort_keys=[("record_no", "ascending"), ("consumer_no", "ascending")]
    )
    return {"accounts": [both.take(order)]}


def check_metro2(
    data: bytes, furnisher_id: str, hash_key: bytes, *, batch_rows: int = BATCH_ROWS
) -> Iterator[Piece] | None:
    """The outcome of a Metro 2 character file, in pieces; None for the reference path."""
    detection = metro2.detect(data)
    if detection is None or detection.format != "metro2":
        return None
    if data.translate(None, _PRINTABLE):
        return None  # not printable ASCII: the reader refuses the file, with its message
    framed = _frame(data, detection.variant)
    if framed is None:
        return None
    folder = tempfile.TemporaryDirectory(prefix="xinyong-fast-")
    con = connect(folder.name)
    try:
        outcome = _prepare(con, framed, hash_key)
    except BaseException:
        con.close()
        folder.cleanup()
        raise
    if outcome is None:
        con.close()
        folder.cleanup()
        return None
    return _pieces(con, folder, framed, outcome, furnisher_id, hash_key, batch_rows)


def _views(con: duckdb.DuckDBPyConnection, records: pa.Table) -> None:
    """``recs``: each record's fields cut out; ``parsed``: with its shape (simple, J1)."""
    materialise(con, "records", records)
    cut = [*field_columns(BASE, "b_"), *field_columns(J1, "j_", BASE.length)]
    con.execute(
        f"CREATE TEMP VIEW recs AS SELECT *, {_simple_sql()} AS _simple, "
        f"substr(rec, {BASE.length + 1}, 2) = 'J1' AS _has_j1_raw, {', '.join(cut)} FROM records"
    )
    con.execute(
        "CREATE TEMP VIEW parsed AS SELECT * EXCLUDE (_has_j1_raw), "
        f"_simple AND _has_j1_raw AS _has_j1, {', '.join(feature_columns())} FROM recs"
    )


def _prepare(
    con: duckdb.DuckDBPyConnection, framed: Framed, hash_key: bytes
) -> dict[int, Record] | None:
    """Register the records, verify structure and trailer; the records left to the reference."""
    _views(con, framed.records)
    ((stray, complex_nos),) = con.sql(
        "SELECT count(*) FILTER (WHERE substr(rec, 5, 6) = 'HEADER' "
        "OR substr(rec, 5, 7) = 'TRAILER'), list(_rn) FILTER (WHERE NOT _simple) FROM recs"
    ).fetchall()
    trailer = framed.trailer
    if stray or trailer[4:11] != b"TRAILER" or framed.header[4:10] != b"HEADER":
        return None  # a second header, data after the trailer, no trailer: the reader says which
    numbers = sorted(complex_nos or [])
    if len(numbers) > COMPLEX_MINIMUM and len(numbers) > COMPLEX_SHARE * framed.records.num_rows:
        return None  # mostly records the SQL does not cover: no gain in splitting the work
    complex_records = {n: _record(framed, n) for n in numbers}
    if not _trailer_matches(con, framed, list(complex_records.values())):
        return None
    return complex_records


def _pieces(
    con: duckdb.DuckDBPyConnection,
    folder: tempfile.TemporaryDirectory[str],
    framed: Framed,
    complex_records: dict[int, Record],
    furnisher_id: str,
    hash_key: bytes,
    batch_rows: int,
) -> Iterator[Piece]:
    try:
        # Each record's SSN outcomes alongside, by position (a join would reorder).
        con.register("ids", _identifiers(con, hash_key))
        con.execute("CREATE TEMP VIEW with_ids AS SELECT * FROM parsed POSITIONAL JOIN ids")
        reader = con.sql(_main_sql(hash_key, furnisher_id)).to_arrow_reader(batch_rows)

        def reference(record_no: int) -> RawRecord:
            record = complex_records.get(record_no) or _record(framed, record_no)
            return RawRecord(
                record_no,
                f"offset {record.offset}",
                metro2_format.raw_text(record.raw),
                {},
                "account",
                source=record,
            )

        def check(record: RawRecord) -> Checked:
            return metro2_format.check(record, furnisher_id, hash_key)

        yield from batched(reader, batch_rows, lambda t: _piece(t, reference, check))
    finally:
        con.close()
        folder.cleanup()


def _piece(
    batch: pa.Table,
    reference: Callable[[int], RawRecord],
    check: Callable[[RawRecord], Checked],
) -> Piece:
    raws = batch.column("_raw")
    rn = batch.column("_rn")
    by_number = dict(
        zip(
            pc.filter(rn, pc.is_valid(raws)).to_pylist(),
            pc.filter(raws, pc.is_valid(raws)).to_pylist(),
            strict=True,
        )
    )
    return piece_of(batch, lambda nos: [by_number[n] for n in nos], reference, check, split=_split)
