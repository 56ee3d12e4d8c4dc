"""Runs over the store: incremental batches, stable ids, enterprises, what gets published.

Store tests: they run on SQLite and PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from pathlib import Path

from resolve_testkit import (
    FAST,
    Population,
    enterprise,
    ingest,
    mention_subjects,
    person,
    register_furnishers,
    ric,
    subjects,
    uscc,
)
from sqlalchemy import Engine, func, select

from xinyong.audit import chain
from xinyong.ledger import Ledger
from xinyong.resolve import record_subjects, resolve
from xinyong.resolve.explain import explain_decision
from xinyong.resolve.model import TrainedModel
from xinyong.store.resolution_schema import resolution_decisions, resolution_records
from xinyong.store.schema import (
    enterprises,
    person_names,
    subject_identifiers,
)
from xinyong.store.schema import (
    subjects as subjects_table,
)

ZHANG = ric("1985-03-12", 11)
LI = ric("1990-11-02", 24)


def _first_batch() -> list[dict[str, object]]:
    return [
        person(
            "A-1", family="张", given="伟", birth="1985-03-12", id_scheme="cn_ric", id_value=ZHANG
        ),
        person(
            "A-2",
            family="张",
            given="伟",
            birth="1985-03-12",
            id_scheme="cn_ric",
            id_value=ZHANG,
            phone="13912345678",
        ),
        person(
            "A-3",
            family="李",
            given="秀英",
            birth="1990-11-02",
            id_scheme="cn_ric",
            id_value=LI,
            address="西城区金融大街7号",
        ),
    ]


def test_a_second_batch_links_to_existing_subjects_without_redoing_the_first(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    register_furnishers(engine)
    ledger = Ledger(tmp_path / "ledger")
    first = ingest(_first_batch(), "bank-a", ledger, engine)
    run1 = resolve(ledger, engine, tmp_path / "resolution", config=FAST, models=models)
    before = mention_subjects(engine)
    with engine.connect() as conn:
        decisions_before = {
            r.decision_id: r.deleted_at for r in conn.execute(select(resolution_decisions))
        }

    second = ingest(
        [
            person("B-1", full="ZHANG WEI", birth="1985-03-12", id_scheme="cn_ric", id_value=ZHANG),
            person(
                "B-2",
                full="李秀英",
                birth="1990-11-02",
                phone="13800001111",
                address="西城区金融大街7号",
            ),
            person(
                "B-3",
                family="赵",
                given="敏",
                birth="1979-04-30",
                id_scheme="cn_ric",
                id_value=ric("1979-04-30", 35),
            ),
        ],
        "bank-b",
        ledger,
        engine,
    )
    run2 = resolve(ledger, engine, tmp_path / "resolution", config=FAST)

    assert run2.mode == "incremental" and run2.batches == 1 and run2.new_mentions == 3
    assert run2.person_model_id == run1.person_model_id  # scored with the stored model
    assert run2.withdrawn == 0
    old, new = subjects(engine, first), subjects(engine, second)
    assert new[1] == old[1] == old[2]  # ZHANG WEI joins 张伟 by resident number
    assert new[2] == old[3]  # 李秀英 joins by name, birth date and address
    assert new[3] not in set(old.values())  # a new person, a new subject
    after = mention_subjects(engine)
    assert all(after[k] == v for k, v in before.items())  # existing subjects kept their ids
    with engine.connect() as conn:
        for decision_id, deleted in decisions_before.items():
            row = conn.execute(
                select(resolution_decisions.c.deleted_at).where(
                    resolution_decisions.c.decision_id == decision_id
                )
            ).one()
            assert row.deleted_at == deleted  # the first run's decisions were not touched

    run3 = resolve(ledger, engine, tmp_path / "resolution", config=FAST)
    assert run3.batches == 0 and run3.new_mentions == 0
    assert mention_subjects(engine) == after


def test_subject_ids_survive_a_full_rerun(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    register_furnishers(engine)
    ledger = Ledger(tmp_path / "ledger")
    ingest(_first_batch(), "bank-a", ledger, engine)
    resolve(ledger, engine, tmp_path / "resolution", config=FAST, models=models)
    first = mention_subjects(engine)
    rerun = resolve(
        ledger,
        engine,
        tmp_path / "resolution",
        full=True,
        retrain=False,
        config=FAST,
        models=models,
    )
    assert rerun.mode == "full" and rerun.withdrawn == 0  # same model, same decisions
    assert mention_subjects(engine) == first
    with engine.connect() as conn:
        assert chain.verify(conn).ok


def test_enterprises_link_by_credit_code_or_by_name_and_registration(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    register_furnishers(engine)
    ledger = Ledger(tmp_path / "ledger")
    code, other = uscc("MA01XK2P"), uscc("MA07QR5T")
    batch = ingest(
        [
            enterprise("E1", "北京示例科技有限公司", code=code, registered="2015-01-01"),
            enterprise("E2", "示例科技有限公司（北京）", code=code),
            enterprise("E3", "北京示例科技有限公司", registered="2015-01-01"),
            enterprise("E4", "北京示例科技有限公司", code=other, registered="2015-01-01"),
        ],
        "court-c",
        ledger,
        engine,
    )
    resolve(ledger, engine, tmp_path / "resolution", config=FAST, models=models)
    subject = subjects(engine, batch)
    assert subject[1] == subject[2] == subject[3]
    assert subject[4] != subject[1]  # another credit code is another enterprise
    with engine.connect() as conn:
        methods = set(conn.execute(select(resolution_decisions.c.method)).scalars())
        assert {"identifier", "rule"} <= methods
        firm = conn.execute(select(enterprises).where(enterprises.c.subject_id == subject[1])).one()
        assert firm.legal_name == "北京示例科技有限公司"
        assert str(firm.registration_date) == "2015-01-01"
        codes = conn.execute(
            select(subject_identifiers).where(subject_identifiers.c.subject_id == subject[1])
        ).all()
        assert [c.scheme for c in codes] == ["cn_uscc"]
        assert codes[0].value_masked.endswith(code[-4:]) and code not in codes[0].value_masked


def test_published_subjects_names_identifiers_and_the_record_join(
    tmp_path: Path, engine: Engine, models: dict[str, TrainedModel]
) -> None:
    register_furnishers(engine)
    ledger = Ledger(tmp_path / "ledger")
    first = ingest(_first_batch(), "bank-a", ledger, engine)
    second = ingest(
        [person("B-1", full="ZHANG WEI", birth="1985-03-12", id_scheme="cn_ric", id_value=ZHANG)],
        "bank-b",
        ledger,
        engine,
    )
    resolve(ledger, engine, tmp_path / "resolution", config=FAST, models=models)
    zhang = subjects(engine, first)[1]
    assert subjects(engine, second)[1] == zhang
    with engine.connect() as conn:
        names = conn.execute(
            select(person_names.c.full_name, person_names.c.script).where(
                person_names.c.subject_id == zhang
            )
        ).all()
        assert {tuple(n) for n in names} == {("张伟", "han"), ("ZHANG WEI", "latin")}
        ids = conn.execute(
            select(subject_identifiers).where(subject_identifiers.c.subject_id == zhang)
        ).all()
        assert len(ids) == 1 and ids[0].scheme == "cn_ric" and ZHANG not in ids[0].value_masked
        row = conn.execute(select(subjects_table).where(subjects_table.c.subject_id == zhang)).one()
        assert row.kind == "person" and row.status == "active"
        joined = conn.execute(record_subjects()).all()
        total = conn.execute(select(func.count()).select_from(resolution_records)).scalar_one()
        assert len(joined) == total == 4 and all(s is not None for *_, s in joined)


def test_a_model_link_is_explained_later_from_the_saved_model(population: Population) -> None:
    with population.engine.connect() as conn:
        decision_id = conn.execute(
            select(resolution_decisions.c.decision_id)
            .where(resolution_decisions.c.method == "splink")
            .order_by(resolution_decisions.c.decision_id)
            .limit(1)
        ).scalar_one()
        stored = conn.execute(
            select(resolution_decisions.c.match_weight).where(
                resolution_decisions.c.decision_id == decision_id
            )
        ).scalar_one()
    result = explain_decision(
        population.engine, population.ledger, population.workspace, decision_id
    )
    assert result.explanation is not None
    parts = sum(c.match_weight for c in result.explanation.contributions)
    assert abs(result.explanation.prior_weight + parts - stored) < 1e-6
    assert abs(result.explanation.match_weight - stored) < 1e-6
    assert "model person-" in result.summary
