"""A deleted item stays out of the credit file through later ledger records of the same
account, until its furnisher certifies it (FCRA 611(a)(5)(B)); the whole batch path.

Ingest -> resolve -> run -> publish, then a dispute about the published account
is answered "delete"; the furnisher's next regular batch reports the account
again, and the next run must still hide it. Only the certified reinsertion
brings it back. On the embedded store (SQLite + DuckDB), with the US profile.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from xinyong import batch_ops, system
from xinyong import disputes as workflow
from xinyong.disputes import steps
from xinyong.domain.disputes import Dispute, ItemKind
from xinyong.policy import get_profile
from xinyong.settings import Settings
from xinyong.store.engine import transaction
from xinyong.store.files_schema import file_account_items
from xinyong.store.schema import disputes

RULE = get_profile("US").dispute


def account(reported: str, balance: int) -> dict[str, Any]:
    return {
        "record_kind": "account",
        "account_number": "4111000011112222",
        "subject_kind": "person",
        "family_name": "Doe",
        "given_names": "Jane",
        "birth_date": "1949-12-31",
        "id_scheme": "cn_ric",
        "id_value": "11010519491231002X",
        "portfolio_type": "R",
        "account_type": "18",
        "ecoa_code": "1",
        "date_opened": "2020-01-15",
        "date_reported": reported,
        "currency": "USD",
        "current_balance": balance,
        "credit_limit": 500000,
        "account_status": "11",
        "payment_history_profile": "000000000000",
    }


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("XINYONG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XINYONG_DB_URL", raising=False)
    monkeypatch.delenv("XINYONG_HASH_KEY", raising=False)
    monkeypatch.setenv("XINYONG_JURISDICTION", "US")
    return Settings()


def furnish(settings: Settings, tmp_path: Path, name: str, record: dict[str, Any]) -> None:
    path = tmp_path / f"{name}.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert system.ingest(settings, path, "us-card").accepted == 1
    system.resolve(settings)


def published(settings: Settings) -> Any:
    """Run the batch pipeline for today, publish it; the account's published item."""
    batch_ops.run_batch(settings, publish=True)
    opened = system.open_system(settings)
    try:
        with opened.engine.connect() as conn:
            return conn.execute(select(file_account_items)).one()
    finally:
        opened.engine.dispose()


def test_a_deleted_item_stays_out_through_newer_records_until_certified(
    settings: Settings, tmp_path: Path
) -> None:
    system.initialise(settings)
    system.register_furnisher(settings, "US Card", "card", "US", org_id="us-card")
    furnish(settings, tmp_path, "october", account("2026-10-31", 120000))
    item = published(settings)
    assert item.shown and item.current_balance_minor == 120000

    now = datetime.now(UTC)
    opened = system.open_system(settings)
    try:
        with transaction(opened.engine) as conn:
            dispute = Dispute(
                dispute_id="d-1",
                subject_id=item.subject_id,
                item_kind=ItemKind.ACCOUNT,
                item_id=item.item_id,
                reason="not my balance",
                opened_at=now,
                due_at=workflow.end_of_day(RULE.due(now.date())),
            )
            conn.execute(
                insert(disputes).values(
                    dispute_id="d-1",
                    subject_id=item.subject_id,
                    item_kind="account",
                    item_id=item.item_id,
                    reason=dispute.reason,
                    status="open",
                    opened_at=now,
                    due_at=dispute.due_at,
                )
            )
            workflow.forward(conn, dispute, "us-card", now, "test")
            row = workflow.load(conn, "d-1", for_update=True)
            workflow.answer(conn, row, workflow.Outcome.DELETE, now, "test", RULE)
    finally:
        opened.engine.dispose()

    # The furnisher's next regular batch reports the same account again.
    furnish(settings, tmp_path, "november", account("2026-11-15", 90000))
    item = published(settings)
    assert item.current_balance_minor == 90000  # the newer record is the item's state...
    assert (item.shown, item.hidden_reason) == (False, "dispute_overdue")  # ...still hidden

    opened = system.open_system(settings)
    try:
        with transaction(opened.engine) as conn:
            row = workflow.load(conn, "d-1", for_update=True)
            steps.certify_reinsertion(
                conn, row, "complete and accurate", datetime.now(UTC), "test", RULE
            )
    finally:
        opened.engine.dispose()
    item = published(settings)
    assert item.shown and item.hidden_reason is None
