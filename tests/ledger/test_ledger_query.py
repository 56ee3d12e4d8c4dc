"""DuckDB views over the ledger, and supersession without deletion."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from ledger_testkit import FURNISHER, submit

from xinyong.ledger import (
    Ledger,
    TableMissingError,
    connect,
    content_hash,
    create_current_view,
    current,
)
from xinyong.ledger.query import view_sql


def balances(con: object, sql: str) -> dict[str, int]:
    rows = con.execute(  # type: ignore[attr-defined]
        f"SELECT account_id, current_balance_minor FROM ({sql}) AS q"
    ).fetchall()
    return dict(rows)


def test_current_returns_latest_record_per_key_and_keeps_the_rest(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    first = submit(ledger, b"jan", [("A1", 100), ("A2", 200), ("A3", 300)])
    # Within one batch, the later record (higher record_no) for A2 wins.
    second = submit(ledger, b"feb", [("A1", 50), ("A2", 180), ("A2", 170)])

    con = connect(ledger, require=["accounts"])
    assert con.execute("SELECT count(*) FROM accounts").fetchone() == (6,)
    latest = balances(con, current("accounts", ["account_id"]))
    assert latest == {"A1": 50, "A2": 170, "A3": 300}

    view = create_current_view(con, "accounts", ["account_id"])
    assert view == "accounts_current"
    rows = con.execute(
        "SELECT account_id, batch_id, record_no FROM accounts_current ORDER BY account_id"
    ).fetchall()
    assert rows == [
        ("A1", second.batch_id, 1),
        ("A2", second.batch_id, 3),
        ("A3", first.batch_id, 3),
    ]
    columns = [d[0] for d in con.execute("SELECT * FROM accounts_current").description]
    assert columns == [d[0] for d in con.execute("SELECT * FROM accounts").description]
    # Superseded records are still there, in the ledger and in the view.
    assert con.execute("SELECT count(*) FROM accounts").fetchone() == (6,)
    assert len(ledger.paths("accounts")) == 2


def test_snapshot_connection_sees_only_its_batches(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    submit(ledger, b"jan", [("A1", 100)])
    snapshot = ledger.snapshot_id()
    submit(ledger, b"feb", [("A1", 50)], public=["P1"])

    then = connect(ledger, snapshot_id=snapshot)
    assert balances(then, current("accounts", ["account_id"])) == {"A1": 100}
    now = connect(ledger)
    assert balances(now, current("accounts", ["account_id"])) == {"A1": 50}
    assert now.execute("SELECT count(*) FROM public_records").fetchone() == (1,)
    with pytest.raises(TableMissingError, match="public_records"):
        connect(ledger, snapshot_id=snapshot, require=["public_records"])


def test_empty_ledger_gives_a_clear_error(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "nothing-here")
    with pytest.raises(TableMissingError, match=r"no Parquet files for table\(s\) \['accounts'\]"):
        connect(ledger, require=["accounts"])
    con = connect(ledger)
    with pytest.raises(TableMissingError, match="accounts"):
        create_current_view(con, "accounts", ["account_id"])
    with pytest.raises(TableMissingError):
        view_sql("accounts", [])


def test_schema_may_grow_between_batches(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    submit(ledger, b"old", [("A1", 100)])
    grown = pa.table(
        {"account_id": ["A2"], "current_balance_minor": [5], "special_comment": ["AU"]}
    )
    ledger.write_batch(FURNISHER, content_hash(b"new"), "jsonl", {"accounts": grown}, {})
    con = connect(ledger)
    rows = con.execute(
        "SELECT account_id, currency, special_comment FROM accounts ORDER BY account_id"
    ).fetchall()
    assert rows == [("A1", "CNY", None), ("A2", None, "AU")]


def test_current_sql_is_plain_portable_text() -> None:
    sql = current("accounts", ["furnisher_id", "account_id"], columns=["account_id"])
    assert sql == (
        'SELECT "account_id" FROM (SELECT *, ROW_NUMBER() OVER '
        '(PARTITION BY "furnisher_id", "account_id" '
        'ORDER BY "batch_id" DESC NULLS LAST, "record_no" DESC NULLS LAST) '
        'AS supersession_rank FROM "accounts") AS ranked WHERE supersession_rank = 1'
    )
    with pytest.raises(ValueError, match="identifier"):
        current("accounts", ['account_id"; DROP TABLE x; --'])
    with pytest.raises(ValueError, match="key column"):
        current("accounts", [])


def test_paths_with_quotes_are_escaped(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "o'brien")
    submit(ledger, b"q", [("A1", 1)])
    con = connect(ledger)
    assert con.execute("SELECT count(*) FROM accounts").fetchone() == (1,)
