"""Metro 2 files for the US card issuer, written with ``xinyong.ingest.metro2``.

The generator's canonical account records are converted to Metro 2 base
segments (amounts in whole dollars, names upper case, SSN where the issuer
has it) and encoded by the ingest package's own writer, so the synthetic
files exercise exactly the layout the reader expects. Records are encoded a
chunk at a time: the header is written when the file opens, each chunk's
records are appended, and the trailer, whose totals are summed chunk by
chunk, closes the file.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import IO, Any

from xinyong.ingest.metro2 import Metro2File, Record, Segment, trailer_totals, write
from xinyong.synth.furnishers import Furnisher
from xinyong.synth.rng import month_end, month_index

CanonicalRecord = dict[str, Any]

NEWLINE = b"\n"
_NON_DIGITS = re.compile(r"\D")


def _dollars(minor: int | None) -> int | None:
    """Metro 2 money is whole dollars; cents round half up."""
    if minor is None:
        return None
    return max(0, (minor + 50) // 100)


def _date(value: str | None) -> date | str | None:
    """An ISO date as a date; an impossible one (planted dirt) as raw MMDDYYYY text."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        year, month, day = value.split("-")
        return f"{month}{day}{year}"


def _terms(record: CanonicalRecord, term: int) -> str:
    portfolio = record["portfolio_type"]
    if portfolio == "R":
        return "REV"
    if portfolio == "C":
        return "LOC"
    return f"{min(term, 999):03d}"


def base_segment(record: CanonicalRecord, identification_number: str, term: int = 0) -> Segment:
    """The Metro 2 base segment for one canonical account record."""
    phone = _NON_DIGITS.sub("", record.get("phone") or "")[-10:]
    charge_off = _dollars(record.get("charge_off_amount"))
    if record.get("charge_off_amount"):
        charge_off = max(charge_off or 0, 1)
    fields: dict[str, Any] = {
        "processing_indicator": 1,
        "identification_number": identification_number,
        "consumer_account_number": record["account_number"],
        "portfolio_type": record["portfolio_type"],
        "account_type": record["account_type"],
        "date_opened": _date(record["date_opened"]),
        "credit_limit": _dollars(record.get("credit_limit")),
        "highest_credit": _dollars(record.get("highest_credit")),
        "terms_duration": _terms(record, term),
        "terms_frequency": "M",
        "scheduled_monthly_payment_amount": _dollars(record.get("scheduled_payment")),
        "actual_payment_amount": _dollars(record.get("actual_payment")),
        "account_status": record["account_status"],
        "payment_rating": record.get("payment_rating") or "",
        "payment_history_profile": record.get("payment_history_profile") or "",
        "special_comment": record.get("special_comment") or "",
        "compliance_condition_code": record.get("compliance_condition") or "",
        "current_balance": _dollars(record["current_balance"]),
        "amount_past_due": _dollars(record.get("amount_past_due")),
        "original_charge_off_amount": charge_off,
        "date_account_information": _date(record["date_reported"]),
        "date_first_delinquency": _date(record.get("first_delinquency_date")),
        "date_closed": _date(record.get("date_closed")),
        "date_last_payment": _date(record.get("last_payment_date")),
        "surname": (record.get("family_name") or "")[:25],
        "first_name": (record.get("given_names") or "")[:20],
        "social_security_number": record.get("_ssn"),
        "date_birth": _date(record.get("birth_date")),
        "telephone_number": int(phone) if len(phone) == 10 else None,
        "ecoa_code": record["ecoa_code"],
        "country_code": record.get("country") or "US",
        "first_line_address": (record.get("address_line1") or "")[:32],
        "second_line_address": (record.get("address_line2") or "")[:32],
        "city": (record.get("city") or "")[:20],
        "state": (record.get("region") or "")[:2],
        "zip_code": record.get("postal_code") or "",
    }
    return Segment.build("base", fields)


class Metro2Sink:
    """A Metro 2 character-format file (426-byte records, one per line)."""

    def __init__(self, path: Path, furnisher: Furnisher, activity: date) -> None:
        self.path = path
        self.records = 0
        self.identification_number = re.sub(r"[^A-Z0-9]", "", furnisher.furnisher_id.upper())[:20]
        reported = month_end(month_index(activity))
        self.header = Segment.build(
            "header",
            activity_date=reported,
            date_created=reported,
            reporter_name=furnisher.name[:40],
            reporter_address="PO BOX 4100, WILMINGTON DE 19850",
            equifax_program_identifier=self.identification_number[:10],
            trans_union_program_identifier=self.identification_number[:10],
        )
        self._empty_trailer = Segment.build("trailer")
        self._buffer: list[CanonicalRecord] = []
        self._totals: Counter[str] = Counter()
        self._file: IO[bytes] = path.open("wb")
        framed = write(Metro2File(self.header, [], self._empty_trailer), "fixed", newline=NEWLINE)
        self._unit = len(framed) // 2
        self._file.write(framed[: self._unit])

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def write(self, record: CanonicalRecord) -> int:
        self._buffer.append(record)
        self.records += 1
        return self.records

    def end_chunk(self) -> None:
        if not self._buffer:
            return
        first = self.records - len(self._buffer) + 1
        records = [
            Record(base=base_segment(r, self.identification_number), record_no=first + i)
            for i, r in enumerate(self._buffer)
        ]
        chunk = Metro2File(self.header, records, self._empty_trailer)
        data = write(chunk, "fixed", newline=NEWLINE)
        if len(data) != self._unit * (len(records) + 2):
            raise ValueError(
                "Metro 2 records of one file must share one length (base segments only)"
            )
        self._file.write(data[self._unit : -self._unit])
        self._totals.update(trailer_totals(chunk))
        self._buffer = []

    def close(self) -> None:
        self.end_chunk()
        totals = dict(self._totals)
        totals["total_base_records"] = self.records
        totals["block_count"] = self.records + 2
        trailer = self._empty_trailer.replace(**totals)
        framed = write(Metro2File(self.header, [], trailer), "fixed", newline=NEWLINE)
        self._file.write(framed[self._unit :])
        self._file.close()
