"""A furnisher's correction must be a new record of the disputed item itself.

A correction is ingested as a new ledger record that supersedes the disputed
one by the item's own key: the keyed hash of the furnisher and the account
number (``account_key``), or the furnisher's ``record_ref`` of a public
record. A record with another key would not supersede the disputed item but
add or overwrite another one, and a record from another furnisher would be
filed under that furnisher: both are refused before anything is ingested.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xinyong.disputes.items import ItemRef
from xinyong.disputes.workflow import DisputeRefused
from xinyong.identifiers import keyed_hash
from xinyong.ingest.canonical_rules import check_fields

__all__ = ["KEY_FIELDS", "check_correction"]

KEY_FIELDS = {"account": "account_number", "public_record": "record_ref"}
"""The field of a canonical record that names its item, by record kind."""


def check_correction(
    ref: ItemRef | None,
    kind: str,
    record: Mapping[str, Any],
    furnisher_id: str,
    hash_key: bytes,
) -> None:
    """Refuse (:class:`DisputeRefused`) a corrected ``record`` that is not a record of the
    disputed item ``ref`` from the item's own furnisher ``furnisher_id``.

    Codes: ``correction_furnisher`` (another furnisher's item),
    ``correction_other_item`` (the record names another account or public
    record), ``correction_key_unknown`` (the item's key is not on record, so no
    correction can be matched to it). A missing or malformed key field is left
    to the ingest, which rejects the record naming its rule.
    """
    field = KEY_FIELDS[kind]
    if ref is None:
        raise DisputeRefused(
            "correction_key_unknown",
            f"record.{field}: rule same_item: the disputed item is no longer on file",
        )
    if ref.furnisher_id != furnisher_id:
        raise DisputeRefused(
            "correction_furnisher",
            "furnisher_id: rule own_furnisher: the disputed item was furnished by another "
            "furnisher; only its own furnisher can correct it",
        )
    value = check_fields(kind, record)[0].get(field)
    if value is None:
        return
    if ref.key is None:
        raise DisputeRefused(
            "correction_key_unknown",
            f"record.{field}: rule same_item: the disputed item's own {field} is not on record, "
            "so no correction can be matched to it",
        )
    key = keyed_hash(hash_key, "account", furnisher_id, str(value)) if kind == "account" else value
    if key != ref.key:
        raise DisputeRefused(
            "correction_other_item",
            f"record.{field}: rule same_item: the corrected record names another "
            f"{kind.replace('_', ' ')} than the disputed one",
        )
