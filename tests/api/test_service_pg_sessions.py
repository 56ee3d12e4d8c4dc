"""The service's own PostgreSQL sessions say what they do (``application_name``):
an operator's ``pg_stat_activity`` and the service benchmark's CPU split tell the
workers' readers from their recorders."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from api_testkit import RIC_1, World

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import service as bench  # benchmarks/service.py

from xinyong.api import raw_reads, recorder
from xinyong.store import dbapi


@pytest.fixture
def jurisdiction() -> str:
    return "US"


def test_the_readers_and_the_recorder_are_named(world: World, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("application_name is PostgreSQL's")
    payload = {"identifier": {"scheme": "cn_ric", "value": RIC_1}, "purpose": "credit_application"}
    r = world.client.post("/v1/inquirer/inquiries", json=payload, headers=world.auth("inquirer"))
    assert r.status_code == 200, r.text
    with world.engine.connect() as conn:
        names = {
            n
            for (n,) in conn.exec_driver_sql(
                "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
            )
        }
    assert {raw_reads.APPLICATION_NAME, recorder.APPLICATION_NAME} <= names


def test_naming_a_transactional_connection_leaves_no_transaction_open(
    world: World, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("application_name is PostgreSQL's")
    conn = dbapi.detached_connection(world.engine, autocommit=False, name="xinyong-test")
    try:
        assert conn.info.transaction_status == 0  # IDLE: the setting was committed
        assert conn.execute("SHOW application_name").fetchone()[0] == "xinyong-test"
    finally:
        conn.close()


def test_the_benchmarks_split_counts_each_process_once_by_its_role() -> None:
    before = {10: 1.0, 11: 2.0, 12: 5.0}
    after = {10: 1.5, 11: 2.25, 12: 5.5, 13: 0.75}  # 13 started meanwhile
    split = bench.postgres_split(before, after, {10: "read", 13: "read", 11: "record"})
    assert split == {"read": 1.25, "record": 0.25, "other": 0.5}
