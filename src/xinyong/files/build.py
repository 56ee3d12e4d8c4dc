"""Build credit files from the ledger alone, as they stood on any date.

The ledger is append-only, so a file "as of" a past date is a pure function of
(the batches stored by then, the resolution links, the date, the profile):
batches stored after the as-of instant are left out, states reported after the
as-of date are left out, and the latest remaining state of each account wins.
The SQL is in :mod:`xinyong.files.sql`; this module runs it on the DuckDB
engine, through the same input registration as the batch pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from xinyong.files.model import INQUIRIES_SCHEMA, LINKS_SCHEMA, CreditFiles
from xinyong.files.sql import FILE_TABLES, file_steps
from xinyong.ledger import Ledger
from xinyong.policy.model import Profile

__all__ = [
    "as_of_instant",
    "build_files",
    "normalise_inquiries",
    "normalise_links",
    "ordered_sql",
]

_ORDER: Final[dict[str, str]] = {
    "file_subjects": "subject_id",
    "file_accounts": "subject_id, furnisher_id, account_key, consumer_no",
    "file_history": "subject_id, furnisher_id, account_key, consumer_no, month",
    "file_public_records": "subject_id, furnisher_id, record_ref",
}


def ordered_sql(name: str) -> str:
    """``SELECT`` of one file table in its stable order (for outputs and tests)."""
    return f"SELECT * FROM {name} ORDER BY {_ORDER[name]}"


def as_of_instant(as_of: date) -> datetime:
    """The last instant (UTC) of the as-of date: what was stored that day counts."""
    return datetime.combine(as_of, time.max, tzinfo=UTC)


def normalise_links(links: pa.Table) -> pa.Table:
    """``links`` with exactly the :data:`LINKS_SCHEMA` columns; refuses a ledger
    row linked to two subjects (it would appear in two files)."""
    missing = [n for n in LINKS_SCHEMA.names if n not in links.column_names]
    if missing == ["consumer_no"]:
        links = links.append_column("consumer_no", pa.nulls(links.num_rows, pa.int32()))
    elif missing:
        raise ValueError(f"links lack column(s) {missing}; expected {LINKS_SCHEMA.names}")
    table = links.select(LINKS_SCHEMA.names).cast(LINKS_SCHEMA)
    keys = ["table_name", "batch_id", "record_no", "consumer_no"]
    counted = table.group_by(keys).aggregate([("subject_id", "count_distinct")])
    twice = counted.filter(pc.greater(counted["subject_id_count_distinct"], 1))
    if twice.num_rows:
        first = twice.slice(0, 1).to_pylist()[0]
        raise ValueError(f"ledger row linked to more than one subject: {first}")
    return table


def normalise_inquiries(inquiries: pa.Table | None, as_of: date, until: datetime) -> pa.Table:
    """Inquiries made on or before ``as_of`` and recorded by ``until``, with their UTC
    calendar day; empty if none given."""
    if inquiries is None:
        return INQUIRIES_SCHEMA.empty_table()
    columns: dict[str, pa.ChunkedArray | pa.Array] = {}
    for field in INQUIRIES_SCHEMA:
        if field.name == "inquired_on":
            continue
        if field.name in inquiries.column_names:
            columns[field.name] = inquiries[field.name]
        elif field.name in ("subject_id", "at", "purpose"):
            raise ValueError(f"inquiries lack column {field.name!r}")
        else:
            columns[field.name] = pa.nulls(inquiries.num_rows, field.type)
    at = columns["at"].cast(pa.timestamp("us", tz="UTC"))
    columns["at"] = at
    columns["inquired_on"] = pc.cast(at, pa.date32())
    table = pa.table(columns).cast(INQUIRIES_SCHEMA)
    recorded = pc.less_equal(table["at"], pa.scalar(until, INQUIRIES_SCHEMA.field("at").type))
    made = pc.less_equal(table["inquired_on"], pa.scalar(as_of, pa.date32()))
    return table.filter(pc.and_(recorded, made))


def build_files(
    ledger: Ledger,
    links: pa.Table,
    as_of: date,
    profile: Profile,
    *,
    at: datetime | None = None,
    snapshot_id: str | None = None,
    inquiries: pa.Table | None = None,
    extra: Mapping[str, pa.Table] | None = None,
    suppressed: pa.Table | None = None,
) -> CreditFiles:
    """Every linked subject's credit file as of ``as_of`` under ``profile``.

    The ledger is read as it stood at ``at`` (default: the end of ``as_of``,
    UTC) or exactly at ``snapshot_id`` (to reproduce a served score). Only
    account states with ``date_reported <= as_of`` count. ``inquiries`` and
    ``extra`` come from the serving store (the service adds them); inquiries
    made after the as-of date, or recorded after the as-of instant, are left out.
    ``suppressed`` (``item_id``) names items hidden under an overdue dispute.
    Runs the same steps as the batch pipeline, on the DuckDB engine.
    """
    from xinyong.engine.duckdb_engine import DuckDBEngine  # here: engine imports files
    from xinyong.pipeline.inputs import register_file_inputs

    instant = at if at is not None else as_of_instant(as_of)
    if snapshot_id is None:
        snapshot_id = ledger.snapshot_id(instant)
    with DuckDBEngine() as engine:
        register_file_inputs(engine, ledger, snapshot_id, links, suppressed)
        engine.run_steps(file_steps(profile, as_of))
        out = {name: engine.to_arrow(ordered_sql(name)) for name in FILE_TABLES}
    return CreditFiles(
        as_of=as_of,
        jurisdiction=profile.jurisdiction,
        snapshot_id=snapshot_id,
        subjects=out["file_subjects"],
        accounts=out["file_accounts"],
        history=out["file_history"],
        public_records=out["file_public_records"],
        inquiries=normalise_inquiries(inquiries, as_of, instant),
        extra=dict(extra or {}),
    )
