"""The report inquiry's raw reads: the same answers as the model path, from covering indexes.

``raw_reads`` picks the latest score straight from the
``(subject_id, computed_at, score_id)`` index (migration 0011) instead of
looking the row up again by its key; it must still pick what
``reports.latest_score`` picks: the newest score computed by ``now``, the
largest ``score_id`` on a tie, none when every score is later. On SQLite and
PostgreSQL. On SQLite the statements' plans are checked too: the identifier's
holders and the subject's names come from an index alone, and the latest score
needs no sort, which is what cut the report's page reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from xinyong.api.raw_reads import _SQL, RawReader
from xinyong.api.reports import latest_score
from xinyong.store import dbapi
from xinyong.store.engine import transaction
from xinyong.store.schema import score_reasons, scores, subjects

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _subject(engine: Engine, subject_id: str) -> None:
    with transaction(engine) as conn:
        conn.execute(
            insert(subjects).values(
                subject_id=subject_id, kind="person", created_at=NOW - timedelta(days=9)
            )
        )


def _score(engine: Engine, subject_id: str, score_id: str, at: datetime, value: int) -> None:
    with transaction(engine) as conn:
        conn.execute(
            insert(scores).values(
                score_id=score_id,
                subject_id=subject_id,
                model_id="demo-card",
                model_version="1.0.0",
                as_of=date(2026, 4, 30),
                ledger_snapshot="snap-1",
                score=value,
                score_min=300,
                score_max=850,
                probability_bad=0.1,
                computed_at=at,
            )
        )
        for rank in (2, 1):  # stored out of order: the read orders them
            conn.execute(
                insert(score_reasons).values(
                    score_id=score_id, rank=rank, code=f"R{rank}", text=f"{score_id} reason {rank}"
                )
            )


@pytest.fixture
def reader(engine: Engine) -> Iterator[RawReader]:
    raw = RawReader(engine)
    yield raw
    raw.close()


def test_latest_score_is_the_model_paths_choice(engine: Engine, reader: RawReader) -> None:
    _subject(engine, "s-1")
    _score(engine, "s-1", "sc-old", NOW - timedelta(days=30), 500)
    _score(engine, "s-1", "sc-tie-a", NOW - timedelta(days=2), 600)
    _score(engine, "s-1", "sc-tie-b", NOW - timedelta(days=2), 610)  # same instant, larger id
    _score(engine, "s-1", "sc-future", NOW + timedelta(days=1), 700)
    with engine.connect() as conn:
        for at, expected in (
            (NOW, "sc-tie-b"),
            (NOW - timedelta(days=10), "sc-old"),
            (NOW - timedelta(days=31), None),
        ):
            model = latest_score(conn, "s-1", at)
            raw = reader.score("s-1", at)
            assert raw == model, at
            assert (raw.score_id if raw else None) == expected
    picked = reader.score("s-1", NOW)
    assert picked is not None
    assert [(r.rank, r.text) for r in picked.reasons] == [
        (1, "sc-tie-b reason 1"),
        (2, "sc-tie-b reason 2"),
    ]


def test_a_subject_without_scores_has_none(engine: Engine, reader: RawReader) -> None:
    _subject(engine, "s-2")
    _subject(engine, "s-3")
    _score(engine, "s-3", "sc-other", NOW - timedelta(days=1), 640)  # another subject's
    assert reader.score("s-2", NOW) is None


def _plan(engine: Engine, name: str) -> str:
    conn = dbapi.detached_connection(engine, autocommit=True)
    try:
        sql = _SQL[name]
        rows = conn.execute("EXPLAIN QUERY PLAN " + sql, ["x"] * sql.count("?")).fetchall()
        return "\n".join(str(row[-1]) for row in rows)
    finally:
        conn.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_report_reads_use_the_covering_indexes(engine: Engine) -> None:
    holders = _plan(engine, "holders")
    assert "COVERING INDEX ix_subject_identifiers_scheme_value_hash_subject_id" in holders
    parties = _plan(engine, "parties")
    assert "COVERING INDEX ix_person_names_subject_id_full_name" in parties
    assert "COVERING INDEX ix_subject_identifiers_subject_id_scheme_value_masked" in parties
    score = _plan(engine, "score")
    assert "INDEX ix_scores_subject_id_computed_at_score_id" in score
    # The latest score is the index's first entry: no sort of the subject's scores
    # (the one sort left orders the reasons of that score).
    assert score.count("TEMP B-TREE") == 1
    assert "sqlite_autoindex_scores_1" not in score  # not looked up again by its key
