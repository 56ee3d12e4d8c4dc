"""Small ledgers built in code, with their links, for the files and attribute tests."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from xinyong.files import CreditFiles, build_files
from xinyong.ingest.ledger_tables import to_table
from xinyong.ledger import BatchManifest, Ledger, RecordCounts
from xinyong.policy import Profile

EVERYTHING = datetime(2100, 1, 1, tzinfo=UTC)
"""An as-of instant after every batch a test stores."""

_counter = itertools.count()


def profile_string(late: Mapping[int, str] | None = None, length: int = 24, fill: str = "0") -> str:
    """A payment history profile: ``fill`` everywhere but the given positions (0 = the month
    before date_reported)."""
    chars = [fill] * length
    for pos, code in (late or {}).items():
        chars[pos] = code
    return "".join(chars)


def account(subject: str, key: str, **fields: Any) -> dict[str, Any]:
    """One account state; defaults describe a current card reported on 2026-06-30."""
    row: dict[str, Any] = {
        "subject": subject,
        "subject_kind": "person",
        "account_key": key,
        "consumer_no": 0,
        "portfolio_type": "R",
        "account_type": "18",
        "ecoa_code": "1",
        "date_opened": date(2020, 1, 15),
        "date_reported": date(2026, 6, 30),
        "currency": "USD",
        "account_status": "11",
        "payment_history_profile": profile_string(),
    }
    row.update(fields)
    return row


def public_record(subject: str, ref: str, kind: str, event: date, **fields: Any) -> dict[str, Any]:
    """One public record as its register reports it."""
    row: dict[str, Any] = {
        "subject": subject,
        "subject_kind": "enterprise",
        "record_ref": ref,
        "kind": kind,
        "authority": "authority",
        "event_date": event,
        "filed_date": event,
        "status": "active",
    }
    row.update(fields)
    return row


@dataclass
class LedgerKit:
    """A ledger in a folder, plus the links of every row written to it."""

    root: Path
    links: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ledger = Ledger(self.root)

    def write(
        self,
        accounts: Iterable[dict[str, Any]] = (),
        public_records: Iterable[dict[str, Any]] = (),
        furnisher: str = "fur-1",
        link: bool = True,
    ) -> BatchManifest:
        """Store one batch; rows are numbered 1.. in order within each table."""
        tables: dict[str, pa.Table] = {}
        counts: dict[str, RecordCounts] = {}
        pending = []
        for name, rows in (("accounts", list(accounts)), ("public_records", list(public_records))):
            if not rows:
                continue
            clean = []
            for n, row in enumerate(rows, start=1):
                row = dict(row)
                subject = row.pop("subject")
                row.setdefault("record_no", n)
                clean.append(row)
                pending.append((name, row["record_no"], row.get("consumer_no"), subject))
            tables[name] = to_table(name, clean)
            counts[name] = RecordCounts(len(clean), len(clean), 0)
        digest = hashlib.sha256(f"batch-{next(_counter)}-{self.root}".encode()).hexdigest()
        manifest = self.ledger.write_batch(furnisher, digest, "csv", tables, counts)
        if link:
            for name, record_no, consumer_no, subject in pending:
                self.links.append(
                    {
                        "table_name": name,
                        "batch_id": manifest.batch_id,
                        "record_no": record_no,
                        "consumer_no": consumer_no if name == "accounts" else None,
                        "subject_id": subject,
                    }
                )
        return manifest

    def links_table(self) -> pa.Table:
        from xinyong.files import LINKS_SCHEMA

        return pa.Table.from_pylist(self.links, schema=LINKS_SCHEMA)

    def build(
        self, as_of: date, profile: Profile, at: datetime = EVERYTHING, **kw: Any
    ) -> CreditFiles:
        return build_files(self.ledger, self.links_table(), as_of, profile, at=at, **kw)


def rows(table: pa.Table, **match: Any) -> list[dict[str, Any]]:
    """The rows of ``table`` whose columns equal ``match``."""
    return [r for r in table.to_pylist() if all(r[k] == v for k, v in match.items())]


def one(table: pa.Table, **match: Any) -> dict[str, Any]:
    found = rows(table, **match)
    assert len(found) == 1, (match, found)
    return found[0]
