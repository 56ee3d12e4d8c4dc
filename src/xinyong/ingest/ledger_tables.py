"""The normalised shape of furnished records in the ledger, whatever their format.

Metro 2, CSV, JSON Lines and Parquet all land in the same two tables, so that
every later step (resolution, files, attributes, scores, on DuckDB or Spark)
reads one schema. Identifiers and account numbers are stored only as keyed
hashes plus a masked form: the hash serves matching, the mask serves a person
reading a report, and the clear value is never needed after ingest.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

_SUBJECT_FIELDS: Final[list[tuple[str, pa.DataType]]] = [
    ("location", pa.string()),
    ("subject_kind", pa.string()),
    ("family_name", pa.string()),
    ("given_names", pa.string()),
    ("full_name", pa.string()),
    ("legal_name", pa.string()),
    ("birth_date", pa.date32()),
    ("registration_date", pa.date32()),
    ("id_scheme", pa.string()),
    ("id_country", pa.string()),
    ("id_hash", pa.string()),
    ("id_masked", pa.string()),
    ("address_line1", pa.string()),
    ("address_line2", pa.string()),
    ("city", pa.string()),
    ("region", pa.string()),
    ("postal_code", pa.string()),
    ("country", pa.string()),
    ("phone", pa.string()),
    ("warnings", pa.string()),
]

ACCOUNTS_SCHEMA: Final = pa.schema(
    [
        ("record_no", pa.int64()),
        *_SUBJECT_FIELDS,
        ("account_key", pa.string()),
        ("consumer_no", pa.int32()),
        ("account_number_masked", pa.string()),
        ("portfolio_type", pa.string()),
        ("account_type", pa.string()),
        ("ecoa_code", pa.string()),
        ("date_opened", pa.date32()),
        ("date_closed", pa.date32()),
        ("date_reported", pa.date32()),
        ("currency", pa.string()),
        ("credit_limit_minor", pa.int64()),
        ("highest_credit_minor", pa.int64()),
        ("current_balance_minor", pa.int64()),
        ("amount_past_due_minor", pa.int64()),
        ("scheduled_payment_minor", pa.int64()),
        ("actual_payment_minor", pa.int64()),
        ("charge_off_amount_minor", pa.int64()),
        ("account_status", pa.string()),
        ("payment_rating", pa.string()),
        ("payment_history_profile", pa.string()),
        ("first_delinquency_date", pa.date32()),
        ("last_payment_date", pa.date32()),
        ("special_comment", pa.string()),
        ("compliance_condition", pa.string()),
    ]
)
"""One row per furnished account state and consumer on it. ``account_key`` is
the keyed hash of (furnisher, account number); ``consumer_no`` is 0 for the
primary consumer and 1, 2, ... for associated consumers (Metro 2 J1/J2
segments), each with their own identity and ECOA role. With ``date_reported``
they form the supersession key."""

PUBLIC_RECORDS_SCHEMA: Final = pa.schema(
    [
        ("record_no", pa.int64()),
        *_SUBJECT_FIELDS,
        ("record_ref", pa.string()),
        ("kind", pa.string()),
        ("authority", pa.string()),
        ("document_number", pa.string()),
        ("event_date", pa.date32()),
        ("filed_date", pa.date32()),
        ("currency", pa.string()),
        ("amount_minor", pa.int64()),
        ("status", pa.string()),
        ("removed_date", pa.date32()),
        ("expires_on", pa.date32()),
        ("description", pa.string()),
    ]
)
"""One row per furnished public record; ``record_ref`` is the furnisher's own
reference and, with the furnisher, the supersession key."""

TABLE_SCHEMAS: Final[dict[str, pa.Schema]] = {
    "accounts": ACCOUNTS_SCHEMA,
    "public_records": PUBLIC_RECORDS_SCHEMA,
}

SUPERSESSION_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "accounts": ("furnisher_id", "account_key", "consumer_no", "date_reported"),
    "public_records": ("furnisher_id", "record_ref"),
}

KIND_TABLE: Final[dict[str, str]] = {"account": "accounts", "public_record": "public_records"}


def to_table(table: str, rows: list[dict[str, object]]) -> pa.Table:
    """Rows (dicts with the schema's names) as an Arrow table of the fixed schema."""
    schema = TABLE_SCHEMAS[table]
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    return pa.table(columns, schema=schema)
