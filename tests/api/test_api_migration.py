"""Migration 0003 creates exactly the service tables and can be backed out."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from store_testkit import schema_diffs, table_names
from xinyong.store import schema, service_schema
from xinyong.store.migrate import current_revision, downgrade, head_revision, upgrade

SERVICE_TABLES = {
    "api_keys",
    "inquirer_purposes",
    "subject_codes",
    "subject_sessions",
    "inquiry_requests",
}


def test_0003_matches_service_schema_and_downgrades(engine: Engine) -> None:
    assert set(schema.metadata.tables) >= SERVICE_TABLES
    assert service_schema.api_keys.metadata is schema.metadata
    assert schema_diffs(engine) == []
    assert current_revision(engine) == head_revision()
    downgrade(engine, "0002")
    assert SERVICE_TABLES.isdisjoint(table_names(engine))
    upgrade(engine)
    assert table_names(engine) >= SERVICE_TABLES


def test_0004_adds_dispute_columns_and_rescore_queue_and_downgrades(engine: Engine) -> None:
    columns = {c["name"] for c in inspect(engine).get_columns("disputes")}
    assert {"furnisher_id", "forwarded_at", "correction_batch_id"} <= columns
    downgrade(engine, "0003")
    assert "rescore_requests" not in inspect(engine).get_table_names()
    columns = {c["name"] for c in inspect(engine).get_columns("disputes")}
    assert "furnisher_id" not in columns
    upgrade(engine)
    assert "rescore_requests" in inspect(engine).get_table_names()
    assert schema_diffs(engine) == []
