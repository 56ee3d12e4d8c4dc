"""Publishing a run: bulk-loaded, replaced atomically, a failed load changes nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from api_testkit import World
from reports_testkit import publish_world, world_run
from sqlalchemy import Engine, func, select

from xinyong import publish
from xinyong.publish import PublishError, current_run, publish_run
from xinyong.store.files_schema import (
    file_account_items,
    file_payment_history,
    file_public_record_items,
    file_runs,
)


def _items(engine: Engine) -> dict[str, dict[str, object]]:
    with engine.connect() as conn:
        return {
            r.item_id: r._asdict()
            for r in conn.execute(select(file_account_items).order_by(file_account_items.c.item_id))
        }


def test_publish_loads_the_run_with_stable_item_ids(world: World, tmp_path: Path) -> None:
    w = world
    run = publish_world(w.engine, w, tmp_path)
    assert (run.run_id, run.subjects, run.account_items, run.public_record_items) == (
        "run-1",
        2,
        3,
        1,
    )
    items = _items(w.engine)
    expected = "A" + hashlib.md5(b"bank-a|CARD-1|0").hexdigest()
    card = items[expected]
    assert card["subject_id"] == w.subject1 and card["shown"] is True
    assert card["current_balance_minor"] == 123400
    old = next(i for i in items.values() if i["account_key"] == "CARD-OLD")
    assert old["shown"] is False and old["hidden_reason"] in ("deleted", None)
    with w.engine.connect() as conn:
        history = conn.execute(
            select(file_payment_history).where(file_payment_history.c.item_id == expected)
        ).one()
        assert current_run(conn) == run
        record = conn.execute(select(file_public_record_items)).one()
    # Oldest month first; the late month (profile position 3) is 4 months before the report month.
    assert history.statuses.endswith("10000") and set(history.shown_mask) == {"1"}
    assert len(history.statuses) == len(history.shown_mask)
    assert record.item_id == "P" + hashlib.md5(b"bank-a|J-1").hexdigest()
    assert record.authority == "Court <of> Beijing & Co" and record.shown


def test_a_new_run_replaces_the_publication(world: World, tmp_path: Path) -> None:
    w = world
    publish_world(w.engine, w, tmp_path, "run-1")
    publish_world(w.engine, w, tmp_path, "run-2", balance=777)
    with w.engine.connect() as conn:
        runs = {r.run_id: r.current for r in conn.execute(select(file_runs))}
        assert runs == {"run-1": False, "run-2": True}
        assert conn.execute(select(func.count()).select_from(file_account_items)).scalar() == 3
    balances = {i["account_key"]: i["current_balance_minor"] for i in _items(w.engine).values()}
    assert balances["CARD-1"] == 777
    # The current run again: nothing to do; an earlier one: a rollback to it.
    assert publish_run(w.engine, tmp_path / "runs" / "run-2").run_id == "run-2"
    publish_run(w.engine, tmp_path / "runs" / "run-1")
    with w.engine.connect() as conn:
        runs = {r.run_id: r.current for r in conn.execute(select(file_runs))}
    assert runs == {"run-1": True, "run-2": False}
    balances = {i["account_key"]: i["current_balance_minor"] for i in _items(w.engine).values()}
    assert balances["CARD-1"] == 123400


def test_a_failing_load_leaves_the_previous_publication(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    publish_world(w.engine, w, tmp_path, "run-1")
    before = _items(w.engine)
    real = publish.bulk_insert

    def failing(conn: Any, table: Any, columns: Any, chunks: Any) -> int:
        # The account items are already replaced inside the transaction by now.
        if table.name == "file_public_record_items":
            raise OSError("disk full")
        return real(conn, table, columns, chunks)

    monkeypatch.setattr(publish, "bulk_insert", failing)
    with pytest.raises(OSError, match="disk full"):
        publish_run(w.engine, world_run(w, tmp_path / "scratch", "run-2", balance=1))
    assert _items(w.engine) == before
    with w.engine.connect() as conn:
        assert current_run(conn).run_id == "run-1"  # type: ignore[union-attr]
        assert conn.execute(select(func.count()).select_from(file_runs)).scalar() == 1


def test_bad_runs_are_refused_naming_file_and_rule(world: World, tmp_path: Path) -> None:
    w = world
    publish_world(w.engine, w, tmp_path, "run-1")
    run_dir = tmp_path / "runs" / "run-1"
    with pytest.raises(PublishError, match=r"manifest.json is missing"):
        publish_run(w.engine, tmp_path)
    table = pq.read_table(run_dir / "file_accounts.parquet").drop_columns(["account_status"])
    bad = tmp_path / "runs" / "bad"
    bad.mkdir()
    for p in run_dir.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    manifest = (run_dir / "manifest.json").read_text().replace('"run-1"', '"bad"')
    (bad / "manifest.json").write_text(manifest)
    pq.write_table(table, bad / "file_accounts.parquet")
    with pytest.raises(
        PublishError, match=r"file_accounts.parquet: column\(s\) \['account_status'\]"
    ):
        publish_run(w.engine, bad)
    (bad / "file_accounts.parquet").write_bytes((run_dir / "file_accounts.parquet").read_bytes())
    records = pq.read_table(run_dir / "file_public_records.parquet")
    idx = records.schema.get_field_index("authority")
    nulls = pa.nulls(records.num_rows, pa.string())
    pq.write_table(records.set_column(idx, "authority", nulls), bad / "file_public_records.parquet")
    with pytest.raises(PublishError, match=r"item 'P[0-9a-f]{32}' has no authority"):
        publish_run(w.engine, bad)
