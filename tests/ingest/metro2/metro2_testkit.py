"""Shared helpers for the Metro 2 tests: sample paths, a clean record, strategies.

Kept as a plain module (not a conftest) because test folders here have no
``__init__.py``; pytest's rootdir-relative import puts this folder on the path.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import strategies as st

from xinyong.ingest.metro2 import Metro2File, Record, Segment, codes, with_trailer_totals
from xinyong.ingest.metro2.model import Value

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "metro2"


def sample(name: str) -> bytes:
    """Bytes of a moov-io sample, or skip when the shared data is absent."""
    path = DATA / name
    if not path.is_file():
        pytest.skip(
            f"Metro 2 sample {name} not found in {DATA.resolve()} (shared reference data absent)"
        )
    return path.read_bytes()


# --- One clean, valid record, for the rule tests ------------------------------

DAI = dt.date(2024, 5, 31)


def clean_base(**overrides: Value) -> Segment:
    """A base segment that passes every rule; ``overrides`` go through build."""
    values: dict[str, Value] = {
        "processing_indicator": 1,
        "time_stamp": dt.datetime(2024, 6, 1, 2, 3, 4),
        "correction_indicator": 0,
        "identification_number": "FURN12345",
        "consumer_account_number": "ACCT0001",
        "portfolio_type": "R",
        "account_type": "18",
        "date_opened": dt.date(2019, 3, 1),
        "credit_limit": 5000,
        "highest_credit": 4200,
        "terms_duration": "REV",
        "terms_frequency": "M",
        "scheduled_monthly_payment_amount": 35,
        "actual_payment_amount": 35,
        "account_status": "11",
        "payment_history_profile": "000000000000BBBBBBBBBBBB",
        "current_balance": 1234,
        "amount_past_due": 0,
        "original_charge_off_amount": 0,
        "date_account_information": DAI,
        "date_last_payment": dt.date(2024, 5, 15),
        "surname": "SMITH-JONES",
        "first_name": "ALEX",
        "social_security_number": 123456789,
        "date_birth": dt.date(1980, 2, 29),
        "telephone_number": 5175550100,
        "ecoa_code": "1",
        "country_code": "US",
        "first_line_address": "1 MAIN STREET",
        "city": "LANSING",
        "state": "MI",
        "zip_code": "48901",
        "address_indicator": "Y",
        "residence_code": "O",
    }
    values.update(overrides)
    return Segment.build("base", values)


def clean_j1(**overrides: Value) -> Segment:
    values: dict[str, Value] = {
        "surname": "SMITH",
        "first_name": "ROBIN",
        "social_security_number": 987654321,
        "date_birth": dt.date(1982, 7, 4),
        "ecoa_code": "2",
    }
    values.update(overrides)
    return Segment.build("J1", values)


def clean_record(base: Segment | None = None, segments: list[Segment] | None = None) -> Record:
    return Record(
        base or clean_base(), segments if segments is not None else [clean_j1()], record_no=1
    )


def mixed_records(n: int) -> list[Record]:
    """Records of two lengths (base alone, base and J1), some faulty (an invalid SSN,
    a negative balance), SSNs repeating: what a fast path must agree with the
    reference on, chunk by chunk."""
    out = []
    for i in range(n):
        base = clean_base(
            consumer_account_number=f"ACCT{i:06d}",
            social_security_number=666000001 if i % 17 == 0 else 123450001 + i % 41,
            current_balance="-00000001" if i % 11 == 0 else i,
        )
        out.append(clean_record(base, [clean_j1()] if i % 3 == 0 else []))
    return out


def clean_header(**overrides: Value) -> Segment:
    values: dict[str, Value] = {
        "activity_date": DAI,
        "date_created": dt.date(2024, 6, 1),
        "reporter_name": "EXAMPLE BANK",
        "reporter_address": "1 BANK PLAZA LANSING MI 48901",
        "reporter_telephone_number": 5175550000,
        "equifax_program_identifier": "EFX0001",
    }
    values.update(overrides)
    return Segment.build("header", values)


def make_file(records: list[Record], header: Segment | None = None) -> Metro2File:
    """A file with renumbered records and a trailer that adds up."""
    numbered = [Record(r.base, list(r.segments), record_no=i) for i, r in enumerate(records, 1)]
    return with_trailer_totals(
        Metro2File(header or clean_header(), numbered, Segment.build("trailer"))
    )


# --- Hypothesis strategies for valid files -----------------------------------

_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
_VISIBLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
_dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2035, 12, 31))


def text(width: int, *, required: bool = False) -> st.SearchStrategy[str]:
    """Printable ASCII that fits ``width``; non-blank when ``required``."""
    if required:
        return st.builds(lambda a, b: a + b, _VISIBLE, st.text(_PRINTABLE, max_size=width - 1))
    return st.text(_PRINTABLE, max_size=width)


def code(code_list: object, *, optional: bool = False) -> st.SearchStrategy[str]:
    values = sorted(code_list)  # type: ignore[call-overload]
    strategy = st.sampled_from(values)
    return st.one_of(st.just(""), strategy) if optional else strategy


def _before(limit: dt.date) -> st.SearchStrategy[dt.date]:
    return st.dates(min_value=dt.date(1950, 1, 1), max_value=limit)


def _amount() -> st.SearchStrategy[int]:
    return st.integers(0, 999_999_999)


_NON_BANKRUPTCY_CII = sorted(
    set(codes.CONSUMER_INFORMATION_INDICATOR) - codes.BANKRUPTCY_INDICATORS
)


@st.composite
def _person(draw: st.DrawFn, name: str) -> dict[str, Value]:
    """Identity fields shared by base, J1 and J2 (always with a DOB)."""
    return {
        "surname": draw(text(25, required=True)),
        "first_name": draw(text(20, required=True)),
        "middle_name": draw(text(20)),
        "generation_code": draw(code(codes.GENERATION_CODE, optional=True)),
        "social_security_number": draw(st.one_of(st.just(0), st.integers(1, 999_999_998))),
        "date_birth": draw(_before(dt.date(2006, 1, 1))),
        "telephone_number": draw(st.one_of(st.just(0), st.integers(2_000_000_000, 9_999_999_999))),
        "ecoa_code": draw(code(codes.ECOA)),
        "consumer_information_indicator": draw(st.sampled_from(["", *_NON_BANKRUPTCY_CII])),
    }


def _address(draw: st.DrawFn) -> dict[str, Value]:
    return {
        "country_code": draw(st.sampled_from(["", "US"])),
        "first_line_address": draw(text(32, required=True)),
        "second_line_address": draw(text(32)),
        "city": draw(text(20, required=True)),
        "state": draw(st.from_regex(r"[A-Z]{2}", fullmatch=True)),
        "zip_code": draw(st.from_regex(r"[0-9]{5}([0-9]{4})?", fullmatch=True)),
        "address_indicator": draw(code(codes.ADDRESS_INDICATOR, optional=True)),
        "residence_code": draw(code(codes.RESIDENCE_CODE, optional=True)),
    }


@st.composite
def valid_bases(draw: st.DrawFn) -> Segment:
    """Base segments that satisfy every rule in ``rules.py``."""
    dai = draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 12, 31)))
    opened = draw(_before(dai))
    status = draw(code(codes.ACCOUNT_STATUS))
    rating = (
        draw(code(codes.PAYMENT_RATING)) if status in codes.STATUSES_NEEDING_PAYMENT_RATING else ""
    )
    needs_dofd = status in codes.STATUSES_NEEDING_DOFD or (
        status in ("05", "13") and rating in codes.DELINQUENT_PAYMENT_RATINGS
    )
    if needs_dofd:
        dofd: dt.date | None = draw(_before(dai))
    elif status in ("11", "05", "13"):
        dofd = None
    else:
        dofd = draw(st.one_of(st.none(), _before(dai)))
    history = draw(
        st.text(st.sampled_from(sorted(set(codes.PAYMENT_HISTORY) - {"B"})), max_size=24)
    )
    values: dict[str, Value] = {
        "processing_indicator": 1,
        "time_stamp": draw(
            st.one_of(st.none(), st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2035, 1, 1)))
        ),
        "correction_indicator": draw(st.sampled_from([0, 1])),
        "identification_number": draw(
            st.from_regex(r"[A-Z0-9]{5,20}", fullmatch=True).filter(
                lambda s: set(s) not in ({"0"}, {"9"})
            )
        ),
        "cycle_identifier": draw(st.from_regex(r"([0-9]{2})?", fullmatch=True)),
        "consumer_account_number": draw(st.from_regex(r"[A-Z]{1,20}[0-9]{0,8}", fullmatch=True)),
        "portfolio_type": draw(code(codes.PORTFOLIO_TYPE)),
        "account_type": draw(code(codes.ACCOUNT_TYPE)),
        "date_opened": opened,
        "credit_limit": draw(_amount()),
        "highest_credit": draw(_amount()),
        "terms_duration": draw(
            st.one_of(
                code(codes.TERMS_DURATION_CONSTANTS), st.from_regex(r"[0-9]{3}", fullmatch=True)
            )
        ),
        "terms_frequency": draw(code(codes.TERMS_FREQUENCY, optional=True)),
        "scheduled_monthly_payment_amount": draw(_amount()),
        "actual_payment_amount": draw(_amount()),
        "account_status": status,
        "payment_rating": rating,
        "payment_history_profile": history.ljust(24, "B"),
        "special_comment": draw(code(codes.SPECIAL_COMMENT, optional=True)),
        "compliance_condition_code": draw(code(codes.COMPLIANCE_CONDITION, optional=True)),
        "current_balance": draw(_amount()),
        "amount_past_due": 0 if status == "11" else draw(_amount()),
        "original_charge_off_amount": draw(
            st.integers(1, 999_999_999)
            if status in codes.STATUSES_NEEDING_CHARGE_OFF_AMOUNT
            else _amount()
        ),
        "date_account_information": dai,
        "date_first_delinquency": dofd,
        "date_closed": draw(st.one_of(st.none(), st.dates(min_value=opened, max_value=dai))),
        "date_last_payment": draw(st.one_of(st.none(), _before(dai))),
        "interest_type_indicator": draw(code(codes.INTEREST_TYPE, optional=True)),
        **draw(_person("base")),
        **_address(draw),
    }
    return Segment.build("base", values)


@st.composite
def valid_appendages(draw: st.DrawFn) -> list[Segment]:
    """Zero or more J1, J2 and at most one of each K1..N1, in CRRG order."""
    out = [Segment.build("J1", draw(_person("J1"))) for _ in range(draw(st.integers(0, 2)))]
    for _ in range(draw(st.integers(0, 2))):
        out.append(Segment.build("J2", {**draw(_person("J2")), **_address(draw)}))
    optional: list[tuple[str, dict[str, st.SearchStrategy[Value]]]] = [
        (
            "K1",
            {
                "original_creditor_name": text(30, required=True),
                "creditor_classification": code(codes.CREDITOR_CLASSIFICATION),
            },
        ),
        (
            "K2",
            {
                "purchased_indicator": code(codes.PURCHASED_INDICATOR),
                "purchased_name": text(30, required=True),
            },
        ),
        (
            "K3",
            {
                "agency_identifier": code(codes.AGENCY_IDENTIFIER),
                "account_number": text(18),
                "mortgage_identification_number": text(18),
            },
        ),
        (
            "K4",
            {
                "specialized_payment_indicator": code(codes.SPECIALIZED_PAYMENT_INDICATOR),
                "deferred_payment_start_date": st.one_of(st.none(), _dates),
                "balloon_payment_due_date": st.one_of(st.none(), _dates),
                "balloon_payment_amount": _amount(),
            },
        ),
        (
            "L1",
            {
                "change_indicator": code(codes.CHANGE_INDICATOR),
                "new_consumer_account_number": text(30),
                "new_identification_number": text(20),
            },
        ),
        (
            "N1",
            {
                "employer_name": text(30, required=True),
                "employer_city": text(20),
                "occupation": text(18),
            },
        ),
    ]
    for name, fields in optional:
        if draw(st.booleans()):
            out.append(Segment.build(name, {k: draw(v) for k, v in fields.items()}))
    return out


@st.composite
def valid_records(draw: st.DrawFn) -> Record:
    return Record(draw(valid_bases()), draw(valid_appendages()), record_no=1)


@st.composite
def valid_headers(draw: st.DrawFn) -> Segment:
    values: dict[str, Value] = {
        "cycle_identifier": draw(st.from_regex(r"([0-9]{2})?", fullmatch=True)),
        "equifax_program_identifier": draw(text(10)),
        "trans_union_program_identifier": draw(text(10)),
        "activity_date": draw(_dates),
        "date_created": draw(_dates),
        "program_date": draw(st.one_of(st.none(), _dates)),
        "reporter_name": draw(text(40, required=True)),
        "reporter_address": draw(text(96, required=True)),
        "reporter_telephone_number": draw(st.integers(0, 9_999_999_999)),
        "software_vendor_name": draw(text(40)),
    }
    return Segment.build("header", values)


@st.composite
def valid_files(draw: st.DrawFn) -> Metro2File:
    records = draw(st.lists(valid_records(), max_size=3))
    return make_file(records, draw(valid_headers()))
