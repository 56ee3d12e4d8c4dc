"""The pipeline's inputs, registered on an engine: ledger snapshot, links, suppressions.

One function per input, used by both the whole batch run
(:func:`xinyong.pipeline.run.run_pipeline`) and the library calls that build
one set of files (:func:`xinyong.files.build_files`), so there is one code path.
"""

from __future__ import annotations

import hashlib
import json
from typing import Final

import pyarrow as pa

from xinyong.engine.base import Engine
from xinyong.files.build import normalise_links
from xinyong.files.model import INQUIRIES_SCHEMA
from xinyong.ingest.ledger_tables import TABLE_SCHEMAS
from xinyong.ledger import Ledger
from xinyong.ledger.provenance import BATCH_ID, FURNISHER_ID

__all__ = [
    "SUPPRESSED_SCHEMA",
    "links_hash",
    "normalise_suppressed",
    "register_file_inputs",
    "register_ledger",
    "table_hash",
]

SUPPRESSED_SCHEMA: Final = pa.schema([("item_id", pa.string())])
"""``suppressed``: item ids hidden from the file because a dispute about them is
overdue (issue 7). The items stay in the file with ``shown`` false and
``hidden_reason`` ``'dispute_overdue'``."""

_HASH_SLICE: Final = 65_536
_LINK_ORDER: Final = ("table_name", "batch_id", "record_no", "consumer_no", "subject_id")


def register_ledger(engine: Engine, ledger: Ledger, snapshot_id: str) -> list[str]:
    """Register each record table of the snapshot (an empty one where it has no
    file yet); returns the tables that have files."""
    present = ledger.tables(snapshot_id)
    for name, schema in TABLE_SCHEMAS.items():
        if name in present:
            engine.register_parquet(name, [p.absolute() for p in ledger.paths(name, snapshot_id)])
        else:
            fields = [pa.field(BATCH_ID, pa.string()), pa.field(FURNISHER_ID, pa.string())]
            engine.register_arrow(name, pa.schema([*fields, *schema]).empty_table())
    return list(present)


def normalise_suppressed(suppressed: pa.Table | None) -> pa.Table:
    """``suppressed`` with exactly an ``item_id`` column; empty if none given."""
    if suppressed is None:
        return SUPPRESSED_SCHEMA.empty_table()
    if "item_id" not in suppressed.column_names:
        raise ValueError("suppressed lacks column 'item_id' (the item ids to hide)")
    return suppressed.select(["item_id"]).cast(SUPPRESSED_SCHEMA)


def register_file_inputs(
    engine: Engine,
    ledger: Ledger,
    snapshot_id: str,
    links: pa.Table,
    suppressed: pa.Table | None = None,
    inquiries: pa.Table | None = None,
) -> None:
    """Everything :func:`xinyong.files.sql.file_steps` and the attribute steps read."""
    register_ledger(engine, ledger, snapshot_id)
    engine.register_arrow("links", normalise_links(links))
    engine.register_arrow("suppressed", normalise_suppressed(suppressed))
    engine.register_arrow(
        "file_inquiries", inquiries if inquiries is not None else INQUIRIES_SCHEMA.empty_table()
    )


def table_hash(table: pa.Table, order: tuple[str, ...] | None = None) -> str:
    """SHA-256 of a table's content, independent of row order and chunking.

    Rows are sorted by ``order`` (default: every column) and each column is
    hashed as JSON text, so the same links give the same run id.
    """
    keys = list(order or table.column_names)
    rows = table.sort_by([(k, "ascending") for k in keys]) if table.num_rows else table
    digest = hashlib.sha256()
    for name in table.column_names:
        digest.update(name.encode())
        column = rows.column(name)
        # The JSON list of the column's values, fed in slices: the same bytes as
        # one json.dumps of the whole list, without a Python object per row of
        # a ledger-sized table alive at once.
        digest.update(b"[")
        for start in range(0, len(column), _HASH_SLICE):
            if start:
                digest.update(b",")
            values = column.slice(start, _HASH_SLICE).to_pylist()
            text = json.dumps(values, default=str, separators=(",", ":"))
            digest.update(text[1:-1].encode())
        digest.update(b"]")
    return digest.hexdigest()


def links_hash(links: pa.Table) -> str:
    """The content hash of normalised links (what a run id depends on)."""
    return table_hash(normalise_links(links), _LINK_ORDER)
