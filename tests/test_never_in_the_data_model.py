"""DESIGN.md's promise, checked: no store column and no ledger column for forbidden data."""

from __future__ import annotations

from xinyong.domain.forbidden import forbidden_field_names
from xinyong.ingest.canonical_schema import kind_schema
from xinyong.ingest.ledger_tables import TABLE_SCHEMAS
from xinyong.store.schema import metadata


def test_no_store_column_names_a_forbidden_category() -> None:
    names = [f"{t.name}.{c.name}" for t in metadata.tables.values() for c in t.columns]
    assert forbidden_field_names([n.split(".", 1)[1] for n in names]) == []
    assert forbidden_field_names(list(metadata.tables)) == []


def test_no_ledger_or_furnisher_field_names_a_forbidden_category() -> None:
    ledger = [name for schema in TABLE_SCHEMAS.values() for name in schema.names]
    furnished = [*kind_schema("account").fields, *kind_schema("public_record").fields]
    assert forbidden_field_names(ledger) == []
    assert forbidden_field_names(furnished) == []


def test_the_scanner_would_catch_one() -> None:
    assert forbidden_field_names(["religion", "ethnic_group", "spouse_name", "gps_trail"])
