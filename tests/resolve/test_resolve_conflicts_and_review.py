"""Conflicts are flagged, never merged; the review queue decides them, and undoing restores.

Store tests: they run on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from resolve_testkit import (
    FAST,
    ingest,
    mention_of,
    mention_subjects,
    person,
    register_furnishers,
    ric,
    subjects,
)
from sqlalchemy import Engine, func, select

from xinyong.audit import chain
from xinyong.errors import UserError
from xinyong.ledger import Ledger
from xinyong.resolve import (
    LinkConfig,
    decide,
    list_review,
    resolve,
    withdraw_decision,
)
from xinyong.resolve.model import TrainedModel
from xinyong.resolve.state import current_clustering
from xinyong.store.resolution_schema import resolution_decisions
from xinyong.store.schema import audit_events
from xinyong.store.schema import subjects as subjects_table

PHONE = "13912345678"


def _same_person_three_ways() -> list[dict[str, object]]:
    """张伟 with resident number 1, the same 张伟 without a number, and a second
    张伟 with the same birth date, address and phone but another resident number."""
    common = {"family": "张", "given": "伟", "birth": "1985-03-12", "phone": PHONE}
    return [
        person("A-1", id_scheme="cn_ric", id_value=ric("1985-03-12", 11), **common),
        person("A-2", **common),
        person("A-3", id_scheme="cn_ric", id_value=ric("1985-03-12", 13), **common),
        # One passport, two birth dates far apart: the same identifier, incompatible.
        person(
            "A-4",
            family="王",
            given="芳",
            birth="1970-01-01",
            id_scheme="passport",
            id_value="123456789",
            id_country="GB",
            address="海淀区学院路30号",
        ),
        person(
            "A-5",
            family="王",
            given="芳",
            birth="1990-06-15",
            id_scheme="passport",
            id_value="123456789",
            id_country="GB",
            address="海淀区学院路30号",
        ),
    ]


def _setup(tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]) -> tuple[Ledger, str]:
    register_furnishers(engine)
    ledger = Ledger(tmp_path / "ledger")
    batch = ingest(_same_person_three_ways(), "bank-a", ledger, engine)
    resolve(ledger, engine, tmp_path / "resolution", config=FAST, models=models)
    return ledger, batch


def test_two_resident_numbers_are_never_one_subject(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    _ledger, batch = _setup(tmp_path, engine, models)
    subject = subjects(engine, batch)
    # The record without a number links to one of the two, never both.
    assert subject[1] != subject[3]
    assert subject[2] in (subject[1], subject[3])
    items = list_review(engine)
    conflicts = [i for i in items if i.category == "conflict"]
    pairs = {frozenset((i.left.mention_key, i.right.mention_key)) for i in conflicts}
    lonely = mention_of(engine, batch, 3 if subject[2] == subject[1] else 1)
    assert any(mention_of(engine, batch, 2) in p and lonely in p for p in pairs)
    refused = [i for i in conflicts if "cn_ric" in (i.reason or "")]
    assert refused and all("refused" in (i.reason or "") for i in refused)


def test_same_identifier_with_incompatible_birth_dates_is_flagged_not_merged(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    _ledger, batch = _setup(tmp_path, engine, models)
    subject = subjects(engine, batch)
    assert subject[4] != subject[5]
    keys = {mention_of(engine, batch, 4), mention_of(engine, batch, 5)}
    flagged = [i for i in list_review(engine) if {i.left.mention_key, i.right.mention_key} == keys]
    assert len(flagged) == 1
    assert flagged[0].category == "conflict"
    assert "birth dates" in (flagged[0].reason or "")
    assert flagged[0].left.identifier is not None
    assert "123456789" not in flagged[0].left.identifier  # masked, never in clear


def test_a_judgement_is_applied_and_withdrawing_it_restores_the_subjects(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    _ledger, batch = _setup(tmp_path, engine, models)
    before = mention_subjects(engine)
    older, younger = subjects(engine, batch)[4], subjects(engine, batch)[5]
    item = next(i for i in list_review(engine) if "birth dates" in (i.reason or ""))

    result = decide(engine, item.decision_id, same=True, actor="reviewer-1", reason="checked ID")
    assert result.decision.method == "human" and result.decision.judgement == "positive"
    after = subjects(engine, batch)
    assert after[4] == after[5] == older  # a human may merge what the rules would not
    assert all(i.decision_id != item.decision_id for i in list_review(engine))
    with engine.connect() as conn:
        row = conn.execute(
            select(subjects_table).where(subjects_table.c.subject_id == younger)
        ).one()
    assert (row.status, row.merged_into) == ("merged", older)  # the older id survives

    withdraw_decision(engine, result.decision.decision_id, actor="reviewer-2", reason="mistake")
    assert mention_subjects(engine) == before
    assert any(i.decision_id == item.decision_id for i in list_review(engine))
    with engine.connect() as conn:
        row = conn.execute(
            select(resolution_decisions).where(
                resolution_decisions.c.decision_id == result.decision.decision_id
            )
        ).one()
        assert row.deleted_by == "reviewer-2" and row.deleted_at is not None  # kept, marked
        actions = list(conn.execute(select(audit_events.c.action)).scalars())
        assert "resolution.judgement" in actions
        assert "resolution.decision_withdrawn" in actions
        assert {"subject.merged", "subject.split"} <= set(actions)
        row = conn.execute(
            select(subjects_table).where(subjects_table.c.subject_id == younger)
        ).one()
        assert (row.status, row.merged_into) == ("active", None)
        assert chain.verify(conn).ok


def test_judging_a_linked_pair_different_splits_it_until_withdrawn(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    _ledger, batch = _setup(tmp_path, engine, models)
    before = subjects(engine, batch)
    linked = 1 if before[2] == before[1] else 3
    pair = f"{mention_of(engine, batch, 2)},{mention_of(engine, batch, linked)}"

    result = decide(engine, pair, same=False, actor="reviewer-1")
    split = subjects(engine, batch)
    assert split[2] != split[linked]
    assert split[linked] == before[linked]  # the earlier mention keeps the subject id

    withdraw_decision(engine, result.decision.decision_id, actor="reviewer-1", reason="undo")
    assert subjects(engine, batch) == before
    with engine.connect() as conn:
        clustering, _ = current_clustering(conn)
    # What is published is the pure function of the decision rows.
    published = mention_subjects(engine)
    groups: dict[str, set[str]] = {}
    for key, head in clustering.cluster_of.items():
        groups.setdefault(head, set()).add(key)
    for members in groups.values():
        assert len({published[k] for k in members}) == 1


def test_uncertain_pairs_wait_for_a_human(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    register_furnishers(engine)
    ledger = Ledger(tmp_path / "ledger")
    batch = ingest(
        [
            person("U-1", family="李", given="娜", birth="1991-07-07", phone=PHONE),
            person("U-2", full="李娜", phone=PHONE),
        ],
        "bank-a",
        ledger,
        engine,
    )
    # Thresholds that leave every model score in the uncertain band.
    config = LinkConfig(link_weight=1e9, review_weight=-1e9, min_train_mentions=50)
    summary = resolve(ledger, engine, tmp_path / "resolution", config=config, models=models)
    assert summary.review_added == 1 and summary.review_open == 1
    assert subjects(engine, batch)[1] != subjects(engine, batch)[2]
    (item,) = list_review(engine)
    assert item.category == "uncertain" and item.match_probability is not None
    assert item.model_id == models["person"].model_id

    decide(engine, str(item.decision_id), same=True, actor="reviewer-1")
    assert subjects(engine, batch)[1] == subjects(engine, batch)[2]
    assert list_review(engine) == []
    with engine.connect() as conn:
        humans = conn.execute(
            select(func.count())
            .select_from(resolution_decisions)
            .where(resolution_decisions.c.method == "human")
        ).scalar_one()
    assert humans == 1


def test_bad_judgements_are_refused_with_a_message(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    _ledger, batch = _setup(tmp_path, engine, models)
    with pytest.raises(UserError):
        decide(engine, "no-such-key,other", same=True, actor="x")
    with pytest.raises(UserError):
        decide(engine, "999999", same=True, actor="x")
    with pytest.raises(UserError):
        decide(engine, "just-one-key", same=True, actor="x")
    with pytest.raises(UserError):
        decide(
            engine,
            f"{mention_of(engine, batch, 1)},{mention_of(engine, batch, 4)}",
            same=True,
            actor=" ",
        )
