"""The test stores built from a session template are as fresh as freshly migrated ones.

``tests/store_testkit.py`` runs the migrations once per session; these tests
guard what the ``engine`` fixture promises in exchange: no row, sequence value
or schema change of one test is seen by the next; and that replaying a seeded
state (how the API tests' ``world`` is set up) gives the seeded state.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import URL

from store_testkit import (
    PgMigratedSchema,
    copy_sqlite_store,
    migrated_sqlite_file,
    replay_rows,
    seeded_rows,
    table_rows,
)
from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import current_revision, head_revision, upgrade
from xinyong.store.repositories import add_subject, counts, get_meta
from xinyong.store.schema import person_names

JUST_MIGRATED = {"store_meta": 1}


def _nonzero_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {k: v for k, v in counts(conn).items() if v}


def _dirty(engine: Engine) -> None:
    """Rows in a parent and a child table, one of them from a sequence."""
    with transaction(engine) as conn:
        add_subject(conn, kind="person", subject_id="s1")
        conn.execute(insert(person_names).values(subject_id="s1", full_name="x", script="latin"))


def _next_name_id(engine: Engine) -> int:
    with transaction(engine) as conn:
        add_subject(conn, kind="person", subject_id="probe")
        conn.execute(insert(person_names).values(subject_id="probe", full_name="y", script="latin"))
        query = select(person_names.c.name_id).where(person_names.c.subject_id == "probe")
        return int(conn.execute(query).scalar_one())


def test_sqlite_copies_are_migrated_and_independent(tmp_path: Path) -> None:
    template = migrated_sqlite_file(tmp_path / "template.sqlite3")
    first, second = (f"sqlite:///{tmp_path / name / 'store.sqlite3'}" for name in ("a", "b"))
    copy_sqlite_store(template, first)
    engine = make_engine(first)
    try:
        assert current_revision(engine) == head_revision()
        assert _nonzero_counts(engine) == JUST_MIGRATED
        _dirty(engine)
    finally:
        engine.dispose()
    copy_sqlite_store(template, second)
    engine = make_engine(second)
    try:
        assert _nonzero_counts(engine) == JUST_MIGRATED
        assert _next_name_id(engine) == 1
    finally:
        engine.dispose()
    with pytest.raises(FileExistsError):
        copy_sqlite_store(template, first)


@pytest.mark.postgres
def test_postgresql_schema_is_back_to_just_migrated_after_rows_and_ddl(
    pg_database_url: URL,
) -> None:
    migrated = PgMigratedSchema(pg_database_url)
    try:
        url = migrated.fresh()
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                created = get_meta(conn, "created_at")
            assert current_revision(engine) == head_revision()
            assert _nonzero_counts(engine) == JUST_MIGRATED
            _dirty(engine)
            assert _nonzero_counts(engine) == {**JUST_MIGRATED, "subjects": 1, "person_names": 1}

            assert migrated.fresh() == url
            assert _nonzero_counts(engine) == JUST_MIGRATED
            assert _next_name_id(engine) == 1  # the sequence restarted too
            with engine.connect() as conn:
                assert get_meta(conn, "created_at") == created

            # A schema change is noticed and undone: the schema is migrated again.
            with transaction(engine) as conn:
                conn.exec_driver_sql("ALTER TABLE person_names ADD COLUMN extra INTEGER")
                conn.exec_driver_sql("DROP TABLE rejects")
            engine.dispose()
            assert migrated.fresh() == url
            names = make_engine(url)
            try:
                with names.connect() as conn:
                    columns = conn.exec_driver_sql(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_schema = current_schema() AND table_name = 'person_names'"
                    )
                    assert "extra" not in set(columns.scalars())
                assert _nonzero_counts(names) == JUST_MIGRATED
                upgrade(names)  # at head already: nothing to do, nothing fails
            finally:
                names.dispose()
        finally:
            engine.dispose()
    finally:
        migrated.drop()


def test_replayed_seed_rows_give_the_seeded_state(
    engine: Engine, backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    before = table_rows(engine)
    _dirty(engine)
    seeded = seeded_rows(engine, before)
    assert set(seeded.tables) == {"subjects", "person_names"}

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'other' / 'store.sqlite3'}"
        copy_sqlite_store(request.getfixturevalue("sqlite_template"), url)
        other_schema = None
    else:
        other_schema = PgMigratedSchema(request.getfixturevalue("pg_database_url"))
        url = other_schema.fresh()
    other = make_engine(url)
    try:
        untouched = table_rows(other)
        replay_rows(other, seeded)
        replayed, original = table_rows(other), table_rows(engine)
        for name, rows in replayed.items():
            assert rows == (original[name] if name in seeded.tables else untouched[name]), name
        # The next generated key follows the replayed rows, as it would after seeding.
        assert _next_name_id(other) == _next_name_id(engine) == 2
    finally:
        other.dispose()
        if other_schema is not None:
            other_schema.drop()
