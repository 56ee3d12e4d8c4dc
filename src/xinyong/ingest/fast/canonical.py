"""The vectorised check of a canonical file (CSV, JSON Lines, Parquet) in DuckDB.

Three steps, each over the whole file:

1. the staged file (:mod:`sources`, :mod:`prep`) is copied into DuckDB and
   coerced field by field (:func:`canonical_sql.coerce_columns`), as views;
2. its distinct identifiers go once each through python-stdnum
   (:mod:`identifiers`); their keyed hashes and masks are computed in
   DuckDB, and the outcomes are put beside the records by position (a join
   would not keep the records' order);
3. one query produces, per record, its status, its violations in the
   reference order and its ledger columns, streamed as Arrow record batches
   in record order.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from functools import partial

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.ingest.canonical_rules import Checked, check_record
from xinyong.ingest.records import RawRecord

from .canonical_sql import (
    coerce_columns,
    kind_bad,
    kind_columns,
    kind_needs_reference,
    kind_violations,
    output_columns,
    pre_columns,
)
from .identifiers import check_keys, keys, lookup
from .outcome import Piece, piece_of
from .prep import prepare
from .sources import Staged
from .sqltext import VIOLATION_TYPE, hmac_sha256, ident, mask

BATCH_ROWS = 65_536


def connect(folder: str) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB that may spill to ``folder``, keeping insertion order."""
    con = duckdb.connect(
        config={
            "preserve_insertion_order": True,
            "temp_directory": folder,
        }
    )
    con.execute("SET enable_progress_bar = false")
    return con


def _ids_sql(hash_key: bytes) -> str:
    """Keyed hash and mask of each valid distinct identifier (``ids_raw``)."""
    message = "_v_scheme || '|' || coalesce(_v_country, '') || '|' || _v_value"
    return f"""
        SELECT _key, _id_ok, _id_rule, _id_message, _v_country AS _id_country,
            CASE WHEN _id_ok THEN {hmac_sha256(hash_key, message)} END AS _id_hash,
            CASE WHEN _id_ok THEN {mask("_v_value")} END AS _id_masked,
            _id_warnings, _id_warn_n AS _warn_n, _id_ric_birth
        FROM ids_raw
    """


def identifier_columns(con: duckdb.DuckDBPyConnection, hash_key: bytes) -> pa.Table:
    """Every record's identifier outcome, in record order, from view ``c``.

    The records' (scheme, value, country) come out of DuckDB; each distinct
    one is validated once (:mod:`identifiers`) and the outcomes are put back
    in record order with an Arrow hash lookup, because a DuckDB join would
    not keep the records' order.
    """
    scheme, value, country = (ident(f"s_id_{n}") for n in ("scheme", "value", "country"))
    ids = con.sql(f"SELECT {scheme}, {value}, {country} FROM c").to_arrow_table()
    row_keys = keys(ids.column(0), ids.column(1), ids.column(2))
    distinct = pc.unique(row_keys)
    con.register("ids_raw", check_keys(distinct))
    try:
        results = con.sql(_ids_sql(hash_key)).to_arrow_table()
    finally:
        con.unregister("ids_raw")
    return lookup(row_keys, results)


def _main_sql(furnisher_id: str, hash_key: bytes) -> str:
    account_number = ident("s_account_number")
    return f"""
        WITH v AS (
            SELECT *,
                coalesce(CASE WHEN _kind = 'account' THEN {kind_bad("account")}
                    ELSE {kind_bad("public_record")} END, false) AS _bad,
                CASE WHEN _kind = 'account' THEN {kind_needs_reference("account")}
                    ELSE {kind_needs_reference("public_record")} END AS _ref_field
            FROM checked
        ),
        s AS (
            SELECT *,
                CASE
                    WHEN _ref OR _ref_field
                        OR (NOT _bad AND _kind = 'account' AND contains({account_number}, '|'))
                    THEN 'X'
                    WHEN _bad THEN 'R'
                    ELSE 'A'
                END AS _status,
                CASE WHEN NOT _bad THEN CAST([] AS {VIOLATION_TYPE})
                    WHEN _kind = 'account' THEN {kind_violations("account")}
                    ELSE {kind_violations("public_record")} END AS _violations
            FROM v
        )
        SELECT _rn, _kind, _status, _violations, coalesce(_warn_n, 0) AS _warn_n,
            {", ".join(output_columns(hash_key, furnisher_id))}
        FROM s
    """


def run(
    staged: Staged, furnisher_id: str, hash_key: bytes, *, batch_rows: int = BATCH_ROWS
) -> Iterator[Piece]:
    """Check every record of a staged file; yields pieces in record order."""
    check = partial(_check, furnisher_id=furnisher_id, hash_key=hash_key)
    outcome_args = (staged.raw_texts, staged.reference, check)
    with tempfile.TemporaryDirectory(prefix="xinyong-fast-") as folder:
        con = connect(folder)
        try:
            table, fields = prepare(staged.contract(con), staged.fields)
            # Registered, not copied: short text fields read well from Arrow (only the
            # long Metro 2 records gain from a copy, see materialise), and no copy
            # keeps memory down.
            con.register("src", table)
            con.execute(
                f"CREATE TEMP VIEW a AS SELECT *, {', '.join(pre_columns(fields))} FROM src"
            )
            items = [
                "_rn",
                f"{staged.location} AS _loc",
                f"{staged.ref} AS _ref",
                *staged.unknown,
                *kind_columns(fields),
                *coerce_columns(fields),
            ]
            con.execute(f"CREATE TEMP VIEW c AS SELECT {', '.join(items)} FROM a")
            # Each record's identifier outcome alongside, by position: a join would
            # not keep the records' order.
            con.register("ids", identifier_columns(con, hash_key))
            con.execute("CREATE TEMP VIEW checked AS SELECT * FROM c POSITIONAL JOIN ids")
            reader = con.sql(_main_sql(furnisher_id, hash_key)).to_arrow_reader(batch_rows)
            yield from batched(reader, batch_rows, lambda t: piece_of(t, *outcome_args))
        finally:
            con.close()


def materialise(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Copy an Arrow table into DuckDB's own storage.

    DuckDB reads strings of a registered Arrow table again for every
    expression that uses them; cutting dozens of fields out of the same long
    text (a Metro 2 record) is several times faster from its own table, and
    the copy is cheap.
    """
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def batched(
    reader: pa.RecordBatchReader, rows: int, make: Callable[[pa.Table], Piece]
) -> Iterator[Piece]:
    """Pieces of about ``rows`` records from DuckDB's (smaller) Arrow batches."""
    pending: list[pa.RecordBatch] = []
    size = 0
    for batch in reader:
        pending.append(batch)
        size += batch.num_rows
        if size >= rows:
            yield make(pa.Table.from_batches(pending))
            pending, size = [], 0
    if pending:
        yield make(pa.Table.from_batches(pending))


def _check(record: RawRecord, *, furnisher_id: str, hash_key: bytes) -> Checked:
    return check_record(record, furnisher_id, hash_key)
