"""Published credit files and a stored score for the API world (``api_testkit``).

A ledger built in code for the world's two subjects, turned into credit files
by ``files.build_files``, written in the pipeline's run layout and published
into the serving store: the reports then come from the published tables.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from api_testkit import RIC_1, START, World
from sqlalchemy import Connection, Engine, insert

from xinyong.api.raw_reads import RawReader
from xinyong.files import LINKS_SCHEMA, build_files
from xinyong.ingest.ledger_tables import to_table
from xinyong.ledger import Ledger, RecordCounts
from xinyong.policy import get_profile
from xinyong.publish import PublishedRun, publish_run, write_run
from xinyong.store.engine import transaction
from xinyong.store.schema import score_reasons, scores

AS_OF = date(2026, 5, 1)
_batches = itertools.count()

REASONS = [
    ("D01", "Amount owed on revolving accounts is too high"),
    ("D02", "Length of time accounts have been established"),
    ("D03", "Proportion of balances to credit limits is too high"),
    ("D04", "Too few accounts currently paid as agreed"),
    ("D05", "Number of recent inquiries"),
    ("D06", "A sixth factor that no notice may show"),
]


def account(key: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "account_key": key,
        "consumer_no": 0,
        "portfolio_type": "R",
        "account_type": "18",
        "ecoa_code": "1",
        "date_opened": date(2020, 1, 15),
        "date_reported": date(2026, 4, 30),
        "currency": "CNY",
        "credit_limit_minor": 500000,
        "current_balance_minor": 123400,
        "account_status": "11",
        "payment_history_profile": "0001000000000000",
    }
    row.update(fields)
    return row


def write_ledger(
    root: Path,
    w: World,
    *,
    accounts: list[tuple[str, dict[str, Any]]],
    records: list[tuple[str, dict[str, Any]]],
) -> tuple[Ledger, pa.Table]:
    """One batch of ``(subject_id, row)`` pairs; returns the ledger and its links."""
    ledger = Ledger(root)
    tables, counts, links = {}, {}, []
    for name, pairs in (("accounts", accounts), ("public_records", records)):
        if not pairs:
            continue
        rows = []
        for no, (subject, row) in enumerate(pairs, start=1):
            rows.append({**row, "record_no": no})
            links.append(
                {
                    "table_name": name,
                    "record_no": no,
                    "subject_id": subject,
                    "consumer_no": row.get("consumer_no") if name == "accounts" else None,
                }
            )
        tables[name] = to_table(name, rows)
        counts[name] = RecordCounts(len(rows), len(rows), 0)
    digest = hashlib.sha256(f"{root}-{next(_batches)}".encode()).hexdigest()
    manifest = ledger.write_batch("bank-a", digest, "csv", tables, counts)
    for link in links:
        link["batch_id"] = manifest.batch_id
    return ledger, pa.Table.from_pylist(links, schema=LINKS_SCHEMA)


def world_run(w: World, root: Path, run_id: str = "run-1", *, balance: int = 123400) -> Path:
    """Subject 1: a card with a late month, an old deleted card, a judgment;
    subject 2: one card. Built and written as a run; returns its folder."""
    ledger, links = write_ledger(
        root / f"ledger-{run_id}",
        w,
        accounts=[
            (w.subject1, account("CARD-1", current_balance_minor=balance)),
            (w.subject1, account("CARD-OLD", account_status="DA")),
            (w.subject2, account("CARD-2")),
        ],
        records=[
            (
                w.subject1,
                {
                    "record_ref": "J-1",
                    "kind": "court_judgment",
                    "authority": "Court <of> Beijing & Co",
                    "event_date": date(2024, 1, 1),
                    "filed_date": date(2024, 1, 2),
                    "status": "active",
                    "amount_minor": 9900,
                    "currency": "CNY",
                },
            ),
        ],
    )
    profile = get_profile(w.jurisdiction)
    files = build_files(ledger, links, AS_OF, profile, at=datetime(2100, 1, 1, tzinfo=START.tzinfo))
    return write_run(files, root / "runs" / run_id, run_id, model_id="demo-card")


def publish_world(
    engine: Engine, w: World, root: Path, run_id: str = "run-1", *, balance: int = 123400
) -> PublishedRun:
    """:func:`world_run`, published into ``engine``."""
    return publish_run(engine, world_run(w, root, run_id, balance=balance), now=START)


def publish_with_an_inquiry(w: World, root: Path) -> World:
    """``w`` published, ``subject1`` scored and once inquired about (``RIC_1``,
    for a credit application), so its report holds every kind of read."""
    publish_world(w.engine, w, root)
    store_score(w.engine, w.subject1)
    r = w.client.post(
        "/v1/inquirer/inquiries",
        json={"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"},
        headers=w.auth("inquirer"),
    )
    assert r.status_code == 200, r.text
    return w


def store_score(
    engine: Engine,
    subject_id: str,
    *,
    at: datetime | None = None,
    score: int = 612,
    score_id: str = "score-1",
) -> str:
    """A stored score with six ranked reasons (the fifth about inquiries)."""
    with transaction(engine) as conn:
        return write_score(conn, subject_id, at=at, score=score, score_id=score_id)


def write_score(
    conn: Connection,
    subject_id: str,
    *,
    at: datetime | None = None,
    score: int = 612,
    score_id: str = "score-1",
    run_id: str | None = None,
) -> str:
    """:func:`store_score`'s rows, written in the caller's transaction (of scoring run
    ``run_id``, if given)."""
    conn.execute(
        insert(scores).values(
            score_id=score_id,
            subject_id=subject_id,
            model_id="demo-card",
            model_version="1.0.0",
            as_of=AS_OF,
            ledger_snapshot="snap-1",
            score=score,
            score_min=300,
            score_max=850,
            probability_bad=0.08,
            computed_at=at or START - timedelta(days=1),
            run_id=run_id,
        )
    )
    for rank, (code, text) in enumerate(REASONS, start=1):
        conn.execute(
            insert(score_reasons).values(
                score_id=score_id, rank=rank, code=code, text=text, points_lost=10.0 / rank
            )
        )
    return score_id


class CountingConnection:
    """A reader's driver connection that counts round trips: a statement sent
    alone is one, a pipeline (however many statements) is one."""

    def __init__(self, conn: Any, counts: list[int]) -> None:
        self._conn = conn
        self._counts = counts
        self._in_pipeline = False

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        if not self._in_pipeline:
            self._counts.append(1)
        return self._conn.execute(*args, **kwargs)

    @contextmanager
    def pipeline(self) -> Iterator[Any]:
        self._in_pipeline = True
        try:
            with self._conn.pipeline() as pipe:
                yield pipe
        finally:
            self._in_pipeline = False
        self._counts.append(1)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def count_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every reader connected from now on counts its round trips into the list returned
    (close a service's readers so that they reconnect)."""
    counts: list[int] = []
    connect = RawReader._connect
    monkeypatch.setattr(
        RawReader, "_connect", lambda self: CountingConnection(connect(self), counts)
    )
    return counts
