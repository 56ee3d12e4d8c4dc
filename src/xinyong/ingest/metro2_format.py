"""Metro 2 files through the common pipeline: read, validate, map to ledger rows.

The :mod:`xinyong.ingest.metro2` package knows the format (layouts, codes,
rules, trailer); this module only maps a base segment onto the canonical
account fields, so that a Metro 2 record and a CSV record become the same kind
of ledger row by the same code (:func:`~xinyong.ingest.canonical_rules.build_row`).
Metro 2 amounts are whole dollars; the ledger holds minor units, so they are
multiplied by 100 and the currency is USD.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from xinyong.ingest import metro2
from xinyong.ingest.canonical_rules import Checked, build_row
from xinyong.ingest.records import FileRejected, RawRecord, Violation

if TYPE_CHECKING:
    from xinyong.ingest.pipeline import FormatModule

CENTS_PER_DOLLAR: Final = 100

_AMOUNTS: Final = {
    "credit_limit": "credit_limit",
    "highest_credit": "highest_credit",
    "current_balance": "current_balance",
    "amount_past_due": "amount_past_due",
    "scheduled_payment": "scheduled_monthly_payment_amount",
    "actual_payment": "actual_payment_amount",
    "charge_off_amount": "original_charge_off_amount",
}
_DATES: Final = {
    "date_opened": "date_opened",
    "date_closed": "date_closed",
    "date_reported": "date_account_information",
    "first_delinquency_date": "date_first_delinquency",
    "last_payment_date": "date_last_payment",
    "birth_date": "date_birth",
}


def _sniffer(name: str) -> Any:
    def sniff(data: bytes) -> bool:
        found = metro2.detect(data)
        return found is not None and found.format == name

    return sniff


def read(data: bytes | Path) -> Iterator[RawRecord]:
    """The file's records, read a window at a time, so that any size goes through.

    A structural fault, or a trailer that does not add up, refuses the file:
    known only at its end, so :class:`FileRejected` is raised after the last
    record. The pipeline writes records into a ledger batch that appears only
    once they are all through and is discarded on that exception.
    """
    stream = metro2.Metro2Stream(data)
    try:
        for record in stream.records():
            yield RawRecord(
                record.record_no,
                f"offset {record.offset}",
                raw_text(record.raw),
                {},
                "account",
                source=record,
            )
    except metro2.Metro2FileError as exc:
        raise FileRejected(str(exc), rule="structure") from exc
    mismatches = stream.trailer_mismatches()
    if mismatches:
        raise FileRejected(
            "trailer totals do not match the records: " + "; ".join(mismatches), rule="trailer"
        )


def raw_text(raw: bytes) -> str:
    """A record's bytes as text for the reject report.

    Character records are printable ASCII and shown as they are; packed
    records hold binary numbers (and NUL bytes, which PostgreSQL text refuses),
    so they are shown as ``hex:`` followed by their bytes in hexadecimal.
    """
    if raw.isascii() and all(32 <= b < 127 for b in raw):
        return raw.decode("ascii")
    return "hex:" + raw.hex()


def canonical_values(base: metro2.Segment) -> dict[str, Any]:
    """The canonical account fields of a base segment (amounts in cents)."""
    values: dict[str, Any] = {
        "record_kind": "account",
        "account_number": base.text("consumer_account_number").strip(),
        "subject_kind": "person",
        "family_name": base.text("surname").strip() or None,
        "given_names": " ".join(
            p for p in (base.text("first_name").strip(), base.text("middle_name").strip()) if p
        )
        or None,
        "portfolio_type": base.text("portfolio_type"),
        "account_type": base.text("account_type"),
        "ecoa_code": base.text("ecoa_code"),
        "currency": "USD",
        "account_status": base.text("account_status"),
        "payment_rating": base.text("payment_rating").strip() or None,
        "payment_history_profile": base.text("payment_history_profile").strip() or None,
        "special_comment": base.text("special_comment").strip() or None,
        "compliance_condition": base.text("compliance_condition_code").strip() or None,
        "address_line1": base.text("first_line_address").strip() or None,
        "address_line2": base.text("second_line_address").strip() or None,
        "city": base.text("city").strip() or None,
        "region": base.text("state").strip() or None,
        "postal_code": base.text("zip_code").strip() or None,
        "country": base.text("country_code").strip() or "US",
        "phone": base.text("telephone_number").strip().lstrip("0") or None,
    }
    for name, source in _AMOUNTS.items():
        dollars = base.number(source)
        values[name] = None if dollars is None else dollars * CENTS_PER_DOLLAR
    for name, source in _DATES.items():
        values[name] = base.date(source)
    ssn = base.number("social_security_number")
    if ssn:
        values["id_scheme"], values["id_value"] = "us_ssn", f"{ssn:09d}"
    return values


def associated_values(base_values: dict[str, Any], segment: metro2.Segment) -> dict[str, Any]:
    """An associated consumer (J1: same address, J2: own address) on the base's account."""
    values = dict(base_values)
    values.update(
        family_name=segment.text("surname").strip() or None,
        given_names=" ".join(
            p
            for p in (segment.text("first_name").strip(), segment.text("middle_name").strip())
            if p
        )
        or None,
        birth_date=segment.date("date_birth"),
        phone=segment.text("telephone_number").strip().lstrip("0") or None,
        ecoa_code=segment.text("ecoa_code"),
        id_scheme=None,
        id_value=None,
    )
    if segment.name == "J2":
        values.update(
            address_line1=segment.text("first_line_address").strip() or None,
            address_line2=segment.text("second_line_address").strip() or None,
            city=segment.text("city").strip() or None,
            region=segment.text("state").strip() or None,
            postal_code=segment.text("zip_code").strip() or None,
            country=segment.text("country_code").strip() or "US",
        )
    ssn = segment.number("social_security_number")
    if ssn:
        values["id_scheme"], values["id_value"] = "us_ssn", f"{ssn:09d}"
    return values


def check(record: RawRecord, furnisher_id: str, hash_key: bytes) -> Checked:
    """Metro 2's own rules, then the shared identity checks and ledger rows.

    The base segment's consumer is row 0; each J1/J2 associated consumer gets
    its own row with its own identity and ECOA role, so that a joint account
    appears in both holders' files. A fault in any segment rejects the record.
    """
    source: metro2.Record = record.source
    problems = [
        Violation(v.field, v.rule, v.message, v.segment) for v in metro2.validate_record(source)
    ]
    values = canonical_values(source.base)
    checked = build_row(record, values, problems, furnisher_id, hash_key)
    if checked.row is None:
        return checked
    consumers = [s for s in source.segments if s.name in ("J1", "J2")]
    for number, segment in enumerate(consumers, start=1):
        extra = build_row(record, associated_values(values, segment), [], furnisher_id, hash_key)
        if extra.row is None:
            where = [Violation(v.field, v.rule, v.message, segment.name) for v in extra.violations]
            return Checked(checked.table, None, where, checked.warnings)
        extra.row["consumer_no"] = number
        checked.associated.append(extra.row)
        checked.warnings.extend(extra.warnings)
    return checked


def format_modules() -> list[FormatModule]:
    """The character and packed variants, as the pipeline's format table wants them."""
    from xinyong.ingest.pipeline import FormatModule

    return [FormatModule(name, _sniffer(name), read, check) for name in ("metro2", "metro2_packed")]
