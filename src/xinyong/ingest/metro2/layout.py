"""Metro 2 field layouts, kept as data.

Each segment is a tuple of :class:`Field` rows with the start position
(1-based, as the CDIA Credit Reporting Resource Guide numbers them), the
length, the kind and whether the field is required. Everything else in this
package (reader, writer, validator, trailer reconciliation) is driven by these
tables, so a layout correction is a one-line change here and nowhere else.

Sources: moov-io/metro2 ``pkg/lib/specifications.go`` (which reproduces the
CRRG positions) cross-checked against the sample files in
``shared/data/metro2``. Field names are moov's JSON names in snake_case
(``dateBirth`` -> ``date_birth``), so golden comparison is a mechanical
mapping.

Kinds:

``alphanumeric``
    left-justified, blank-filled text.
``numeric``
    right-justified, zero-filled digits (amounts in whole dollars).
``date``
    ``MMDDYYYY``; all zeros means "absent".
``timestamp``
    ``MMDDYYYYHHMMSS``; all zeros means "absent".
``packed``
    binary field of the 366-byte packed format. Its logical kind (numeric,
    date or timestamp) is the kind of the same-named field of the character
    layout; see :mod:`xinyong.ingest.metro2.codec`.
``descriptor``
    a record or block descriptor word (RDW/BDW): framing, not data. Four
    ASCII digits in character format, a 2-byte big-endian length plus two
    zero bytes in packed format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["alphanumeric", "numeric", "date", "timestamp", "packed", "descriptor"]

UNPACKED_RECORD_LENGTH = 426
"""Character-format header, base segment and trailer length (with RDW)."""
PACKED_RECORD_LENGTH = 366
"""Packed-format header, base segment and trailer length (with RDW)."""


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a segment layout."""

    name: str
    start: int
    """1-based position of the first byte, as in the CRRG."""
    length: int
    kind: Kind
    required: bool = False

    @property
    def end(self) -> int:
        """1-based position of the last byte."""
        return self.start + self.length - 1

    @property
    def slice(self) -> slice:
        """Python slice of this field within its segment's bytes."""
        return slice(self.start - 1, self.start - 1 + self.length)


@dataclass(frozen=True, slots=True)
class Layout:
    """The layout of one segment: its name, total length and fields."""

    name: str
    length: int
    fields: tuple[Field, ...]
    _data_fields: tuple[Field, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Every rule function walks them, for every segment checked: computed once.
        data = tuple(f for f in self.fields if f.kind != "descriptor")
        object.__setattr__(self, "_data_fields", data)

    def field(self, name: str) -> Field:
        """The field called ``name``; ``KeyError`` if the layout has none."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def data_fields(self) -> tuple[Field, ...]:
        """Fields that carry data (everything except descriptor words)."""
        return self._data_fields


A: Kind = "alphanumeric"
N: Kind = "numeric"
D: Kind = "date"
T: Kind = "timestamp"
P: Kind = "packed"
W: Kind = "descriptor"
REQ = True

# --- Header record -----------------------------------------------------------


def _header(reserved_length: int, total: int) -> Layout:
    return Layout(
        "header",
        total,
        (
            Field("record_descriptor_word", 1, 4, W, REQ),
            Field("record_identifier", 5, 6, A, REQ),
            Field("cycle_identifier", 11, 2, A),
            Field("innovis_program_identifier", 13, 10, A),
            Field("equifax_program_identifier", 23, 10, A),
            Field("experian_program_identifier", 33, 5, A),
            Field("trans_union_program_identifier", 38, 10, A),
            Field("activity_date", 48, 8, D, REQ),
            Field("date_created", 56, 8, D, REQ),
            Field("program_date", 64, 8, D),
            Field("program_revision_date", 72, 8, D),
            Field("reporter_name", 80, 40, A, REQ),
            Field("reporter_address", 120, 96, A, REQ),
            Field("reporter_telephone_number", 216, 10, N),
            Field("software_vendor_name", 226, 40, A),
            Field("software_version_number", 266, 5, A),
            Field("prbc_program_identifier", 271, 10, A),
            Field("reserved", 281, reserved_length, A),
        ),
    )


HEADER = _header(146, UNPACKED_RECORD_LENGTH)
PACKED_HEADER = _header(86, PACKED_RECORD_LENGTH)
"""The packed header is character data except its descriptor words."""

# --- Base segment ------------------------------------------------------------

BASE = Layout(
    "base",
    UNPACKED_RECORD_LENGTH,
    (
        Field("record_descriptor_word", 1, 4, W, REQ),
        Field("processing_indicator", 5, 1, N, REQ),
        Field("time_stamp", 6, 14, T),
        Field("correction_indicator", 20, 1, N),
        Field("identification_number", 21, 20, A, REQ),
        Field("cycle_identifier", 41, 2, A),
        Field("consumer_account_number", 43, 30, A, REQ),
        Field("portfolio_type", 73, 1, A, REQ),
        Field("account_type", 74, 2, A, REQ),
        Field("date_opened", 76, 8, D, REQ),
        Field("credit_limit", 84, 9, N),
        Field("highest_credit", 93, 9, N),
        Field("terms_duration", 102, 3, A, REQ),
        Field("terms_frequency", 105, 1, A),
        Field("scheduled_monthly_payment_amount", 106, 9, N),
        Field("actual_payment_amount", 115, 9, N),
        Field("account_status", 124, 2, A, REQ),
        Field("payment_rating", 126, 1, A),
        Field("payment_history_profile", 127, 24, A, REQ),
        Field("special_comment", 151, 2, A),
        Field("compliance_condition_code", 153, 2, A),
        Field("current_balance", 155, 9, N, REQ),
        Field("amount_past_due", 164, 9, N),
        Field("original_charge_off_amount", 173, 9, N),
        Field("date_account_information", 182, 8, D, REQ),
        Field("date_first_delinquency", 190, 8, D),
        Field("date_closed", 198, 8, D),
        Field("date_last_payment", 206, 8, D),
        Field("interest_type_indicator", 214, 1, A),
        Field("reserved", 215, 17, A),
        Field("surname", 232, 25, A, REQ),
        Field("first_name", 257, 20, A, REQ),
        Field("middle_name", 277, 20, A),
        Field("generation_code", 297, 1, A),
        Field("social_security_number", 298, 9, N),
        Field("date_birth", 307, 8, D),
        Field("telephone_number", 315, 10, N),
        Field("ecoa_code", 325, 1, A, REQ),
        Field("consumer_information_indicator", 326, 2, A),
        Field("country_code", 328, 2, A),
        Field("first_line_address", 330, 32, A, REQ),
        Field("second_line_address", 362, 32, A),
        Field("city", 394, 20, A, REQ),
        Field("state", 414, 2, A, REQ),
        Field("zip_code", 416, 9, A, REQ),
        Field("address_indicator", 425, 1, A),
        Field("residence_code", 426, 1, A),
    ),
)

PACKED_BASE = Layout(
    "base",
    PACKED_RECORD_LENGTH,
    (
        Field("record_descriptor_word", 1, 4, W, REQ),
        Field("processing_indicator", 5, 1, N, REQ),
        Field("time_stamp", 6, 8, P),
        Field("correction_indicator", 14, 1, N),
        Field("identification_number", 15, 20, A, REQ),
        Field("cycle_identifier", 35, 2, A),
        Field("consumer_account_number", 37, 30, A, REQ),
        Field("portfolio_type", 67, 1, A, REQ),
        Field("account_type", 68, 2, A, REQ),
        Field("date_opened", 70, 5, P, REQ),
        Field("credit_limit", 75, 5, P),
        Field("highest_credit", 80, 5, P),
        Field("terms_duration", 85, 3, A, REQ),
        Field("terms_frequency", 88, 1, A),
        Field("scheduled_monthly_payment_amount", 89, 5, P),
        Field("actual_payment_amount", 94, 5, P),
        Field("account_status", 99, 2, A, REQ),
        Field("payment_rating", 101, 1, A),
        Field("payment_history_profile", 102, 24, A, REQ),
        Field("special_comment", 126, 2, A),
        Field("compliance_condition_code", 128, 2, A),
        Field("current_balance", 130, 5, P, REQ),
        Field("amount_past_due", 135, 5, P),
        Field("original_charge_off_amount", 140, 5, P),
        Field("date_account_information", 145, 5, P, REQ),
        Field("date_first_delinquency", 150, 5, P),
        Field("date_closed", 155, 5, P),
        Field("date_last_payment", 160, 5, P),
        Field("interest_type_indicator", 165, 1, A),
        Field("reserved", 166, 17, A),
        Field("surname", 183, 25, A, REQ),
        Field("first_name", 208, 20, A, REQ),
        Field("middle_name", 228, 20, A),
        Field("generation_code", 248, 1, A),
        Field("social_security_number", 249, 5, P),
        Field("date_birth", 254, 5, P),
        Field("telephone_number", 259, 6, P),
        Field("ecoa_code", 265, 1, A, REQ),
        Field("consumer_information_indicator", 266, 2, A),
        Field("country_code", 268, 2, A),
        Field("first_line_address", 270, 32, A, REQ),
        Field("second_line_address", 302, 32, A),
        Field("city", 334, 20, A, REQ),
        Field("state", 354, 2, A, REQ),
        Field("zip_code", 356, 9, A, REQ),
        Field("address_indicator", 365, 1, A),
        Field("residence_code", 366, 1, A),
    ),
)

# --- Trailer record ----------------------------------------------------------

TRAILER_STATUS_CODES = (
    "DF", "DA", "05", "11", "13", "61", "62", "63", "64", "65", "71", "78", "80",
    "82", "83", "84", "88", "89", "93", "94", "95", "96", "97",
)  # fmt: skip
"""Account statuses the trailer counts, each in ``total_status_code_<code>``."""

TRAILER_TOTAL_FIELDS: tuple[str, ...] = (
    "total_base_records",
    "reserved_1",
    "total_status_code_df",
    "total_consumer_segments_j1",
    "total_consumer_segments_j2",
    "block_count",
    "total_status_code_da",
    *(f"total_status_code_{c}" for c in TRAILER_STATUS_CODES[2:]),
    "total_ecoa_code_z",
    "total_employment_segments",
    "total_original_creditor_segments",
    "total_purchased_to_segments",
    "total_mortgage_information_segments",
    "total_payment_information_segments",
    "total_change_segments",
    "total_social_numbers_all_segments",
    "total_social_numbers_base_segments",
    "total_social_numbers_j1_segments",
    "total_social_numbers_j2_segments",
    "total_dates_birth_all_segments",
    "total_dates_birth_base_segments",
    "total_dates_birth_j1_segments",
    "total_dates_birth_j2_segments",
    "total_telephone_numbers_all_segments",
)
"""Trailer fields after the record identifier, in file order (44 slots of
equal width: 9 digits in character format, 5 binary bytes in packed)."""


def _trailer(width: int, kind: Kind, total: int) -> Layout:
    # Every slot after the identifier has the same width, so the positions
    # follow from the order above; tests check them against the CRRG totals.
    fields = [
        Field("record_descriptor_word", 1, 4, W, REQ),
        Field("record_identifier", 5, 7, A, REQ),
    ]
    start = 12
    for name in TRAILER_TOTAL_FIELDS:
        if name == "reserved_1":
            fields.append(Field(name, start, width, A))
        else:
            required = name in ("total_base_records", "block_count")
            fields.append(Field(name, start, width, kind, required))
        start += width
    fields.append(Field("reserved_2", start, total - start + 1, A))
    return Layout("trailer", total, tuple(fields))


TRAILER = _trailer(9, N, UNPACKED_RECORD_LENGTH)
PACKED_TRAILER = _trailer(5, P, PACKED_RECORD_LENGTH)

# --- Appended segments (always character format) ----------------------------

_J_COMMON = (
    Field("segment_identifier", 1, 2, A, REQ),
    Field("reserved_1", 3, 1, A),
    Field("surname", 4, 25, A, REQ),
    Field("first_name", 29, 20, A, REQ),
    Field("middle_name", 49, 20, A),
    Field("generation_code", 69, 1, A),
    Field("social_security_number", 70, 9, N),
    Field("date_birth", 79, 8, D),
    Field("telephone_number", 87, 10, N),
    Field("ecoa_code", 97, 1, A, REQ),
    Field("consumer_information_indicator", 98, 2, A),
)

J1 = Layout("J1", 100, (*_J_COMMON, Field("reserved_2", 100, 1, A)))
"""Associated consumer at the same address as the base segment consumer."""

J2 = Layout(
    "J2",
    200,
    (
        # J2 first name is optional: a business reported with ECOA W has none
        # (moov-io/metro2 PR #242).
        *(
            Field(f.name, f.start, f.length, f.kind, False) if f.name == "first_name" else f
            for f in _J_COMMON
        ),
        Field("country_code", 100, 2, A),
        Field("first_line_address", 102, 32, A, REQ),
        Field("second_line_address", 134, 32, A),
        Field("city", 166, 20, A, REQ),
        Field("state", 186, 2, A, REQ),
        Field("zip_code", 188, 9, A, REQ),
        Field("address_indicator", 197, 1, A),
        Field("residence_code", 198, 1, A),
        Field("reserved_2", 199, 2, A),
    ),
)
"""Associated consumer at a different address."""

K1 = Layout(
    "K1",
    34,
    (
        Field("segment_identifier", 1, 2, A, REQ),
        Field("original_creditor_name", 3, 30, A, REQ),
        Field("creditor_classification", 33, 2, N, REQ),
    ),
)
"""Original creditor name (collection agencies, debt buyers)."""

K2 = Layout(
    "K2",
    34,
    (
        Field("segment_identifier", 1, 2, A, REQ),
        Field("purchased_indicator", 3, 1, N, REQ),
        # Required unless the indicator is 9 (remove); see rules.py.
        Field("purchased_name", 4, 30, A),
        Field("reserved", 34, 1, A),
    ),
)
"""Purchased from / sold to."""

K3 = Layout(
    "K3",
    40,
    (
        Field("segment_identifier", 1, 2, A, REQ),
        Field("agency_identifier", 3, 2, N),
        Field("account_number", 5, 18, A),
        Field("mortgage_identification_number", 23, 18, A),
    ),
)
"""Mortgage information (secondary-market agency, MERS MIN)."""

K4 = Layout(
    "K4",
    30,
    (
        Field("segment_identifier", 1, 2, A, REQ),
        Field("specialized_payment_indicator", 3, 2, N, REQ),
        Field("deferred_payment_start_date", 5, 8, D),
        Field("balloon_payment_due_date", 13, 8, D),
        Field("balloon_payment_amount", 21, 9, N),
        Field("reserved", 30, 1, A),
    ),
)
"""Specialised payment information (balloon or deferred)."""

L1 = Layout(
    "L1",
    54,
    (
        Field("segment_identifier", 1, 2, A, REQ),
        Field("change_indicator", 3, 1, N, REQ),
        Field("new_consumer_account_number", 4, 30, A),
        Field("new_identification_number", 34, 20, A),
        Field("reserved", 54, 1, A),
    ),
)
"""Account number or identification number change."""

N1 = Layout(
    "N1",
    146,
    (
        Field("segment_identifier", 1, 2, A, REQ),
        Field("employer_name", 3, 30, A, REQ),
        Field("first_line_employer_address", 33, 32, A),
        Field("second_line_employer_address", 65, 32, A),
        Field("employer_city", 97, 20, A),
        Field("employer_state", 117, 2, A),
        Field("zip_code", 119, 9, A),
        Field("occupation", 128, 18, A),
        Field("reserved", 146, 1, A),
    ),
)
"""Employment."""

APPENDAGES: dict[str, Layout] = {s.name: s for s in (J1, J2, K1, K2, K3, K4, L1, N1)}
"""Appended segments by identifier, in the order the CRRG requires."""

APPENDAGE_ORDER: dict[str, int] = {name: i for i, name in enumerate(APPENDAGES)}
REPEATABLE_APPENDAGES = frozenset({"J1", "J2"})
"""Only associated-consumer segments may repeat; K1-N1 appear at most once."""

CHARACTER_LAYOUTS: dict[str, Layout] = {
    "header": HEADER,
    "base": BASE,
    "trailer": TRAILER,
    **APPENDAGES,
}
PACKED_LAYOUTS: dict[str, Layout] = {
    "header": PACKED_HEADER,
    "base": PACKED_BASE,
    "trailer": PACKED_TRAILER,
    **APPENDAGES,
}

MONEY_FIELDS = frozenset(
    {
        "credit_limit",
        "highest_credit",
        "scheduled_monthly_payment_amount",
        "actual_payment_amount",
        "current_balance",
        "amount_past_due",
        "original_charge_off_amount",
        "balloon_payment_amount",
    }
)
"""Whole-dollar amounts; negative (credit) balances are reported as zero."""


def layout(segment: str, *, packed: bool = False) -> Layout:
    """The layout of ``segment`` ("header", "base", "trailer", "J1".."N1")."""
    return (PACKED_LAYOUTS if packed else CHARACTER_LAYOUTS)[segment]
