"""Each subject's published items as report JSON, built once per publication.

A report's accounts (with their payment history) and public records come from
the published run and change only with the next publication, or when the
subject disputes an item or adds a statement (the item then carries the flag
or the note). Building and serialising a model per item was most of a
report's cost, so publishing stores, per subject of the run, the JSON of both
lists exactly as :class:`~xinyong.api.models.Report` serialises them when no
dispute and no statement touches them (``file_report_parts``). A report
request for such a subject reads that one row and splices the bytes into the
rest of the report (:func:`splice`); a subject with a dispute or a statement,
or without a row, gets the report built item by item (``reports.build_report``),
which is the definition both must agree with (``tests/api/test_api_report_parts.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any, Final

from pydantic import TypeAdapter
from sqlalchemy import BindParameter, Connection, bindparam, text

from xinyong.api.models import AccountItem, PublicRecordItem
from xinyong.api.report_facts import FACT_COLUMNS, FACT_SOURCES, fact_values
from xinyong.api.reports import (
    PUBLISHED_ACCOUNTS,
    PUBLISHED_RECORDS,
    public_record,
    published_account,
)
from xinyong.store.files_schema import (
    file_account_items,
    file_payment_history,
    file_public_record_items,
)

__all__ = [
    "PART_COLUMNS",
    "analyze_items",
    "part_rows",
    "parts_json",
    "splice",
]

PART_COLUMNS: Final = ("subject_id", "run_id", "accounts", "public_records", *FACT_COLUMNS)
CHUNK: Final = 1000

_ACCOUNTS_JSON: Final = TypeAdapter(list[AccountItem])
_RECORDS_JSON: Final = TypeAdapter(list[PublicRecordItem])
_SIDS: BindParameter[list[str]] = bindparam("sids", expanding=True)
_ACCOUNTS_OF = PUBLISHED_ACCOUNTS.where(file_account_items.c.subject_id.in_(_SIDS))
_RECORDS_OF = PUBLISHED_RECORDS.where(file_public_record_items.c.subject_id.in_(_SIDS))

# What a report serialised with both lists empty contains, exactly once: the
# keys are the model's, so no escaped string value can contain this sequence.
_EMPTY: Final = b',"accounts":[],"public_records":[],"inquiries":['


def parts_json(
    accounts: Sequence[AccountItem], records: Sequence[PublicRecordItem]
) -> tuple[bytes, bytes]:
    """The two lists as the report model serialises them (pydantic's own encoder)."""
    return _ACCOUNTS_JSON.dump_json(list(accounts)), _RECORDS_JSON.dump_json(list(records))


def splice(document: bytes, accounts: bytes, records: bytes) -> bytes:
    """``document`` (a report, or a body holding one, serialised with empty item lists)
    with the stored lists in their place."""
    if document.count(_EMPTY) != 1:
        raise ValueError("the document does not hold exactly one report with empty item lists")
    head, _, tail = document.partition(_EMPTY)
    return b"".join(
        (head, b',"accounts":', accounts, b',"public_records":', records, b',"inquiries":[', tail)
    )


def analyze_items(conn: Connection) -> None:
    """Give PostgreSQL statistics for the tables :func:`part_rows` reads by subject:
    the item tables just filled in this transaction, and those the facts are
    copied from (``report_facts.FACT_SOURCES``), which a resolution or a seed
    may have filled in it too.

    Without them the planner reads ``subject_id IN (1000 ids)`` as most of the
    table and scans it whole for every chunk of :func:`part_rows` (measured:
    0.5 s a chunk on the items, 9 s on the names and identifiers at 300,000
    subjects, quadratic over a million subjects); with them it uses the subject
    index. SQLite needs nothing.
    """
    if conn.dialect.name == "postgresql":
        items = (file_account_items, file_payment_history, file_public_record_items)
        for name in (*(t.name for t in items), *FACT_SOURCES):
            conn.execute(text(f"ANALYZE {name}"))


def part_rows(
    conn: Connection, run_id: str, subject_ids: Sequence[str], *, chunk: int = CHUNK
) -> Iterator[list[tuple[Any, ...]]]:
    """Rows of ``file_report_parts`` (:data:`PART_COLUMNS`, with the subject's stored
    facts: ``report_facts``) for ``subject_ids``, a chunk at a time; every chunk's
    queries are done before it is yielded, so the caller may write it on the same
    connection (PostgreSQL's COPY) before asking for the next."""
    for lo in range(0, len(subject_ids), chunk):
        ids = list(subject_ids[lo : lo + chunk])
        accounts: defaultdict[str, list[AccountItem]] = defaultdict(list)
        records: defaultdict[str, list[PublicRecordItem]] = defaultdict(list)
        for r in conn.execute(_ACCOUNTS_OF, {"sids": ids}):
            accounts[r.subject_id].append(published_account(r, disputed=False, statements=[]))
        for r in conn.execute(_RECORDS_OF, {"sids": ids}):
            records[r.subject_id].append(public_record(r, disputed=False, statements=[]))
        facts = fact_values(conn, ids)
        yield [(sid, run_id, *parts_json(accounts[sid], records[sid]), *facts[sid]) for sid in ids]
