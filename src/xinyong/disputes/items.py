"""Where a disputed item lives: its subject, its furnisher, its provenance and its key.

A dispute names an item by the id the subject saw in its report: a published
file item (``file_*_items.item_id``, stable per furnisher slot) or, before any
publication, a serving-store row (``accounts``, ``public_records``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from xinyong.domain.disputes import ItemKind
from xinyong.store.files_schema import file_account_items, file_public_record_items
from xinyong.store.schema import accounts, public_records

__all__ = ["ItemRef", "find_item", "item_furnisher"]


@dataclass(frozen=True, slots=True)
class ItemRef:
    """Where a furnished item lives: its subject, its furnisher, its ledger provenance,
    and its own key in the furnisher's records: the keyed hash of the account number
    (``account_key``) or the public record's ``record_ref``; None where not on record."""

    subject_id: str
    furnisher_id: str
    batch_id: str | None
    record_no: int | None
    key: str | None = None


def _sources(kind: ItemKind) -> tuple[tuple[Any, Any, Any], ...]:
    """(table, id column, key column) to look an item up in, the published file first."""
    if kind is ItemKind.ACCOUNT:
        return (
            (file_account_items, file_account_items.c.item_id, file_account_items.c.account_key),
            (accounts, accounts.c.account_id, accounts.c.account_number_hash),
        )
    if kind is ItemKind.PUBLIC_RECORD:
        return (
            (
                file_public_record_items,
                file_public_record_items.c.item_id,
                file_public_record_items.c.record_ref,
            ),
            # The store's rows do not keep the furnisher's reference.
            (public_records, public_records.c.record_id, None),
        )
    return ()


def find_item(conn: Connection, kind: ItemKind | str, item_id: str | None) -> ItemRef | None:
    """The account or public record ``item_id``: a published file item (``file_*_items``,
    the report's ids) or a serving-store row (``accounts``, ``public_records``); else None."""
    if item_id is None:
        return None
    for table, id_column, key_column in _sources(ItemKind(kind)):
        columns = [table.c.subject_id, table.c.furnisher_id, table.c.batch_id, table.c.record_no]
        if key_column is not None:
            columns.append(key_column.label("key"))
        found = conn.execute(select(*columns).where(id_column == item_id).limit(1)).first()
        if found is not None and found.subject_id is not None:
            key = found.key if key_column is not None else None
            return ItemRef(
                found.subject_id, found.furnisher_id, found.batch_id, found.record_no, key
            )
    return None


def item_furnisher(conn: Connection, kind: ItemKind, item_id: str | None) -> str | None:
    """Who furnished the item (and must answer a dispute about it); None for the rest."""
    ref = find_item(conn, kind, item_id)
    return None if ref is None else ref.furnisher_id
