"""A score inquiry's score read with the holder lookup: the same answer, one round trip.

On PostgreSQL a score inquiry made two round trips on the worker's read
connection: the identifier's holders, then the sole subject's latest score.
``RawReader.holders_and_score`` reads both in one statement; the service uses
the score only when the holder is the subject the lookup resolves to (not a
merged one, whose survivor's score is read again). Over HTTP: the answer is
the same score as the model path's, a merged holder's inquiry is answered with
the survivor's score, and on PostgreSQL a usual score inquiry is one round trip.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_testkit import RIC_1, RIC_2, World
from reports_testkit import count_round_trips, store_score
from sqlalchemy import update

from xinyong.api.reports import latest_score
from xinyong.store.engine import transaction
from xinyong.store.schema import subjects


@pytest.fixture
def jurisdiction() -> str:
    return "US"  # no consent for a credit application


def _score(w: World, ric: str) -> dict[str, Any]:
    payload = {"identifier": {"scheme": "cn_ric", "value": ric}, "purpose": "credit_application"}
    r = w.client.post("/v1/inquirer/score", json=payload, headers=w.auth("inquirer"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _model_score(w: World, subject_id: str) -> dict[str, Any]:
    with w.engine.connect() as conn:
        score = latest_score(conn, subject_id, w.clock.now)
    assert score is not None
    return score.model_dump(mode="json")


def test_the_score_served_is_the_subjects_latest(world: World) -> None:
    store_score(world.engine, world.subject1)
    assert _score(world, RIC_1)["score"] == _model_score(world, world.subject1)


def test_a_merged_holders_inquiry_gets_its_survivors_score(world: World) -> None:
    w = world
    store_score(w.engine, w.subject1, score=700, score_id="score-survivor")
    store_score(w.engine, w.subject2, score=500, score_id="score-merged")
    with transaction(w.engine) as conn:
        conn.execute(
            update(subjects)
            .where(subjects.c.subject_id == w.subject2)
            .values(status="merged", merged_into=w.subject1)
        )
    served = _score(w, RIC_2)["score"]
    assert served["score_id"] == "score-survivor"
    assert served == _model_score(w, w.subject1)


def test_a_subject_without_a_score_gets_none(world: World) -> None:
    assert _score(world, RIC_1)["score"] is None


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_usual_score_inquiry_is_one_round_trip_on_postgresql(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    store_score(w.engine, w.subject1)
    counts = count_round_trips(monkeypatch)
    service = w.client.app.state.inquiries  # type: ignore[attr-defined]
    service.reads.close()  # its readers reconnect, through the counting wrapper
    for _ in range(2):  # the first also reads the key (then cached)
        counts.clear()
        assert _score(w, RIC_1)["score"] is not None
    assert len(counts) == 1
