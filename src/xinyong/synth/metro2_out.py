"""Metro 2 files for the US card issuer, in the layout of ``xinyong.ingest.metro2``.

The generator's canonical account records are converted to Metro 2 base
segments (amounts in whole dollars, names upper case, SSN where the issuer
has it). Header and trailer are built and framed by the ingest package's own
``Segment`` and ``write``; the base segments, one per record and the only
part whose cost grows with the population, are formatted by
``BaseEncoder``, which compiles the ingest package's base-segment layout once
into a list of constant runs and value fields. ``base_segment`` builds the
same segment through ``Segment.build``, and the tests hold the two to
byte-identical output, so the files still exercise exactly the layout the
reader expects. The trailer's totals are summed chunk by chunk as the records
are encoded.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from xinyong.ingest.metro2 import Metro2File, Segment, write
from xinyong.ingest.metro2.layout import (
    CHARACTER_LAYOUTS,
    TRAILER_STATUS_CODES,
    UNPACKED_RECORD_LENGTH,
)
from xinyong.synth.furnishers import Furnisher
from xinyong.synth.records import ACCOUNT_ROW_FIELDS, Row
from xinyong.synth.rng import month_end, month_index

CanonicalRecord = Mapping[str, Any]

NEWLINE = b"\n"
_NON_DIGITS = re.compile(r"\D")
_NO_SSN = ("000000000", "999999999")
_STATUS_TOTALS = {code: f"total_status_code_{code.lower()}" for code in TRAILER_STATUS_CODES}


def _dollars(minor: int | None) -> int | None:
    """Metro 2 money is whole dollars; cents round half up."""
    if minor is None:
        return None
    return max(0, (minor + 50) // 100)


def _date(value: str | None) -> str | None:
    """An ISO date as Metro 2 ``MMDDYYYY`` text; an impossible one (planted
    dirt such as 2023-02-30) is rearranged all the same."""
    if value is None:
        return None
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        return value[5:7] + value[8:10] + value[:4]
    try:
        day = date.fromisoformat(value)
    except ValueError:
        year, month, dd = value.split("-")
        return f"{month}{dd}{year}"
    return f"{day:%m%d%Y}"


def _terms(portfolio: str, term: int) -> str:
    if portfolio == "R":
        return "REV"
    if portfolio == "C":
        return "LOC"
    return f"{min(term, 999):03d}"


def base_values(
    record: CanonicalRecord, identification_number: str, term: int = 0
) -> dict[str, str | int | None]:
    """The base segment's fields for one canonical account record (dates as
    ``MMDDYYYY`` text), in the terms ``Segment.build`` takes."""
    get = record.get
    phone = _NON_DIGITS.sub("", get("phone") or "")[-10:]
    charge_off = _dollars(get("charge_off_amount"))
    if get("charge_off_amount"):
        charge_off = max(charge_off or 0, 1)
    return {
        "processing_indicator": 1,
        "identification_number": identification_number,
        "consumer_account_number": record["account_number"],
        "portfolio_type": record["portfolio_type"],
        "account_type": record["account_type"],
        "date_opened": _date(record["date_opened"]),
        "credit_limit": _dollars(get("credit_limit")),
        "highest_credit": _dollars(get("highest_credit")),
        "terms_duration": _terms(record["portfolio_type"], term),
        "terms_frequency": "M",
        "scheduled_monthly_payment_amount": _dollars(get("scheduled_payment")),
        "actual_payment_amount": _dollars(get("actual_payment")),
        "account_status": record["account_status"],
        "payment_rating": get("payment_rating") or "",
        "payment_history_profile": get("payment_history_profile") or "",
        "special_comment": get("special_comment") or "",
        "compliance_condition_code": get("compliance_condition") or "",
        "current_balance": _dollars(record["current_balance"]),
        "amount_past_due": _dollars(get("amount_past_due")),
        "original_charge_off_amount": charge_off,
        "date_account_information": _date(record["date_reported"]),
        "date_first_delinquency": _date(get("first_delinquency_date")),
        "date_closed": _date(get("date_closed")),
        "date_last_payment": _date(get("last_payment_date")),
        "surname": (get("family_name") or "")[:25],
        "first_name": (get("given_names") or "")[:20],
        "social_security_number": get("_ssn"),
        "date_birth": _date(get("birth_date")),
        "telephone_number": int(phone) if len(phone) == 10 else None,
        "ecoa_code": record["ecoa_code"],
        "country_code": get("country") or "US",
        "first_line_address": (get("address_line1") or "")[:32],
        "second_line_address": (get("address_line2") or "")[:32],
        "city": (get("city") or "")[:20],
        "state": (get("region") or "")[:2],
        "zip_code": get("postal_code") or "",
    }


def base_segment(record: CanonicalRecord, identification_number: str, term: int = 0) -> Segment:
    """The Metro 2 base segment for one canonical account record, built by the
    ingest package (the reference ``BaseEncoder`` is held to)."""
    return Segment.build("base", base_values(record, identification_number, term))


_ALPHA, _NUMERIC, _FIXED = 0, 1, 2  # how a value field is written
_SAMPLE = {
    "account_number": "",
    "portfolio_type": "",
    "account_type": "",
    "date_opened": None,
    "account_status": "",
    "current_balance": 0,
    "date_reported": None,
    "ecoa_code": "",
}


def _compile_base(constants: Mapping[str, str | int]) -> tuple[tuple[str, int, int] | str, ...]:
    """The base layout as a program: literal text for fields that are blank,
    zero or the same in every record, and (name, width, how) for the rest."""
    varying = set(base_values(_SAMPLE, ""))
    program: list[tuple[str, int, int] | str] = []
    literal = ""
    for f in CHARACTER_LAYOUTS["base"].data_fields:
        if f.name in varying and f.name not in constants:
            if literal:
                program.append(literal)
                literal = ""
            how = (
                _ALPHA if f.kind == "alphanumeric" else _NUMERIC if f.kind == "numeric" else _FIXED
            )
            program.append((f.name, f.length, how))
        else:
            value = constants.get(f.name)
            literal += Segment.build("base", {f.name: value}).values[f.name]
    if literal:
        program.append(literal)
    return tuple(program)


@dataclass(slots=True)
class EncodedChunk:
    """A chunk of base segments, one line each, and their trailer totals."""

    data: bytes
    records: int
    totals: Counter[str] = field(default_factory=Counter)


class BaseEncoder:
    """Base segments of one furnisher's records as Metro 2 character lines
    (RDW 0426, every field at its layout width), with their trailer totals."""

    def __init__(self, furnisher: Furnisher) -> None:
        self.identification_number = identification_number(furnisher)
        constants: dict[str, str | int] = {
            "processing_indicator": 1,
            "identification_number": self.identification_number,
            "terms_frequency": "M",
        }
        self._program = _compile_base(constants)
        self._rdw = f"{UNPACKED_RECORD_LENGTH:04d}"

    def encode_values(self, values: Mapping[str, str | int | None]) -> str:
        """One base segment's text (without the line break)."""
        parts = [self._rdw]
        append = parts.append
        for step in self._program:
            if isinstance(step, str):
                append(step)
                continue
            name, width, how = step
            value = values.get(name)
            if value is None:
                append(" " * width if how == _ALPHA else "0" * width)
            elif how == _ALPHA:
                text = str(value)
                if len(text) > width:
                    raise ValueError(f"{name}: {text!r} is longer than {width} characters")
                append(text.ljust(width))
            elif isinstance(value, int):
                text = str(value)
                if value < 0 or len(text) > width:
                    raise ValueError(f"{name}: {value} does not fit {width} digits")
                append(text.zfill(width))
            else:
                if len(value) != width:
                    raise ValueError(f"{name}: raw text {value!r} must be exactly {width} wide")
                append(value)
        return "".join(parts)

    def encode(self, rows: Iterable[Row]) -> EncodedChunk:
        """Account rows (``ACCOUNT_ROW_FIELDS``) as lines and trailer totals."""
        lines: list[str] = []
        totals: Counter[str] = Counter()
        for row in rows:
            values = base_values(
                dict(zip(ACCOUNT_ROW_FIELDS, row, strict=True)), self.identification_number
            )
            lines.append(self.encode_values(values))
            status = _STATUS_TOTALS.get(str(values["account_status"]))
            if status is not None:
                totals[status] += 1
            if values["ecoa_code"] == "Z":
                totals["total_ecoa_code_z"] += 1
            ssn = values["social_security_number"]
            raw = str(ssn).zfill(9) if isinstance(ssn, int) else ssn
            if raw is not None and raw.isdigit() and raw not in _NO_SSN:
                totals["total_social_numbers_all_segments"] += 1
                totals["total_social_numbers_base_segments"] += 1
            born = values["date_birth"]
            if born is not None and _valid_mmddyyyy(str(born)):
                totals["total_dates_birth_all_segments"] += 1
                totals["total_dates_birth_base_segments"] += 1
            if values["telephone_number"]:
                totals["total_telephone_numbers_all_segments"] += 1
        lines.append("")
        return EncodedChunk("\n".join(lines).encode("ascii"), len(lines) - 1, totals)


def _valid_mmddyyyy(text: str) -> bool:
    if len(text) != 8 or not text.isdigit() or text == "00000000":
        return False
    try:
        date(int(text[4:]), int(text[:2]), int(text[2:4]))
    except ValueError:
        return False
    return True


def identification_number(furnisher: Furnisher) -> str:
    return re.sub(r"[^A-Z0-9]", "", furnisher.furnisher_id.upper())[:20]


class Metro2Writer:
    """A Metro 2 character-format file (426-byte records, one per line):
    the header when it opens, encoded chunks as they come, the trailer with
    the summed totals when it closes."""

    def __init__(self, path: Path, furnisher: Furnisher, activity: date) -> None:
        self.path = path
        self.records = 0
        ident = identification_number(furnisher)
        reported = month_end(month_index(activity))
        self.header = Segment.build(
            "header",
            activity_date=reported,
            date_created=reported,
            reporter_name=furnisher.name[:40],
            reporter_address="PO BOX 4100, WILMINGTON DE 19850",
            equifax_program_identifier=ident[:10],
            trans_union_program_identifier=ident[:10],
        )
        self._empty_trailer = Segment.build("trailer")
        self._totals: Counter[str] = Counter()
        self._file: IO[bytes] = path.open("wb")
        framed = write(Metro2File(self.header, [], self._empty_trailer), "fixed", newline=NEWLINE)
        self._unit = len(framed) // 2
        self._file.write(framed[: self._unit])

    def append(self, chunk: EncodedChunk, records: int) -> None:
        if chunk.records != records or len(chunk.data) != self._unit * records:
            raise ValueError("Metro 2 records of one file must share one length (base segments)")
        self._file.write(chunk.data)
        self.records += chunk.records
        self._totals.update(chunk.totals)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        totals = dict(self._totals)
        totals["total_base_records"] = self.records
        totals["block_count"] = self.records + 2
        trailer = self._empty_trailer.replace(**totals)
        framed = write(Metro2File(self.header, [], trailer), "fixed", newline=NEWLINE)
        self._file.write(framed[self._unit :])
        self._file.close()
