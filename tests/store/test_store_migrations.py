"""The migrations, not ``create_all``, build the store, and they build exactly the schema."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine, inspect

from store_testkit import schema_diffs, store_layout
from xinyong.store import inquiry_log, schema
from xinyong.store.engine import make_engine
from xinyong.store.migrate import current_revision, downgrade, head_revision, upgrade
from xinyong.store.repositories import get_meta


def _diffs(engine: Engine, metadata: sa.MetaData) -> list[Any]:
    return schema_diffs(engine, metadata)


def test_migrated_store_matches_schema_metadata(engine: Engine) -> None:
    assert _diffs(engine, schema.metadata) == []


def test_comparison_would_notice_a_drift(engine: Engine) -> None:
    # Guards the test above: an empty diff must mean "equal", not "not compared".
    drifted = sa.MetaData(naming_convention=schema.metadata.naming_convention)
    for table in schema.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["accounts"].append_column(sa.Column("extra", sa.Integer))
    drifted.tables["scores"].c.score.type = sa.String(3)
    drifted.tables["inquiries"].append_column(sa.Column("extra", sa.Integer))
    diffs = _diffs(engine, drifted)
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in diffs}
    assert kinds == {"add_column", "modify_type"}
    added = {d[3].table.name for d in diffs if isinstance(d, tuple) and d[0] == "add_column"}
    assert added == {"accounts", "inquiries"}


def test_constraints_the_comparator_ignores_match_too(engine: Engine) -> None:
    """Alembic does not compare CHECK constraints or FK ``ondelete``; compare them here."""
    insp = inspect(engine)
    layout = store_layout(schema.metadata, engine)
    stored = {(s, t) for s in (None, inquiry_log.SCHEMA) for t in _tables(insp, s)}
    assert stored == {(t.schema, t.name) for t in layout.sorted_tables} | {
        (None, "alembic_version")
    }
    for table in layout.sorted_tables:
        checks = {c["name"] for c in insp.get_check_constraints(table.name, schema=table.schema)}
        expected_checks = {
            c.name for c in table.constraints if isinstance(c, sa.CheckConstraint) and c.name
        }
        assert checks == expected_checks, table.name

        fks = {
            (tuple(fk["constrained_columns"]), fk["referred_table"], fk["options"].get("ondelete"))
            for fk in insp.get_foreign_keys(table.name, schema=table.schema)
        }
        expected_fks = {
            (
                tuple(c.name for c in fk.columns),
                fk.referred_table.name,
                fk.ondelete,
            )
            for fk in table.foreign_key_constraints
        }
        assert fks == expected_fks, table.name


def _tables(insp: sa.Inspector, schema_name: str | None) -> list[str]:
    if schema_name is not None and schema_name not in insp.get_schema_names():
        return []
    return insp.get_table_names(schema=schema_name)


def test_revision_is_none_before_and_head_after(store_url: str) -> None:
    assert current_revision(store_url) is None
    upgrade(store_url)
    assert current_revision(store_url) == head_revision() == "0018"


def test_upgrade_is_idempotent_and_records_creation_time(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            created = get_meta(conn, "created_at")
        upgrade(engine)
        with engine.connect() as conn:
            assert get_meta(conn, "created_at") == created
        assert created is not None and created.endswith("+00:00")
    finally:
        engine.dispose()


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        assert current_revision(engine) is None
        upgrade(engine)
        assert _diffs(engine, schema.metadata) == []
    finally:
        engine.dispose()


def test_schema_declares_the_indexes_lookups_depend_on() -> None:
    def indexed(table: sa.Table, *columns: str) -> bool:
        return any(tuple(c.name for c in ix.columns) == columns for ix in table.indexes)

    assert indexed(schema.subject_identifiers, "scheme", "value_hash", "subject_id")
    assert indexed(schema.accounts, "subject_id")
    assert indexed(schema.inquiries, "subject_id", "at")
    # One event per chain position; no index by hash (0016: test_store_recorder_indexes).
    assert [c.name for c in schema.audit_events.primary_key] == ["seq"]


def test_no_column_could_hold_an_identifier_in_clear_or_a_forbidden_attribute() -> None:
    identifier_columns = {c.name for c in schema.subject_identifiers.columns}
    assert "value" not in identifier_columns
    assert {"value_hash", "value_masked"} <= identifier_columns
    forbidden = ("sex", "gender", "religion", "ethnic", "health", "biometric", "political")
    for table in schema.metadata.sorted_tables:
        for column in table.columns:
            assert not any(word in column.name for word in forbidden), (table.name, column.name)


def test_money_columns_are_bigint_minor_units_beside_a_currency() -> None:
    for table in schema.metadata.sorted_tables:
        money = [c for c in table.columns if c.name.endswith("_minor")]
        if money:
            assert "currency" in table.c, table.name
            assert (
                isinstance(table.c.currency.type, sa.String) and table.c.currency.type.length == 3
            )
        for column in money:
            assert isinstance(column.type, sa.BigInteger), (table.name, column.name)
