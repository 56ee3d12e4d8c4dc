"""Credit files as Arrow tables: what a lender would see, as of one date.

Each table has one row per item and a ``subject_id``; every negative item
carries its ageing (``ages_off_on``, ``aged_off``) and a ``shown`` flag, so a
report or an attribute reads only ``shown`` rows while an auditor can still see
what was hidden and why. Nothing is dropped: aged-off items are in the file,
just not shown, as they are still in the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from xinyong.settings import Jurisdiction

__all__ = [
    "INQUIRIES_SCHEMA",
    "LINKS_SCHEMA",
    "CreditFiles",
]

LINKS_SCHEMA: Final = pa.schema(
    [
        ("table_name", pa.string()),
        ("batch_id", pa.string()),
        ("record_no", pa.int64()),
        ("consumer_no", pa.int32()),
        ("subject_id", pa.string()),
    ]
)
"""Ledger row -> subject, as resolution produces it
(``xinyong.resolve.state.record_links``). ``consumer_no`` is the account's
consumer (0 primary, 1.. associated, Metro 2 J1/J2); a null or missing one
links the primary consumer only. It is ignored for ``public_records`` rows.
Other columns are ignored."""

INQUIRIES_SCHEMA: Final = pa.schema(
    [
        ("inquiry_id", pa.string()),
        ("subject_id", pa.string()),
        ("inquirer_org_id", pa.string()),
        ("purpose", pa.string()),
        ("at", pa.timestamp("us", tz="UTC")),
        ("inquired_on", pa.date32()),
    ]
)
"""``file_inquiries``: the serving store's inquiries (``at`` in UTC) with the
UTC calendar day, filled in by the service; empty until then."""


@dataclass(frozen=True, slots=True)
class CreditFiles:
    """Every subject's credit file as of ``as_of``, built from ``snapshot_id``.

    ``subjects`` (subject_id, subject_kind), ``accounts`` (latest state per
    account and consumer), ``history`` (merged monthly payment history),
    ``public_records`` and ``inquiries`` are Arrow tables. ``extra`` carries
    other serving-store tables (statements, disputes) for the service to add
    without a change here.
    """

    as_of: date
    jurisdiction: Jurisdiction
    snapshot_id: str | None
    subjects: pa.Table
    accounts: pa.Table
    history: pa.Table
    public_records: pa.Table
    inquiries: pa.Table = field(default_factory=INQUIRIES_SCHEMA.empty_table)
    extra: Mapping[str, pa.Table] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    def tables(self) -> dict[str, pa.Table]:
        """The tables under the names the attribute SQL reads (``file_*``)."""
        return {
            "file_subjects": self.subjects,
            "file_accounts": self.accounts,
            "file_history": self.history,
            "file_public_records": self.public_records,
            "file_inquiries": self.inquiries,
            **{f"file_{name}": table for name, table in self.extra.items()},
        }

    def for_subject(self, subject_id: str) -> CreditFiles:
        """One subject's file (e.g. for ``xinyong attributes SUBJECT``)."""

        def only(table: pa.Table) -> pa.Table:
            if "subject_id" not in table.column_names:
                return table
            return table.filter(pc.equal(table["subject_id"], pa.scalar(subject_id)))

        return CreditFiles(
            as_of=self.as_of,
            jurisdiction=self.jurisdiction,
            snapshot_id=self.snapshot_id,
            subjects=only(self.subjects),
            accounts=only(self.accounts),
            history=only(self.history),
            public_records=only(self.public_records),
            inquiries=only(self.inquiries),
            extra={name: only(table) for name, table in self.extra.items()},
        )
