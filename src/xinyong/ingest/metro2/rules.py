"""Metro 2 record validation: one small function per rule, all errors kept.

Unlike moov-io/metro2, which stops at the first error, :func:`validate_record`
runs every rule and returns every :class:`Violation`, so a furnisher gets one
complete rejection report per record instead of one error per resubmission.

Rule codes are stable; tests and rejection reports key on them:

``required``            a required field is blank (dates: zero-filled)
``numeric``             a numeric field is not all digits (blank included:
                        the CRRG zero-fills absent numbers)
``date``                not a real MMDDYYYY date (or timestamp), or blank
                        where the CRRG zero-fills an absent date
``code_list``           a value outside its code list (:mod:`codes`)
``php_order``           B (no history) embedded before other history values
``terms_duration``      terms duration not LOC, REV or three digits
``non_negative``        a negative amount (credit balances are reported as 0)
``date_order``          a date after the Date of Account Information, or
                        Date Closed before Date Opened
``future_date``         a date after ``as_of`` (only when ``as_of`` is given)
``payment_rating_required`` / ``payment_rating_forbidden``
                        field 17B present exactly with statuses 05, 13, 65,
                        88, 89, 94, 95
``dofd_required``       Date of First Delinquency missing where the CRRG
                        hierarchy needs it (see below)
``dofd_not_applicable`` a DOFD on a current or paid account (11, 05, 13)
                        that no hierarchy rule calls for
``charge_off_amount_required``  status 64 or 97 without the amount charged off
``past_due_on_current`` amount past due on a current (11) account
``identification_number``  furnisher ID all 0s/9s, shorter than 5 characters
                        or with blanks or special characters
``account_number_contains_ssn``  the consumer's SSN inside the account number
``ssn_or_dob_required`` neither SSN nor date of birth (business ECOA W exempt)
``dob_required_authorized_user``  ECOA 3 (authorised user) without a DOB

Structural problems found by the reader (``unknown_segment``,
``segment_truncated``, ``segment_order``, ``segment_repeated``, ``packed``)
are reported first.

DOFD decision. We apply the CRRG hierarchy quoted in moov-io's comments, not
only the delinquent statuses: (1) statuses 61-65, 71, 78, 80, 82-84, 88, 89,
93-97; (2) statuses 05 and 13 with payment rating 1-6, G or L; (3) a
bankruptcy or receivership indicator (A-H, Z, 1A, V) on a current account
(status 11, or 05/13 rated 0), where the DOFD is the petition date. Statuses
DA and DF are deletions and need none.

Not checked here: identifier checksums (SSNs have none; CN identifiers come
through the canonical format) and cross-record or cross-file rules (those
belong to the ingest pipeline).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from xinyong.ingest.metro2 import codes
from xinyong.ingest.metro2.codec import UNDECODABLE
from xinyong.ingest.metro2.layout import (
    CHARACTER_LAYOUTS,
    MONEY_FIELDS,
    REPEATABLE_APPENDAGES,
    Field,
    Layout,
)
from xinyong.ingest.metro2.model import Record, Segment, Violation

__all__ = ["RULE_CODES", "Violation", "validate_header", "validate_record", "validate_segment"]

RULE_CODES: frozenset[str] = frozenset(
    {
        "required", "numeric", "date", "code_list", "php_order", "terms_duration", "non_negative",
        "date_order", "future_date", "payment_rating_required", "payment_rating_forbidden",
        "dofd_required", "dofd_not_applicable", "charge_off_amount_required", "past_due_on_current",
        "identification_number", "account_number_contains_ssn", "ssn_or_dob_required",
        "dob_required_authorized_user",
        # structural, found by the reader
        "unknown_segment", "segment_truncated", "segment_order", "segment_repeated", "packed",
    }
)  # fmt: skip
"""Every rule code :func:`validate_record` can report."""

SegmentRule = Callable[[str, Segment], list[Violation]]
RecordRule = Callable[[Record], list[Violation]]

_NEGATIVE = re.compile(r"^ *-\d+ *$|^\d*[}J-R]$")
"""A minus sign, or a zoned-decimal negative overpunch in the last digit."""
_PEOPLE = ("base", "J1", "J2")
_NO_SSN = {"000000000", "999999999"}
_OBSOLETE = {
    "ecoa_code": {"0", "4", "6"},
    "consumer_information_indicator": {"W", "X", "Y"},
}


def _undecodable(text: str) -> bool:
    return bool(text) and set(text) == {UNDECODABLE}


# --- Field-format rules (driven by the layout) ------------------------------


@dataclass(frozen=True, slots=True)
class _Walk:
    """A layout's data fields, in layout order, as each field-format rule walks them.

    Why: the four rules below looked at every data field of every segment
    checked (a base segment has about a hundred) to find the few each one
    applies to; the reference path checks every record, and the fast path
    every rejected one. Sorting them out once per layout keeps each rule's
    work to its own fields; the violations come in the same order.
    """

    required: tuple[Field, ...]
    numeric: tuple[Field, ...]
    dated: tuple[Field, ...]
    coded: tuple[tuple[Field, codes.CodeList], ...]


def _walk_of(name: str, layout: Layout) -> _Walk:
    data = layout.data_fields
    coded = ((f, codes.FIELD_CODES.get((name, f.name))) for f in data)
    return _Walk(
        required=tuple(f for f in data if f.required and f.name != "segment_identifier"),
        numeric=tuple(f for f in data if f.kind == "numeric"),
        dated=tuple(f for f in data if f.kind in ("date", "timestamp")),
        coded=tuple((f, code_list) for f, code_list in coded if code_list is not None),
    )


_WALKS: Final = {name: _walk_of(name, layout) for name, layout in CHARACTER_LAYOUTS.items()}
"""Every segment's walk, by name: a segment's layout is its name's (``Segment.layout``)."""


def check_required(label: str, seg: Segment) -> list[Violation]:
    """Required fields: not blank; required dates and timestamps not zero."""
    out = []
    for f in _WALKS[seg.name].required:
        raw = seg.raw(f.name)
        missing = raw.strip() == "" or (f.kind in ("date", "timestamp") and set(raw) == {"0"})
        if missing:
            out.append(Violation(label, f.name, "required", f"{f.name} is required"))
    return out


def check_numeric(label: str, seg: Segment) -> list[Violation]:
    """Numeric fields hold digits only, zero-filled when absent."""
    out = []
    for f in _WALKS[seg.name].numeric:
        raw = seg.raw(f.name)
        if raw.isdigit() or _undecodable(raw):
            continue
        if f.required and raw.strip() == "":
            continue  # reported by check_required
        if f.name in MONEY_FIELDS and _NEGATIVE.match(raw):
            continue  # reported by check_non_negative
        out.append(Violation(label, f.name, "numeric", f"{f.name} must be digits, got {raw!r}"))
    return out


def check_dates(label: str, seg: Segment) -> list[Violation]:
    """Dates exist (MMDDYYYY, year 1900 or later); absent dates are zeros."""
    out = []
    for f in _WALKS[seg.name].dated:
        raw = seg.raw(f.name)
        if set(raw) == {"0"} or _undecodable(raw):
            continue
        if raw.strip() == "":
            if not f.required:
                out.append(
                    Violation(
                        label, f.name, "date", f"{f.name} is blank; absent dates are zero-filled"
                    )
                )
            continue
        parsed = seg.date(f.name) if f.kind == "date" else seg.timestamp(f.name)
        if parsed is None or parsed.year < 1900:
            shape = "MMDDYYYY" if f.kind == "date" else "MMDDYYYYHHMMSS"
            out.append(
                Violation(label, f.name, "date", f"{f.name} {raw!r} is not a valid {shape} date")
            )
    return out


def check_codes(label: str, seg: Segment) -> list[Violation]:
    """Coded fields hold a value of their code list (blank = not reported)."""
    out = []
    for f, code_list in _WALKS[seg.name].coded:
        value = seg.raw(f.name).strip()
        if value == "" or value in code_list:
            continue
        why = "obsolete" if value in _OBSOLETE.get(f.name, ()) else "not a valid"
        out.append(Violation(label, f.name, "code_list", f"{f.name} {value!r} is {why} code"))
    return out


def check_non_negative(label: str, seg: Segment) -> list[Violation]:
    """Amounts are never negative: credit balances are reported as zero."""
    return [
        Violation(
            label,
            name,
            "non_negative",
            f"{name} {seg.raw(name)!r} is negative; report credit balances as 0",
        )
        for name in sorted(MONEY_FIELDS & seg.values.keys())
        if _NEGATIVE.match(seg.raw(name))
    ]


def check_identity(label: str, seg: Segment) -> list[Violation]:
    """A consumer is identified by an SSN or a date of birth (or both).

    ECOA W (business) is exempt: a business has neither.
    """
    if seg.name not in _PEOPLE or seg.text("ecoa_code") == codes.ECOA_BUSINESS:
        return []
    has_ssn = (
        seg.raw("social_security_number").isdigit()
        and seg.raw("social_security_number") not in _NO_SSN
    )
    if has_ssn or seg.raw("date_birth").strip("0 ") != "":
        return []
    msg = "neither a social security number nor a date of birth is reported"
    return [Violation(label, "social_security_number", "ssn_or_dob_required", msg)]


def check_authorized_user_dob(label: str, seg: Segment) -> list[Violation]:
    """Authorised users (ECOA 3) need a full date of birth (CRRG, NCAP)."""
    if seg.name not in _PEOPLE or seg.text("ecoa_code") != codes.ECOA_AUTHORIZED_USER:
        return []
    if seg.raw("date_birth").strip("0 ") != "":
        return []
    msg = "authorised users (ECOA 3) must be reported with a date of birth"
    return [Violation(label, "date_birth", "dob_required_authorized_user", msg)]


def check_k2_name(label: str, seg: Segment) -> list[Violation]:
    """K2 needs the purchased-from / sold-to name unless it removes (9)."""
    if (
        seg.name != "K2"
        or seg.raw("purchased_indicator") not in ("1", "2")
        or not seg.is_blank("purchased_name")
    ):
        return []
    return [
        Violation(
            label, "purchased_name", "required", "purchased_name is required with indicator 1 or 2"
        )
    ]


SEGMENT_RULES: tuple[SegmentRule, ...] = (
    check_required,
    check_numeric,
    check_dates,
    check_codes,
    check_non_negative,
    check_identity,
    check_authorized_user_dob,
    check_k2_name,
)

# --- Base-segment and cross-field rules --------------------------------------


def check_payment_history(record: Record) -> list[Violation]:
    """24 values from the CRRG list; B may only trail (never embedded)."""
    php = record.base.raw("payment_history_profile")
    if php.strip() == "":
        return []
    out = []
    bad = [f"{i + 1}:{c!r}" for i, c in enumerate(php) if c not in codes.PAYMENT_HISTORY]
    if bad:
        msg = f"payment_history_profile has invalid values at positions {', '.join(bad)}"
        out.append(Violation("base", "payment_history_profile", "code_list", msg))
    first_b = php.find("B")
    if first_b >= 0 and php[first_b:].strip("B"):
        msg = "B (no history) is followed by other values; B may only fill the oldest months"
        out.append(Violation("base", "payment_history_profile", "php_order", msg))
    return out


def check_terms_duration(record: Record) -> list[Violation]:
    """Terms duration is LOC, REV or a three-digit number."""
    raw = record.base.raw("terms_duration")
    if raw.strip() == "" or raw in codes.TERMS_DURATION_CONSTANTS or raw.isdigit():
        return []
    return [
        Violation(
            "base",
            "terms_duration",
            "terms_duration",
            f"terms_duration {raw!r} is not LOC, REV or digits",
        )
    ]


def check_date_order(record: Record) -> list[Violation]:
    """Nothing happens after the Date of Account Information; closing follows opening."""
    base, out = record.base, []
    dai = base.date("date_account_information")
    if dai is not None:
        for name in ("date_opened", "date_first_delinquency", "date_closed", "date_last_payment"):
            value = base.date(name)
            if value is not None and value > dai:
                msg = f"{name} {value} is after date_account_information {dai}"
                out.append(Violation("base", name, "date_order", msg))
    opened, closed = base.date("date_opened"), base.date("date_closed")
    if opened is not None and closed is not None and closed < opened:
        msg = f"date_closed {closed.isoformat()} is before date_opened {opened.isoformat()}"
        out.append(Violation("base", "date_closed", "date_order", msg))
    return out


def check_payment_rating(record: Record) -> list[Violation]:
    """Payment rating present exactly with statuses 05, 13, 65, 88, 89, 94, 95."""
    status = record.base.text("account_status")
    has_rating = not record.base.is_blank("payment_rating")
    if status in codes.STATUSES_NEEDING_PAYMENT_RATING and not has_rating:
        msg = f"account status {status} needs a payment rating"
        return [Violation("base", "payment_rating", "payment_rating_required", msg)]
    if (
        status in codes.ACCOUNT_STATUS
        and status not in codes.STATUSES_NEEDING_PAYMENT_RATING
        and has_rating
    ):
        msg = f"payment rating must be blank with account status {status}"
        return [Violation("base", "payment_rating", "payment_rating_forbidden", msg)]
    return []


def _dofd_reason(base: Segment) -> str | None:
    """Why the CRRG hierarchy needs a DOFD for this base segment, if it does."""
    status, rating = base.text("account_status"), base.text("payment_rating")
    cii = base.text("consumer_information_indicator")
    if status in codes.STATUSES_NEEDING_DOFD:
        return f"account status {status}"
    if status in ("05", "13") and rating in codes.DELINQUENT_PAYMENT_RATINGS:
        return f"account status {status} with payment rating {rating}"
    current = status == "11" or (status in ("05", "13") and rating == "0")
    if current and cii in codes.BANKRUPTCY_INDICATORS:
        return f"consumer information indicator {cii} (the petition date)"
    return None


def check_dofd(record: Record) -> list[Violation]:
    """Date of First Delinquency where the hierarchy needs it, zeros where not."""
    base = record.base
    raw = base.raw("date_first_delinquency")
    absent = set(raw) == {"0"}
    reason = _dofd_reason(base)
    if reason is not None and absent:
        msg = f"{reason} needs a date of first delinquency"
        return [Violation("base", "date_first_delinquency", "dofd_required", msg)]
    if reason is None and not absent and base.text("account_status") in ("11", "05", "13"):
        msg = "no delinquency or bankruptcy calls for a date of first delinquency; zero-fill it"
        return [Violation("base", "date_first_delinquency", "dofd_not_applicable", msg)]
    return []


def check_charge_off_amount(record: Record) -> list[Violation]:
    """Statuses 64 and 97 report the original amount charged to loss."""
    status = record.base.text("account_status")
    if (
        status in codes.STATUSES_NEEDING_CHARGE_OFF_AMOUNT
        and record.base.number("original_charge_off_amount") == 0
    ):
        msg = f"account status {status} needs the original charge-off amount"
        return [Violation("base", "original_charge_off_amount", "charge_off_amount_required", msg)]
    return []


def check_past_due_on_current(record: Record) -> list[Violation]:
    """A current account (status 11) has nothing 30+ days past due."""
    past_due = record.base.number("amount_past_due") or 0
    if record.base.text("account_status") == "11" and past_due > 0:
        msg = f"amount_past_due is {past_due} on a current (11) account; it should be 0"
        return [Violation("base", "amount_past_due", "past_due_on_current", msg)]
    return []


def check_identification_number(record: Record) -> list[Violation]:
    """Furnisher ID: at least 5 characters, no blanks or specials, not all 0s or 9s."""
    value = record.base.raw("identification_number").strip()
    if value == "":
        return []
    if len(value) < 5 or not value.isalnum() or set(value) in ({"0"}, {"9"}):
        msg = f"identification_number {value!r} must be 5+ letters or digits, not all 0s or 9s"
        return [Violation("base", "identification_number", "identification_number", msg)]
    return []


def check_account_number_ssn(record: Record) -> list[Violation]:
    """The consumer account number never contains the SSN."""
    ssn = record.base.raw("social_security_number")
    if not ssn.isdigit() or ssn in _NO_SSN:
        return []
    digits = re.sub(r"\D", "", record.base.raw("consumer_account_number"))
    if ssn not in digits:
        return []
    msg = "consumer_account_number contains the social security number"
    return [Violation("base", "consumer_account_number", "account_number_contains_ssn", msg)]


RECORD_RULES: tuple[RecordRule, ...] = (
    check_payment_history,
    check_terms_duration,
    check_date_order,
    check_payment_rating,
    check_dofd,
    check_charge_off_amount,
    check_past_due_on_current,
    check_identification_number,
    check_account_number_ssn,
)

_AS_OF_DATES = {
    "base": ("date_opened", "date_account_information", "date_first_delinquency", "date_closed",
             "date_last_payment", "date_birth"),
    "J1": ("date_birth",),
    "J2": ("date_birth",),
}  # fmt: skip


def check_future_dates(record: Record, as_of: dt.date) -> list[Violation]:
    """No reported date lies after ``as_of`` (e.g. the file's creation date)."""
    out = []
    for label, seg in _labelled(record):
        for name in _AS_OF_DATES.get(seg.name, ()):
            value = seg.date(name)
            if value is not None and value > as_of:
                msg = f"{name} {value.isoformat()} is in the future (after {as_of.isoformat()})"
                out.append(Violation(label, name, "future_date", msg))
    return out


def _labelled(record: Record) -> Iterator[tuple[str, Segment]]:
    """Segments with report labels: ``base``, ``J1[1]``, ``J2[2]``, ``K1`` ..."""
    yield "base", record.base
    seen: dict[str, int] = {}
    for seg in record.segments:
        seen[seg.name] = seen.get(seg.name, 0) + 1
        yield (
            (f"{seg.name}[{seen[seg.name]}]" if seg.name in REPEATABLE_APPENDAGES else seg.name),
            seg,
        )


def validate_segment(segment: Segment, label: str | None = None) -> list[Violation]:
    """Every segment-level rule for one segment (header and trailer included)."""
    name = label or segment.name
    return [v for rule in SEGMENT_RULES for v in rule(name, segment)]


def validate_header(header: Segment) -> list[Violation]:
    """Format rules for the header record (required fields, dates, numbers)."""
    return validate_segment(header, "header")


def validate_record(record: Record, *, as_of: dt.date | None = None) -> list[Violation]:
    """All violations of one data record, structural problems first.

    ``as_of`` (typically the header's date created) enables ``future_date``.
    """
    out = list(record.problems)
    for label, seg in _labelled(record):
        out += validate_segment(seg, label)
    for rule in RECORD_RULES:
        out += rule(record)
    if as_of is not None:
        out += check_future_dates(record, as_of)
    return out
