"""The pre-serialised report parts and the fast report path agree with the built report.

``report_parts`` stores each subject's items as JSON at publication; the
inquirer's report is then that JSON spliced into the rest. The definition is
``reports.build_report``: every test here compares the two, byte for byte where
the bytes are what is served. On SQLite and PostgreSQL, US profile.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_testkit import RIC_1, RIC_2, World
from reports_testkit import publish_world, store_score
from sqlalchemy import delete, insert, select

from xinyong.api import inquiry_report
from xinyong.api.models import AccountItem, InquiryResult, PublicRecordItem, Report
from xinyong.api.report_parts import parts_json, splice
from xinyong.api.reports import build_report
from xinyong.policy import get_profile
from xinyong.store.engine import transaction
from xinyong.store.files_schema import file_account_items, file_report_parts
from xinyong.store.schema import consumer_statements


@pytest.fixture
def jurisdiction() -> str:
    return "US"


@pytest.fixture
def published(world: World, tmp_path: Path) -> World:
    publish_world(world.engine, world, tmp_path)
    store_score(world.engine, world.subject1)
    return world


def inquire(w: World, ric: str = RIC_1) -> Any:
    payload = {"identifier": {"scheme": "cn_ric", "value": ric}, "purpose": "credit_application"}
    r = w.client.post("/v1/inquirer/inquiries", json=payload, headers=w.auth("inquirer"))
    assert r.status_code == 200, r.text
    return r


def built(w: World, subject_id: str) -> Report:
    """The report as ``build_report`` makes it now (the inquiries just recorded included)."""
    with w.engine.connect() as conn:
        return build_report(conn, subject_id, get_profile("US"), w.clock.now, for_subject=False)


def test_stored_parts_are_the_built_reports_items(published: World) -> None:
    w = published
    with w.engine.connect() as conn:
        rows = {r.subject_id: r for r in conn.execute(select(file_report_parts))}
        with_items = set(conn.execute(select(file_account_items.c.subject_id)).scalars())
        assert set(rows) == with_items == {w.subject1, w.subject2}
    for subject_id, row in rows.items():
        report = built(w, subject_id)
        assert row.run_id == "run-1"
        stored = (bytes(row.accounts), bytes(row.public_records))
        assert stored == parts_json(report.accounts, report.public_records)
        accounts = [AccountItem.model_validate(a) for a in json.loads(stored[0])]
        records = [PublicRecordItem.model_validate(p) for p in json.loads(stored[1])]
        assert (accounts, records) == (report.accounts, report.public_records)
    # Subject 1's part holds the shown card with its history and the judgment only.
    assert [a.history is not None for a in built(w, w.subject1).accounts] == [True]


def count_built(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The subjects whose report took the built path (``inquiry_report.built_report``)."""
    seen: list[str] = []
    real = inquiry_report.built_report

    def counting(engine: Any, subject_id: str, *args: Any) -> Report:
        seen.append(subject_id)
        return real(engine, subject_id, *args)

    monkeypatch.setattr(inquiry_report, "built_report", counting)
    return seen


@pytest.mark.parametrize("ric", [RIC_1, RIC_2])
def test_served_report_bytes_equal_the_built_report(
    published: World, ric: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = published
    took_built_path = count_built(monkeypatch)
    inquire(w, ric)  # an earlier inquiry, so the list has one to merge with
    served = inquire(w, ric)
    body = served.json()
    report = built(w, body["report"]["subject_id"])
    assert body["report"] == json.loads(report.model_dump_json())
    # Byte for byte: the inquiry's body as pydantic serialises the built model.
    expected = body | {"report": json.loads(report.model_dump_json())}
    assert served.content == InquiryResult.model_validate(expected).model_dump_json().encode()
    assert [i["inquiry_id"] for i in body["report"]["inquiries"]].count(body["inquiry_id"]) == 1
    assert took_built_path == []  # both served from the stored part


def test_a_statement_or_a_missing_part_takes_the_built_path(
    published: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = published
    took_built_path = count_built(monkeypatch)
    with transaction(w.engine) as conn:
        conn.execute(delete(file_report_parts).where(file_report_parts.c.subject_id == w.subject2))
        conn.execute(
            insert(consumer_statements).values(
                statement_id="st-9",
                subject_id=w.subject1,
                text="I paid on time.",
                created_at=w.clock.now,
            )
        )
    for ric in (RIC_1, RIC_2):
        body = inquire(w, ric).json()
        assert body["report"] == json.loads(
            built(w, body["report"]["subject_id"]).model_dump_json()
        )
    assert inquire(w, RIC_1).json()["report"]["file_statements"][0]["text"] == "I paid on time."
    assert took_built_path == [w.subject1, w.subject2, w.subject1]
    # Disputes take the same path: ``test_reports_copies`` checks their flags and hiding.


def test_a_new_publication_replaces_the_parts(published: World, tmp_path: Path) -> None:
    w = published
    assert inquire(w).json()["report"]["accounts"][0]["current_balance_minor"] == 123400
    publish_world(w.engine, w, tmp_path / "again", "run-2", balance=777)
    body = inquire(w).json()
    assert body["report"]["run_id"] == "run-2"
    assert body["report"]["accounts"][0]["current_balance_minor"] == 777
    with w.engine.connect() as conn:
        assert set(conn.execute(select(file_report_parts.c.run_id)).scalars()) == {"run-2"}


def test_splice_needs_exactly_one_report_with_empty_items() -> None:
    doc = b'{"a":1,"accounts":[],"public_records":[],"inquiries":[{"x":1}]}'
    assert splice(doc, b"[1]", b"[2]") == (
        b'{"a":1,"accounts":[1],"public_records":[2],"inquiries":[{"x":1}]}'
    )
    with pytest.raises(ValueError, match="exactly one report"):
        splice(b'{"accounts":[1]}', b"[]", b"[]")
    with pytest.raises(ValueError, match="exactly one report"):
        splice(doc + doc, b"[]", b"[]")
