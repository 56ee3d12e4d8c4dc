"""The holder lookup and the report's reads in one go: the same as read one by one.

``RawReader.holders_and_report`` is, on PostgreSQL, one statement returning
each of the report's row sets as arrays in one row (names, identifiers,
reasons, inquiries, each in its own order); on SQLite, one statement returning
the row sets one after another, sorted apart.
Whatever the store holds, it must give what :meth:`RawReader.holders` then
:meth:`RawReader.report` for the sole holder give: the order of several names
(person names by their id, then enterprise names), identifiers, reasons stored
out of order, inquiries at the same instant (by id), prescreens and later
inquiries and scores left out, a dispute or a statement flagging the part, no
publication, no score, several holders, none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from xinyong.api.raw_reads import RawReader, ReportReads
from xinyong.policy import get_profile
from xinyong.store.engine import transaction
from xinyong.store.files_schema import file_report_parts, file_runs
from xinyong.store.schema import (
    consumer_statements,
    disputes,
    enterprises,
    inquiries,
    organisations,
    person_names,
    score_reasons,
    scores,
    subject_identifiers,
    subjects,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PROFILE = get_profile("US")


def _rows(engine: Engine, table: Any, *rows: dict[str, Any]) -> None:
    with transaction(engine) as conn:
        for row in rows:
            conn.execute(insert(table).values(**row))


def _subject(engine: Engine, sid: str, *identifiers: tuple[str, str, str]) -> None:
    _rows(engine, subjects, {"subject_id": sid, "kind": "person", "created_at": NOW})
    for scheme, value_hash, masked in identifiers:
        _rows(
            engine,
            subject_identifiers,
            {
                "subject_id": sid,
                "scheme": scheme,
                "value_hash": value_hash,
                "value_masked": masked,
                "created_at": NOW,
            },
        )


def _score(engine: Engine, sid: str, score_id: str, at: datetime, ranks: tuple[int, ...]) -> None:
    _rows(
        engine,
        scores,
        {
            "score_id": score_id,
            "subject_id": sid,
            "model_id": "demo-card",
            "model_version": "1.0.0",
            "as_of": date(2026, 4, 30),
            "ledger_snapshot": f"snap-{score_id}",
            "score": 640,
            "score_min": 300,
            "score_max": 850,
            "computed_at": at,
        },
    )
    for rank in ranks:
        _rows(
            engine,
            score_reasons,
            {"score_id": score_id, "rank": rank, "code": f"R{rank}", "text": f"reason {rank}"},
        )


def _inquiry(engine: Engine, iid: str, sid: str, org: str, purpose: str, at: datetime) -> None:
    _rows(
        engine,
        inquiries,
        {
            "inquiry_id": iid,
            "subject_id": sid,
            "inquirer_org_id": org,
            "purpose": purpose,
            "at": at,
        },
    )


@pytest.fixture
def store(engine: Engine) -> Engine:
    for org, name in (("org-b", "Lender B"), ("org-a", "Lender A")):
        _rows(
            engine,
            organisations,
            {
                "org_id": org,
                "name": name,
                "kind": "lender",
                "roles": ["inquirer"],
                "country": "US",
                "created_at": NOW,
            },
        )
    _rows(
        engine,
        file_runs,
        {
            "run_id": "run-1",
            "as_of": date(2026, 4, 30),
            "jurisdiction": "US",
            "published_at": NOW - timedelta(days=1),
            "current": True,
            "subjects": 3,
            "account_items": 0,
            "public_record_items": 0,
        },
    )
    # s-1: the rich one.
    _subject(engine, "s-1", ("cn_ric", "h-1", "****01"), ("us_ssn", "h-1b", "***-**-0001"))
    for full_name in ("Zed One", "Amy One"):  # by id: Zed first
        _rows(
            engine, person_names, {"subject_id": "s-1", "full_name": full_name, "script": "latin"}
        )
    _rows(engine, enterprises, {"subject_id": "s-1", "legal_name": "One Trading Co"})
    _rows(
        engine,
        file_report_parts,
        {"subject_id": "s-1", "run_id": "run-1", "accounts": b"[1]", "public_records": b"[]"},
    )
    _score(engine, "s-1", "sc-old", NOW - timedelta(days=9), (1,))
    _score(engine, "s-1", "sc-new", NOW - timedelta(days=1), (3, 1, 2))
    _score(engine, "s-1", "sc-later", NOW + timedelta(days=1), (1,))
    tie = NOW - timedelta(hours=2)
    _inquiry(engine, "i-2", "s-1", "org-b", "credit_application", tie)
    _inquiry(engine, "i-1", "s-1", "org-a", "employment", tie)
    _inquiry(engine, "i-0", "s-1", "org-a", "credit_application", NOW - timedelta(days=3))
    _inquiry(engine, "i-pre", "s-1", "org-a", "prescreen", NOW - timedelta(hours=1))
    _inquiry(engine, "i-later", "s-1", "org-b", "credit_application", NOW + timedelta(hours=1))
    # s-2: disputed, no score, no inquiries, no part.
    _subject(engine, "s-2", ("cn_ric", "h-2", "****02"))
    _rows(
        engine,
        disputes,
        {
            "dispute_id": "d-1",
            "subject_id": "s-2",
            "item_kind": "account",
            "reason": "not mine",
            "opened_at": NOW - timedelta(days=2),
            "due_at": NOW + timedelta(days=28),
        },
    )
    # s-3: a statement; s-4 shares s-3's identifier (ambiguous).
    _subject(engine, "s-3", ("cn_ric", "h-3", "****03"))
    _rows(
        engine,
        consumer_statements,
        {"statement_id": "st-1", "subject_id": "s-3", "text": "note", "created_at": NOW},
    )
    _subject(engine, "s-4", ("cn_ric", "h-3", "****03"))
    return engine


@pytest.fixture
def reader(store: Engine) -> Iterator[RawReader]:
    raw = RawReader(store)
    yield raw
    raw.close()


def _one_by_one(
    reader: RawReader, scheme: str, value_hash: str
) -> tuple[list[tuple[str, str, str | None]], ReportReads | None]:
    holders = reader.holders(scheme, value_hash)
    if len(holders) != 1:
        return holders, None
    return holders, reader.report(holders[0][0], NOW, PROFILE)


@pytest.mark.parametrize(
    ("scheme", "value_hash", "holders"),
    [
        ("cn_ric", "h-1", ["s-1"]),
        ("us_ssn", "h-1b", ["s-1"]),
        ("cn_ric", "h-2", ["s-2"]),
        ("cn_ric", "h-3", ["s-3", "s-4"]),
        ("cn_ric", "h-none", []),
    ],
)
def test_the_combined_reads_are_the_reads_one_by_one(
    reader: RawReader, scheme: str, value_hash: str, holders: list[str]
) -> None:
    combined = reader.holders_and_report(scheme, value_hash, NOW, PROFILE)
    assert combined == _one_by_one(reader, scheme, value_hash)
    assert [h[0] for h in combined[0]] == holders


def test_the_rich_subjects_reads_in_their_order(reader: RawReader) -> None:
    _, reads = reader.holders_and_report("cn_ric", "h-1", NOW, PROFILE)
    assert reads is not None and reads.head is not None
    assert reads.names == ["Zed One", "Amy One", "One Trading Co"]
    assert reads.identifiers == [
        {"scheme": "cn_ric", "masked": "****01"},
        {"scheme": "us_ssn", "masked": "***-**-0001"},
    ]
    assert reads.score is not None and reads.score["score_id"] == "sc-new"
    assert [r["rank"] for r in reads.score["reasons"]] == [1, 2, 3]
    assert [i["inquiry_id"] for i in reads.inquiries] == ["i-1", "i-2", "i-0"]
    assert (reads.head.run_id, reads.head.accounts, reads.head.flagged) == ("run-1", b"[1]", False)


def test_flags_and_missing_parts(reader: RawReader) -> None:
    _, disputed = reader.holders_and_report("cn_ric", "h-2", NOW, PROFILE)
    assert disputed is not None and disputed.head is not None
    assert disputed.head.flagged and disputed.head.accounts is None
    assert disputed.score is None and disputed.inquiries == []
    holders, ambiguous = reader.holders_and_report("cn_ric", "h-3", NOW, PROFILE)
    assert ambiguous is None and len(holders) == 2


class _Counting:
    """A driver connection that counts the statements sent, pipelined or not."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.statements = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        self.statements += 1
        return self._conn.execute(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def _count_statements(monkeypatch: pytest.MonkeyPatch) -> list[_Counting]:
    """Every reader connected from now on, counting its statements."""
    connect = RawReader._connect
    counting: list[_Counting] = []

    def counted(self: RawReader) -> Any:
        counting.append(_Counting(connect(self)))
        return counting[-1]

    monkeypatch.setattr(RawReader, "_connect", counted)
    return counting


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_on_postgresql_the_usual_report_is_one_statement(
    reader: RawReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = _count_statements(monkeypatch)
    reader.close()
    holders, reads = reader.holders_and_report("cn_ric", "h-1", NOW, PROFILE)
    assert [h[0] for h in holders] == ["s-1"] and reads is not None
    assert [c.statements for c in counting] == [1]


@pytest.mark.parametrize(
    ("value_hash", "holders"),
    [("h-1", ["s-1"]), ("h-2", ["s-2"]), ("h-3", ["s-3", "s-4"]), ("h-none", [])],
)
def test_the_score_read_with_the_holders_is_the_score_read_alone(
    reader: RawReader, value_hash: str, holders: list[str]
) -> None:
    found, scored = reader.holders_and_score("cn_ric", value_hash, NOW)
    assert found == reader.holders("cn_ric", value_hash)
    assert [h[0] for h in found] == holders
    if len(holders) != 1:
        assert scored is None
        return
    assert scored is not None and scored.subject_id == holders[0]
    assert scored.score == reader.score(holders[0], NOW)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_on_postgresql_a_score_inquiry_is_one_statement(
    reader: RawReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = _count_statements(monkeypatch)
    reader.close()
    _, scored = reader.holders_and_score("cn_ric", "h-1", NOW)
    assert scored is not None and scored.score is not None
    assert [r.rank for r in scored.score.reasons] == [1, 2, 3]
    assert [c.statements for c in counting] == [1]
