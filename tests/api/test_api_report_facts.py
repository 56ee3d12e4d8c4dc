"""The facts stored with each report part (names, identifiers, latest score) serve the
same report as the live reads, and every change to what they copy clears them.

``report_facts`` copies, at publication, what a report would read live;
migration 0015's triggers (0018's statement triggers on PostgreSQL) clear the
copy on any change to the subject's names, enterprise facts, identifiers,
scores, reasons, disputes or statements. The definition is
``reports.build_report``: every served report is compared with it byte for
byte, whichever path served it. US profile.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from api_testkit import RIC_1, RIC_2, START, World
from reports_testkit import publish_world, store_score, write_score
from sqlalchemy import Connection, delete, insert, select, update

from xinyong.api import inquiry_report
from xinyong.api.models import InquiryResult, Report
from xinyong.api.report_facts import SCORE_TRIGGERS, scores_in_bulk, splice_facts
from xinyong.api.reports import build_report
from xinyong.policy import get_profile
from xinyong.store.engine import transaction
from xinyong.store.files_schema import file_report_parts
from xinyong.store.schema import (
    consumer_statements,
    disputes,
    enterprises,
    person_names,
    score_reasons,
    subject_identifiers,
)

# Names that JSON must escape or that sort apart by code point.
NAMES = ('O"Brien \\ Ng', "王\u0001小明\u2028", "Zoë 𝔘")


@pytest.fixture
def jurisdiction() -> str:
    return "US"


@pytest.fixture
def published(world: World, tmp_path: Path) -> World:
    """Subject 1 with more names and two scores, subject 2 with neither, then published."""
    w = world
    with transaction(w.engine) as conn:
        for name in NAMES:
            conn.execute(
                insert(person_names).values(subject_id=w.subject1, full_name=name, script="latin")
            )
    store_score(w.engine, w.subject1, at=START - timedelta(days=3), score=500, score_id="score-0")
    store_score(w.engine, w.subject1)
    publish_world(w.engine, w, tmp_path)
    return w


def parts(w: World) -> dict[str, Any]:
    with w.engine.connect() as conn:
        return {r.subject_id: r for r in conn.execute(select(file_report_parts))}


def built(w: World, subject_id: str) -> Report:
    with w.engine.connect() as conn:
        return build_report(conn, subject_id, get_profile("US"), w.clock.now, for_subject=False)


def spliced(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The stored ``parties`` of each report served from stored facts."""
    seen: list[bytes] = []

    def counting(document: bytes, parties: bytes, score: bytes) -> bytes:
        seen.append(parties)
        return splice_facts(document, parties, score)

    monkeypatch.setattr(inquiry_report, "splice_facts", counting)
    return seen


def served_as_built(w: World, ric: str) -> dict[str, Any]:
    """Inquire, and check the body byte for byte against the report built now."""
    payload = {"identifier": {"scheme": "cn_ric", "value": ric}, "purpose": "credit_application"}
    r = w.client.post("/v1/inquirer/inquiries", json=payload, headers=w.auth("inquirer"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    report = built(w, body["report"]["subject_id"])
    expected = body | {"report": json.loads(report.model_dump_json())}
    assert r.content == InquiryResult.model_validate(expected).model_dump_json().encode()
    return body


def test_publication_stores_the_facts_the_report_shows(published: World) -> None:
    w = published
    rows = parts(w)
    for subject_id, row in rows.items():
        report = built(w, subject_id)
        facts = json.loads(b"{" + bytes(row.parties) + b"}")
        assert facts == {
            "names": report.names,
            "identifiers": report.identifiers,
        }
        score = json.loads(bytes(row.score))
        assert score == (json.loads(report.score.model_dump_json()) if report.score else None)
    one, two = rows[w.subject1], rows[w.subject2]
    assert json.loads(bytes(one.score))["score_id"] == "score-1"  # the latest of two
    assert one.score_at == START - timedelta(days=1)
    assert json.loads(b"{" + bytes(one.parties) + b"}")["names"][1:] == list(NAMES)  # by name_id
    assert (bytes(two.score), two.score_at) == (b"null", None)


@pytest.mark.parametrize("ric", [RIC_1, RIC_2])
def test_a_report_from_stored_facts_is_the_built_report(
    published: World, ric: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = published
    used = spliced(monkeypatch)
    served_as_built(w, ric)
    body = served_as_built(w, ric)  # with an earlier inquiry listed
    assert len(body["report"]["inquiries"]) == 2
    assert len(used) == 2


def _add_name(w: World, conn: Connection) -> str:
    conn.execute(
        insert(person_names).values(subject_id=w.subject2, full_name="Li Lei", script="latin")
    )
    return w.subject2


def _drop_name(w: World, conn: Connection) -> str:
    conn.execute(delete(person_names).where(person_names.c.full_name == NAMES[0]))
    return w.subject1


def _mask_identifier(w: World, conn: Connection) -> str:
    conn.execute(
        update(subject_identifiers)
        .where(subject_identifiers.c.subject_id == w.subject2)
        .values(value_masked="**************0000")
    )
    return w.subject2


def _add_enterprise_name(w: World, conn: Connection) -> str:
    conn.execute(insert(enterprises).values(subject_id=w.subject2, legal_name="Acme Trading"))
    return w.subject2


def _reword_reason(w: World, conn: Connection) -> str:
    conn.execute(
        update(score_reasons)
        .where(score_reasons.c.score_id == "score-1", score_reasons.c.rank == 2)
        .values(text="Reworded")
    )
    return w.subject1


def _drop_reason(w: World, conn: Connection) -> str:
    conn.execute(
        delete(score_reasons).where(
            score_reasons.c.score_id == "score-1", score_reasons.c.rank == 6
        )
    )
    return w.subject1


def _dispute(w: World, conn: Connection) -> str:
    conn.execute(
        insert(disputes).values(
            dispute_id="d-9",
            subject_id=w.subject2,
            item_kind="account",
            item_id=w.account2,
            reason="Not mine.",
            opened_at=START,
            due_at=START + timedelta(days=30),
        )
    )
    return w.subject2


def _statement(w: World, conn: Connection) -> str:
    conn.execute(
        insert(consumer_statements).values(
            statement_id="st-9", subject_id=w.subject1, text="I paid on time.", created_at=START
        )
    )
    return w.subject1


CHANGES: dict[str, Callable[[World, Connection], str]] = {
    "name added": _add_name,
    "name deleted": _drop_name,
    "identifier updated": _mask_identifier,
    "enterprise name added": _add_enterprise_name,
    "reason updated": _reword_reason,
    "reason deleted": _drop_reason,
    "dispute filed": _dispute,
    "statement added": _statement,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_to_what_is_copied_clears_the_copy(
    published: World, change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = published
    with transaction(w.engine) as conn:
        changed = CHANGES[change](w, conn)
    other = w.subject2 if changed == w.subject1 else w.subject1
    rows = parts(w)
    assert (rows[changed].parties, rows[changed].score, rows[changed].score_at) == (
        None,
        None,
        None,
    )
    assert rows[other].parties is not None  # only the subject's own copy
    used = spliced(monkeypatch)
    for ric in (RIC_1, RIC_2):
        served_as_built(w, ric)
    assert used == [rows[other].parties]  # the changed subject's report was read live


def test_a_new_score_clears_the_copy(published: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w = published
    store_score(w.engine, w.subject2, score=700, score_id="score-9")
    assert parts(w)[w.subject2].parties is None
    used = spliced(monkeypatch)
    assert served_as_built(w, RIC_2)["report"]["score"]["score"] == 700
    assert used == []


def test_a_score_stored_for_later_is_not_shown_before_its_time(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copy holds the latest score by ``computed_at``; before that instant the
    report is read live and shows the score that was latest then (here, none)."""
    w = world
    later = START + timedelta(days=2)
    store_score(w.engine, w.subject2, at=later, score_id="score-later")
    publish_world(w.engine, w, tmp_path)
    assert parts(w)[w.subject2].score_at == later
    used = spliced(monkeypatch)
    assert served_as_built(w, RIC_2)["report"]["score"] is None
    assert used == []
    w.clock.now = later
    assert served_as_built(w, RIC_2)["report"]["score"]["score_id"] == "score-later"
    assert len(used) == 1


def test_splice_facts_needs_exactly_one_report_without_facts() -> None:
    empty = b'{"id":0,"names":[],"identifiers":[],"x":1,"score":null,"accounts":[]}'
    assert splice_facts(b"[" + empty + b"]", b'"names":["A"],"identifiers":[]', b"{}") == (
        b'[{"id":0,"names":["A"],"identifiers":[],"x":1,"score":{},"accounts":[]}]'
    )
    for document in (b"{}", empty + empty, b'{"id":0,"names":[],"identifiers":[],"score":1}'):
        with pytest.raises(ValueError, match="exactly one report"):
            splice_facts(document, b"", b"")


def score_triggers(w: World) -> dict[str, str]:
    """The store's triggers on the score tables: their statements by name on SQLite,
    their names (mapped to themselves) on PostgreSQL, whose statement triggers
    ``scores_in_bulk`` leaves in place."""
    with w.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            names = conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
                " AND tgrelid IN ('scores'::regclass, 'score_reasons'::regclass)"
            ).scalars()
            return {name: name for name in names}
        return dict(
            conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                " AND (tbl_name = 'scores' OR tbl_name = 'score_reasons')"
            ).all()
        )


def expected_score_triggers(w: World) -> dict[str, str]:
    if w.engine.dialect.name == "postgresql":
        return {name: name for name in SCORE_TRIGGERS}
    return SCORE_TRIGGERS


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_score_triggers_are_the_stores_own(published: World) -> None:
    """``scores_in_bulk`` drops and makes again migration 0015's triggers: the very ones."""
    assert score_triggers(published) == SCORE_TRIGGERS


def test_a_scoring_run_in_bulk_clears_its_subjects_copies_once(
    published: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = published
    with transaction(w.engine) as conn, scores_in_bulk(conn, "run-9"):
        write_score(conn, w.subject1, at=START, score_id="score-9", run_id="run-9")
        # No trigger meanwhile: the copy is still there until the run is written.
        assert w.subject1 in {
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT subject_id FROM file_report_parts WHERE parties IS NOT NULL"
            )
        }
    rows = parts(w)
    assert rows[w.subject1].parties is None  # the run's subject
    assert rows[w.subject2].parties is not None  # not in the run
    used = spliced(monkeypatch)
    assert served_as_built(w, RIC_1)["report"]["score"]["score_id"] == "score-9"
    served_as_built(w, RIC_2)
    assert used == [rows[w.subject2].parties]
    # The triggers are back: a score written outside a run clears its subject's copy.
    assert score_triggers(w) == expected_score_triggers(w)
    store_score(w.engine, w.subject2, score_id="score-10")
    assert parts(w)[w.subject2].parties is None


def test_a_failed_bulk_run_leaves_copies_and_triggers_as_they_were(published: World) -> None:
    w = published
    with (
        pytest.raises(RuntimeError),
        transaction(w.engine) as conn,
        scores_in_bulk(conn, "run-9"),
    ):
        write_score(conn, w.subject1, score_id="score-9", run_id="run-9")
        raise RuntimeError("killed mid-run")
    assert all(r.parties is not None for r in parts(w).values())
    assert score_triggers(w) == expected_score_triggers(w)


def test_after_a_bulk_run_its_own_transaction_clears_copies_again(published: World) -> None:
    """The run switches the clearing off for its writes only: a score written later
    in the same transaction clears its subject's copy (on PostgreSQL the setting is
    turned back; on SQLite the triggers are made again)."""
    w = published
    with transaction(w.engine) as conn:
        with scores_in_bulk(conn, "run-9"):
            write_score(conn, w.subject1, at=START, score_id="score-9", run_id="run-9")
        write_score(conn, w.subject2, at=START, score_id="score-10")
    rows = parts(w)
    assert (rows[w.subject1].parties, rows[w.subject2].parties) == (None, None)


def test_one_statement_over_many_subjects_clears_each_of_their_copies(
    published: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One statement touching several subjects' rows clears every one of their copies
    (on PostgreSQL the trigger runs once, over the statement's rows)."""
    w = published
    with transaction(w.engine) as conn:
        named = set(conn.execute(select(person_names.c.subject_id)).scalars())
        conn.execute(update(person_names).values(script="latin"))
    assert named == {w.subject1, w.subject2}
    assert {(r.parties, r.score, r.score_at) for r in parts(w).values()} == {(None, None, None)}
    used = spliced(monkeypatch)
    for ric in (RIC_1, RIC_2):
        served_as_built(w, ric)
    assert used == []
