"""Each validation rule fires on the fault it names, and only faults fire.

Every case starts from one clean record (which must validate clean), plants
one fault, and expects the rule code and field. A final check proves the
cases cover every code in ``RULE_CODES``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from metro2_testkit import clean_base, clean_header, clean_j1, clean_record, valid_records

from xinyong.ingest.metro2 import (
    Record,
    Segment,
    parse_data_record,
    validate_header,
    validate_record,
)
from xinyong.ingest.metro2.codec import encode_segment
from xinyong.ingest.metro2.model import Value
from xinyong.ingest.metro2.rules import RULE_CODES

Case = tuple[str, Callable[[], Record], str, str]


def base(**kw: Value) -> Callable[[], Record]:
    return lambda: clean_record(clean_base(**kw))


def with_segments(*segments: Segment) -> Callable[[], Record]:
    return lambda: clean_record(clean_base(), list(segments))


def raw_record(tail: bytes) -> Callable[[], Record]:
    """A record whose appended bytes are ``tail`` (for structural problems)."""

    def build() -> Record:
        body_len = 426 + len(tail)
        return parse_data_record(encode_segment(clean_base(), rdw=body_len) + tail)

    return build


J1 = encode_segment(clean_j1())
K1 = encode_segment(Segment.build("K1", original_creditor_name="SHOP", creditor_classification=1))
L1 = encode_segment(Segment.build("L1", change_indicator=1, new_consumer_account_number="NEW1"))

CASES: list[Case] = [
    # id, record, "segment.field", rule
    ("blank surname", base(surname=""), "base.surname", "required"),
    ("zero date opened", base(date_opened=None), "base.date_opened", "required"),
    ("blank J1 first name", with_segments(clean_j1(first_name="")), "J1[1].first_name", "required"),
    (
        "K2 without name",
        with_segments(Segment.build("K2", purchased_indicator=1)),
        "K2.purchased_name",
        "required",
    ),
    ("letters in amount", base(credit_limit="12AB56789"), "base.credit_limit", "numeric"),
    ("blank telephone", base(telephone_number="          "), "base.telephone_number", "numeric"),
    ("30 February", base(date_closed="02302024"), "base.date_closed", "date"),
    ("blank optional date", base(date_closed="        "), "base.date_closed", "date"),
    ("bad timestamp", base(time_stamp="13012024250000"), "base.time_stamp", "date"),
    ("status 99", base(account_status="99"), "base.account_status", "code_list"),
    ("obsolete ECOA 4", base(ecoa_code="4"), "base.ecoa_code", "code_list"),
    ("portfolio L (moov only)", base(portfolio_type="L"), "base.portfolio_type", "code_list"),
    ("unknown special comment", base(special_comment="ZZ"), "base.special_comment", "code_list"),
    (
        "bad CCC",
        base(compliance_condition_code="XZ"),
        "base.compliance_condition_code",
        "code_list",
    ),
    (
        "obsolete CII W",
        base(consumer_information_indicator="W"),
        "base.consumer_information_indicator",
        "code_list",
    ),
    (
        "K1 class 16",
        with_segments(Segment.build("K1", original_creditor_name="X", creditor_classification=16)),
        "K1.creditor_classification",
        "code_list",
    ),
    (
        "PHP Z",
        base(payment_history_profile="Z00000000000BBBBBBBBBBBB"),
        "base.payment_history_profile",
        "code_list",
    ),
    (
        "PHP embedded B",
        base(payment_history_profile="00B000000000BBBBBBBBBBBB"),
        "base.payment_history_profile",
        "php_order",
    ),
    ("terms ABC", base(terms_duration="ABC"), "base.terms_duration", "terms_duration"),
    ("negative balance", base(current_balance="-00001234"), "base.current_balance", "non_negative"),
    (
        "overpunched negative",
        base(
            amount_past_due="00000123}",
            account_status="71",
            date_first_delinquency=dt.date(2024, 3, 1),
        ),
        "base.amount_past_due",
        "non_negative",
    ),
    ("opened after DAI", base(date_opened=dt.date(2024, 6, 1)), "base.date_opened", "date_order"),
    (
        "DOFD after DAI",
        base(account_status="71", date_first_delinquency=dt.date(2024, 7, 1)),
        "base.date_first_delinquency",
        "date_order",
    ),
    (
        "closed before opened",
        base(date_closed=dt.date(2018, 1, 1)),
        "base.date_closed",
        "date_order",
    ),
    (
        "status 13 without rating",
        base(account_status="13"),
        "base.payment_rating",
        "payment_rating_required",
    ),
    (
        "status 05 without rating",
        base(account_status="05"),
        "base.payment_rating",
        "payment_rating_required",
    ),
    (
        "status 11 with rating",
        base(payment_rating="0"),
        "base.payment_rating",
        "payment_rating_forbidden",
    ),
    (
        "status 97 without DOFD",
        base(account_status="97", original_charge_off_amount=900),
        "base.date_first_delinquency",
        "dofd_required",
    ),
    (
        "status 61 without DOFD",
        base(account_status="61", current_balance=0),
        "base.date_first_delinquency",
        "dofd_required",
    ),
    (
        "13 rated 2 without DOFD",
        base(account_status="13", payment_rating="2"),
        "base.date_first_delinquency",
        "dofd_required",
    ),
    (
        "bankrupt current without DOFD",
        base(consumer_information_indicator="D"),
        "base.date_first_delinquency",
        "dofd_required",
    ),
    (
        "current with DOFD",
        base(date_first_delinquency=dt.date(2023, 1, 1)),
        "base.date_first_delinquency",
        "dofd_not_applicable",
    ),
    (
        "charge-off amount missing",
        base(account_status="64", date_first_delinquency=dt.date(2022, 1, 1)),
        "base.original_charge_off_amount",
        "charge_off_amount_required",
    ),
    (
        "past due on current",
        base(amount_past_due=100),
        "base.amount_past_due",
        "past_due_on_current",
    ),
    (
        "furnisher ID zeros",
        base(identification_number="0000000"),
        "base.identification_number",
        "identification_number",
    ),
    (
        "furnisher ID short",
        base(identification_number="AB12"),
        "base.identification_number",
        "identification_number",
    ),
    (
        "SSN in account number",
        base(consumer_account_number="X-123456789-01"),
        "base.consumer_account_number",
        "account_number_contains_ssn",
    ),
    (
        "no SSN no DOB",
        base(social_security_number=999999999, date_birth=None),
        "base.social_security_number",
        "ssn_or_dob_required",
    ),
    (
        "J1 no SSN no DOB",
        with_segments(clean_j1(social_security_number=0, date_birth=None)),
        "J1[1].social_security_number",
        "ssn_or_dob_required",
    ),
    (
        "authorised user no DOB",
        with_segments(clean_j1(ecoa_code="3", date_birth=None)),
        "J1[1].date_birth",
        "dob_required_authorized_user",
    ),
    ("unknown segment", raw_record(b"Q9" + b"x" * 20), "record.", "unknown_segment"),
    ("truncated segment", raw_record(J1[:60]), "J1.", "segment_truncated"),
    ("L1 before K1", raw_record(L1 + K1), "K1.", "segment_order"),
    ("two K1", raw_record(K1 + K1), "K1.", "segment_repeated"),
]


def test_clean_record_is_clean() -> None:
    assert validate_record(clean_record()) == []
    assert validate_header(clean_header()) == []


@pytest.mark.parametrize(("name", "build", "where", "rule"), CASES, ids=[c[0] for c in CASES])
def test_rule_fires(name: str, build: Callable[[], Record], where: str, rule: str) -> None:
    violations = validate_record(build())
    hits = [(f"{v.segment}.{v.field}", v.rule) for v in violations]
    assert (where, rule) in hits, violations
    assert all(v.message for v in violations)


def test_only_the_planted_fault_fires() -> None:
    """A single fault is not echoed by other rules (no duplicate reports)."""
    violations = validate_record(base(surname="")())
    assert [(v.field, v.rule) for v in violations] == [("surname", "required")]


def test_packed_problem_is_reported() -> None:
    data = bytearray(encode_segment(clean_base(), packed=True, rdw=366))
    data[69:74] = b"\x01\x02\x03\x04\x05"  # date opened: not 00 .. 73
    record = parse_data_record(bytes(data), packed=True)
    hits = [(v.field, v.rule) for v in validate_record(record)]
    assert ("date_opened", "packed") in hits
    assert ("date_opened", "date") not in hits  # reported once, by the reader


def test_future_date_needs_as_of() -> None:
    record = clean_record()
    assert validate_record(record, as_of=dt.date(2024, 6, 1)) == []
    hits = [(v.field, v.rule) for v in validate_record(record, as_of=dt.date(2024, 5, 1))]
    assert ("date_account_information", "future_date") in hits
    assert ("date_last_payment", "future_date") in hits


def test_three_faults_are_all_reported() -> None:
    record = clean_record(
        clean_base(surname="", account_status="99", date_opened=dt.date(2025, 1, 1)),
        [clean_j1(ecoa_code="Q")],
    )
    hits = {(v.segment, v.field, v.rule) for v in validate_record(record)}
    assert {
        ("base", "surname", "required"),
        ("base", "account_status", "code_list"),
        ("base", "date_opened", "date_order"),
        ("J1[1]", "ecoa_code", "code_list"),
    } <= hits


def test_header_rules() -> None:
    hits = {
        (v.field, v.rule)
        for v in validate_header(clean_header(reporter_name="", activity_date="13132024"))
    }
    assert hits == {("reporter_name", "required"), ("activity_date", "date")}


def test_every_rule_code_has_a_case() -> None:
    covered = {c[3] for c in CASES} | {"packed", "future_date"}
    assert covered == RULE_CODES


def test_moov_sample_values_that_moov_accepts_are_flagged() -> None:
    """moov's sample opens the account 17 years after its information date."""
    from metro2_testkit import sample

    from xinyong.ingest.metro2 import read

    record = read(sample("unpacked_fixed_file.dat")).records[0]
    rules = {(v.field, v.rule) for v in validate_record(record)}
    assert rules == {("date_opened", "date_order"), ("date_closed", "date_order")}


@settings(max_examples=60, deadline=None)
@given(valid_records())
def test_generated_valid_records_pass_every_rule(record: Record) -> None:
    assert validate_record(record) == []
