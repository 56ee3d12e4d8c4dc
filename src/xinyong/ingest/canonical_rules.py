"""Validation of canonical account and public records, and their ledger rows.

Field checks come from the published JSON Schemas (:mod:`canonical_schema`);
the rules here are the ones a schema cannot state: dates in order, a payment
rating exactly where the status needs one, a date of first delinquency where
FCRA 623(a)(5) needs it, a public record kind that fits the subject. The code
lists' meanings live in :mod:`xinyong.domain`, so Metro 2 and the canonical
format apply one rule book.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from xinyong.domain.account_codes import AccountStatus, PaymentRating
from xinyong.domain.public_records import PublicRecordKind
from xinyong.domain.subjects import SubjectKind
from xinyong.identifiers import keyed_hash
from xinyong.identifiers.base import mask_compact
from xinyong.ingest.canonical_schema import kind_schema, missing_required
from xinyong.ingest.identity import identity_columns
from xinyong.ingest.ledger_tables import KIND_TABLE
from xinyong.ingest.records import RawRecord, Violation

ACCOUNT_AMOUNTS: Final = (
    "credit_limit",
    "highest_credit",
    "current_balance",
    "amount_past_due",
    "scheduled_payment",
    "actual_payment",
    "charge_off_amount",
)
ACCOUNT_FIELDS: Final = (
    "portfolio_type",
    "account_type",
    "ecoa_code",
    "date_opened",
    "date_closed",
    "date_reported",
    "currency",
    "account_status",
    "payment_rating",
    "payment_history_profile",
    "first_delinquency_date",
    "last_payment_date",
    "special_comment",
    "compliance_condition",
)
PUBLIC_RECORD_FIELDS: Final = (
    "record_ref",
    "kind",
    "authority",
    "document_number",
    "event_date",
    "filed_date",
    "currency",
    "status",
    "removed_date",
    "expires_on",
    "description",
)


@dataclass(slots=True)
class Checked:
    """The outcome of validating one record: a ledger row, or violations."""

    table: str
    row: dict[str, Any] | None
    violations: list[Violation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    associated: list[dict[str, Any]] = field(default_factory=list)
    """Further rows of the same record: associated consumers on an account."""


def check_fields(kind: str, fields: Mapping[str, Any]) -> tuple[dict[str, Any], list[Violation]]:
    """Schema checks of every field: coerced values and all violations."""
    schema = kind_schema(kind)
    values: dict[str, Any] = {}
    problems: list[Violation] = []
    for name in fields:
        if name not in schema.checks:
            problems.append(
                Violation(name, "unknown_field", f"{name} is not a field of {kind} records")
            )
    for name, check in schema.checks.items():
        if name in schema.present_required and name not in fields:
            problems.append(missing_required(name))
        value, found = check(fields.get(name))
        values[name] = value
        problems.extend(found)
    return values, problems


def _not_after(values: Mapping[str, Any], earlier: str, later: str) -> list[Violation]:
    a, b = values.get(earlier), values.get(later)
    if isinstance(a, date) and isinstance(b, date) and a > b:
        return [Violation(earlier, "date_order", f"{earlier} {a} is after {later} {b}")]
    return []


def account_rules(values: Mapping[str, Any]) -> list[Violation]:
    """Cross-field rules of an account state (Metro 2 semantics)."""
    problems = [
        *_not_after(values, "date_opened", "date_reported"),
        *_not_after(values, "first_delinquency_date", "date_reported"),
        *_not_after(values, "date_opened", "date_closed"),
        *_not_after(values, "date_closed", "date_reported"),
        *_not_after(values, "last_payment_date", "date_reported"),
        *_not_after(values, "birth_date", "date_reported"),
    ]
    code = values.get("account_status")
    if isinstance(code, str) and code in AccountStatus._value2member_map_:
        status = AccountStatus(code)
        rating = values.get("payment_rating")
        if status.needs_payment_rating and rating is None:
            problems.append(
                Violation(
                    "payment_rating",
                    "payment_rating_required",
                    f"status {code} needs a payment rating",
                )
            )
        if not status.needs_payment_rating and rating is not None:
            problems.append(
                Violation(
                    "payment_rating",
                    "payment_rating_forbidden",
                    f"status {code} takes no payment rating",
                )
            )
        valid_rating = (
            PaymentRating(rating)
            if isinstance(rating, str) and rating in PaymentRating._value2member_map_
            else None
        )
        if (
            status.needs_first_delinquency_date(valid_rating)
            and values.get("first_delinquency_date") is None
        ):
            problems.append(
                Violation(
                    "first_delinquency_date",
                    "dofd_required",
                    f"status {code} needs the date of first delinquency (FCRA 623(a)(5))",
                )
            )
    return problems


def public_record_rules(values: Mapping[str, Any]) -> list[Violation]:
    """Cross-field rules of a public record."""
    problems = [
        *_not_after(values, "event_date", "removed_date"),
        *_not_after(values, "event_date", "expires_on"),
    ]
    kind, subject = values.get("kind"), values.get("subject_kind")
    if (
        isinstance(kind, str)
        and isinstance(subject, str)
        and kind in PublicRecordKind._value2member_map_
        and subject in SubjectKind._value2member_map_
        and not PublicRecordKind(kind).applies_to(SubjectKind(subject))
    ):
        problems.append(Violation("kind", "subject_kind", f"{kind} does not apply to a {subject}"))
    if values.get("status") in ("removed", "satisfied") and values.get("removed_date") is None:
        problems.append(
            Violation(
                "removed_date", "required", f"status {values.get('status')} needs removed_date"
            )
        )
    if values.get("amount") is not None and values.get("currency") is None:
        problems.append(Violation("currency", "required", "an amount needs its currency"))
    return problems


def check_record(record: RawRecord, furnisher_id: str, hash_key: bytes) -> Checked:
    """Validate a canonical record and build its ledger row (or collect why not)."""
    values, problems = check_fields(record.kind, record.fields)
    problems = [*record.violations, *problems]
    if record.kind == "account":
        problems += account_rules(values)
    else:
        problems += public_record_rules(values)
    return build_row(record, values, problems, furnisher_id, hash_key)


def build_row(
    record: RawRecord,
    values: Mapping[str, Any],
    problems: list[Violation],
    furnisher_id: str,
    hash_key: bytes,
) -> Checked:
    """Check the subject's identity and build the ledger row from canonical values.

    Every format ends here, so that the ledger row of a Metro 2 record and of
    a CSV record are built by the same code.
    """
    table = KIND_TABLE[record.kind]
    identity, id_problems, warnings = identity_columns(values, hash_key)
    problems = [*problems, *id_problems]
    if problems:
        return Checked(table, None, problems, warnings)
    row: dict[str, Any] = {"record_no": record.record_no, "location": record.location, **identity}
    row["warnings"] = "; ".join(warnings) or None
    if record.kind == "account":
        number = str(values["account_number"])
        row["account_key"] = keyed_hash(hash_key, "account", furnisher_id, number)
        row["account_number_masked"] = mask_compact(number)
        row["consumer_no"] = 0
        for name in ACCOUNT_FIELDS:
            row[name] = values.get(name)
        for name in ACCOUNT_AMOUNTS:
            row[f"{name}_minor"] = values.get(name)
    else:
        for name in PUBLIC_RECORD_FIELDS:
            row[name] = values.get(name)
        row["amount_minor"] = values.get("amount")
    return Checked(table, row, [], warnings)
