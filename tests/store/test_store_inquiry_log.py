"""SQLite: the inquiry log in a file of its own, and the main file left alone by it.

What the split is for (``xinyong.store.inquiry_log``): a commit to a SQLite
file in WAL mode makes every other connection drop its page cache of that file
at its next read, and the service commits every inquiry. So an inquiry's
commit must not change the main file, and must not take its write lock either
(ingest and the service's other writers write there). And an upgrade moves a
store's recorded inquiries without losing one, and a downgrade moves them back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest
from sqlalchemy import Engine, func, insert, inspect, select

from xinyong.api.context import Principal
from xinyong.api.recorder import Attempt, Writer
from xinyong.audit import chain
from xinyong.store import dbapi, inquiry_log, migrate
from xinyong.store.engine import make_engine, transaction
from xinyong.store.migrate import current_revision, downgrade, stage_inquiry_log, upgrade
from xinyong.store.schema import inquiries, organisations, store_meta, subjects
from xinyong.store.service_schema import inquiry_requests, rate_counters

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LENDER = Principal(role="inquirer", credential_id="k1", org_id="lender-a")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'xinyong.sqlite3'}"


def _attempt(n: int) -> Attempt:
    return Attempt(
        principal=LENDER,
        at=NOW,
        subject_id="s-1",
        purpose="credit_application",
        kind="hard",
        consent_id=None,
        inquiry_id=f"inq-{n}",
        refusal=None,
    )


def _people(engine: Engine) -> None:
    with transaction(engine) as conn:
        conn.execute(insert(subjects).values(subject_id="s-1", kind="person", created_at=NOW))
        conn.execute(
            insert(organisations).values(
                org_id="lender-a",
                name="Lender A",
                kind="inquirer",
                roles=["inquirer"],
                country="US",
                created_at=NOW,
            )
        )


def test_a_store_file_keeps_its_inquiry_log_beside_it(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    try:
        upgrade(engine)
        insp = inspect(engine)
        assert not set(inquiry_log.TABLES) & set(insp.get_table_names())
        assert set(insp.get_table_names(schema=inquiry_log.SCHEMA)) == set(inquiry_log.TABLES)
    finally:
        engine.dispose()
    assert (tmp_path / "store" / "xinyong.sqlite3-inquiries").is_file()


def test_a_store_in_memory_keeps_it_in_its_one_database() -> None:
    engine = make_engine("sqlite://")
    try:
        upgrade(engine)
        assert set(inquiry_log.TABLES) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            schemas = {row[1] for row in conn.exec_driver_sql("PRAGMA database_list")}
        assert inquiry_log.SCHEMA not in schemas
    finally:
        engine.dispose()


def test_recording_an_inquiry_neither_changes_nor_locks_the_main_file(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    reader = writer = other = None
    try:
        upgrade(engine)
        _people(engine)
        reader = dbapi.detached_connection(engine, autocommit=True)
        other = dbapi.detached_connection(engine, autocommit=True)
        writer = dbapi.detached_connection(engine, autocommit=True)

        def versions() -> tuple[int, int]:
            main = reader.execute("PRAGMA main.data_version").fetchone()[0]
            log = reader.execute(f"PRAGMA {inquiry_log.SCHEMA}.data_version").fetchone()[0]
            return int(main), int(log)

        before = versions()
        with dbapi.transaction(writer, engine.dialect, immediate=False) as conn:
            Writer(engine.dialect).write(conn, [_attempt(1), _attempt(2)])
            # Mid-transaction, a writer of the main file does not wait for this one.
            other.execute("PRAGMA busy_timeout = 0")
            other.execute("INSERT INTO store_meta (key, value) VALUES ('probe', 'x')")
        after_probe = versions()
        assert after_probe[0] == before[0] + 1  # the probe's commit, no other
        with dbapi.transaction(writer, engine.dialect, immediate=False) as conn:
            Writer(engine.dialect).write(conn, [_attempt(3)])
        after = versions()
        assert after[0] == after_probe[0]  # the inquiry's commit left the main file alone
        assert after[1] > before[1]
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(inquiries)).scalar() == 3
            assert chain.verify(conn, log=chain.INQUIRIES).checked == 3
            assert chain.head(conn) is None  # nothing in the audit chain
            probe = select(store_meta.c.value).where(store_meta.c.key == "probe")
            assert conn.execute(probe).scalar_one() == "x"
    finally:
        for conn in (reader, writer, other):
            if conn is not None:
                conn.close()
        engine.dispose()


def _rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (inquiries, inquiry_requests, rate_counters)
        }


def _record_at_0016(engine: Engine) -> None:
    row: dict[str, Any] = {
        "request_id": "r-1",
        "subject_id": "s-1",
        "inquirer_org_id": "lender-a",
        "purpose": "credit_application",
        "kind": "hard",
        "outcome": "served",
        "inquiry_id": "inq-1",
        "at": NOW,
    }
    with transaction(engine) as conn:
        conn.execute(
            insert(inquiries).values(
                inquiry_id="inq-1",
                subject_id="s-1",
                inquirer_org_id="lender-a",
                purpose="credit_application",
                at=NOW,
            )
        )
        conn.execute(insert(inquiry_requests).values(**row))
        conn.execute(
            insert(rate_counters).values(key_id="k1", bucket="inquiries", window_start=NOW, hits=1)
        )


def _main_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _retired(engine: Engine) -> set[str]:
    return {t for t in _main_tables(engine) if t.startswith("retired_")}


ONE_EACH: Final = {"inquiries": 1, "inquiry_requests": 1, "rate_counters": 1}


@contextmanager
def _recorded_at(sqlite_url: str, revision: str) -> Iterator[Engine]:
    """A store at ``revision`` holding one inquiry, its request and a rate count."""
    engine = make_engine(sqlite_url)
    try:
        upgrade(engine, revision)
        _people(engine)
        _record_at_0016(engine)
        yield engine
    finally:
        engine.dispose()


def _refused_request(engine: Engine) -> None:
    with transaction(engine) as conn:  # by a service still running at 0016
        conn.execute(
            insert(inquiry_requests).values(
                request_id="r-2",
                inquirer_org_id="lender-a",
                subject_id="s-1",
                kind="hard",
                outcome="refused",
                reason_code="purpose_missing",
                at=NOW,
            )
        )


def test_an_upgrade_moves_the_recorded_inquiries_and_a_downgrade_brings_them_back(
    sqlite_url: str,
) -> None:
    with _recorded_at(sqlite_url, "0016") as engine:
        upgrade(engine)
        assert _rows(engine) == ONE_EACH
        # Staged: the rows were committed in the log before the main file let them go.
        assert not set(inquiry_log.TABLES) & _main_tables(engine)
        assert _retired(engine) == set()
        downgrade(engine, "0016")
        assert {"inquiries", "inquiry_requests", "rate_counters"} <= _main_tables(engine)
        assert inspect(engine).get_table_names(schema=inquiry_log.SCHEMA) == []
        assert _rows(engine) == ONE_EACH


def test_a_crash_after_the_stage_leaves_the_store_as_it_was(sqlite_url: str) -> None:
    # The stage commits the log file alone; the main file is untouched until the
    # upgrade's own transaction, so stopping in between loses nothing, and
    # upgrading later copies nothing twice.
    with _recorded_at(sqlite_url, "0016") as engine:
        stage_inquiry_log(engine, "head")
        stage_inquiry_log(engine, "head")  # repeatable
        assert current_revision(engine) == "0016"
        assert _rows(engine) == ONE_EACH
        with engine.connect() as conn:
            staged = conn.exec_driver_sql(f"SELECT count(*) FROM {inquiry_log.SCHEMA}.inquiries")
            assert staged.scalar() == 1
        upgrade(engine)
        assert _rows(engine) == ONE_EACH
        assert _retired(engine) == set()


def test_the_upgrade_stages_again_what_arrived_since_an_earlier_stage(sqlite_url: str) -> None:
    with _recorded_at(sqlite_url, "0016") as engine:
        stage_inquiry_log(engine, "head")
        _refused_request(engine)
        upgrade(engine)
        assert _rows(engine) == {**ONE_EACH, "inquiry_requests": 2}
        assert _retired(engine) == set()


def test_a_request_the_upgrade_copies_itself_is_kept_with_the_inquiries_it_names(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Recorded between the upgrade's stage and its transaction: copied in the one
    # transaction over both files. Its table is kept in the main file, and so is
    # the inquiries table its older rows name (dropping it alone would break them).
    with _recorded_at(sqlite_url, "0016") as engine:
        stage_inquiry_log(engine, "head")
        _refused_request(engine)
        monkeypatch.setattr(migrate, "stage_inquiry_log", lambda *_: None)
        upgrade(engine)
        assert _rows(engine) == {**ONE_EACH, "inquiry_requests": 2}
        assert _retired(engine) == {"retired_inquiries", "retired_inquiry_requests"}


def test_rows_the_upgrade_copies_itself_are_kept_in_the_main_file_too(sqlite_url: str) -> None:
    # An upgrade from before 0016 runs in one transaction over both files, so a
    # crash between their commits must not lose the rows it copied.
    with _recorded_at(sqlite_url, "0015") as engine:
        upgrade(engine)
        assert _retired(engine) == {"retired_inquiries", "retired_inquiry_requests"}
        assert _rows(engine) == ONE_EACH
        downgrade(engine, "0016")  # the retired copies go; the rows come back once
        assert _retired(engine) == set()
        assert _rows(engine) == ONE_EACH


def test_a_new_store_keeps_no_retired_tables(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        upgrade(engine)
        assert _retired(engine) == set()
    finally:
        engine.dispose()
