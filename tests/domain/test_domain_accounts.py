from __future__ import annotations

import itertools
from datetime import date

import pytest
from domain_factories import account
from hypothesis import given
from hypothesis import strategies as st

from xinyong.domain import (
    AccountStatus,
    DomainError,
    EcoaCode,
    Money,
    MonthlyStatus,
    PaymentHistoryCode,
    PaymentRating,
    Provenance,
    check_payment_history_profile,
    expand_payment_history,
)


def _error(**overrides: object) -> DomainError:
    with pytest.raises(DomainError) as err:
        account(**overrides)
    return err.value


def test_factory_account_is_valid() -> None:
    acc = account()
    assert acc.provenance == Provenance("bank-1", "batch-1", 1)
    assert acc.amount("current_balance_minor") == Money(345_600, "CNY")
    assert acc.amount("charge_off_amount_minor") is None


def test_plain_strings_are_coerced_to_codes() -> None:
    acc = account(
        account_status="71",
        ecoa_code="2",
        portfolio_type="I",
        first_delinquency_date=date(2024, 2, 1),
        compliance_condition="XB",
    )
    assert acc.account_status is AccountStatus.PAST_DUE_30
    assert acc.ecoa_code is EcoaCode.JOINT
    assert acc.compliance_condition is not None and acc.compliance_condition.is_disputed


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"date_opened": date(2024, 4, 1)}, "date_opened", "date_order"),
        ({"date_closed": date(2019, 1, 1)}, "date_closed", "date_order"),
        ({"date_closed": date(2024, 4, 30)}, "date_closed", "date_order"),
        ({"last_payment_date": date(2024, 4, 2)}, "last_payment_date", "date_order"),
        (
            {
                "account_status": AccountStatus.PAST_DUE_30,
                "first_delinquency_date": date(2024, 4, 1),
            },
            "first_delinquency_date",
            "date_order",
        ),
        ({"current_balance_minor": -1}, "current_balance_minor", "non_negative"),
        ({"credit_limit_minor": -100}, "credit_limit_minor", "non_negative"),
        ({"amount_past_due_minor": -5}, "amount_past_due_minor", "non_negative"),
        ({"current_balance_minor": 12.5}, "current_balance_minor", "integer"),
        ({"currency": "RMB"}, "currency", "currency_unknown"),
        ({"currency": "cny"}, "currency", "currency_format"),
        ({"record_no": -1}, "record_no", "non_negative"),
        ({"account_id": " "}, "account_id", "required"),
        ({"account_status": "12"}, "account_status", "unknown_code"),
        ({"ecoa_code": "0"}, "ecoa_code", "unknown_code"),
        ({"portfolio_type": "L"}, "portfolio_type", "unknown_code"),
        ({"account_type": "1"}, "account_type", "account_type_format"),
        ({"special_comment": "a1"}, "special_comment", "special_comment_format"),
        (
            {"account_number_masked": "62220212345678"},
            "account_number_masked",
            "mask_reveals_too_much",
        ),
        ({"date_opened": "2020-05-17"}, "date_opened", "date"),
        ({"account_status": AccountStatus.PAID_OR_CLOSED}, "payment_rating", "required"),
        ({"payment_rating": PaymentRating.CURRENT}, "payment_rating", "not_applicable"),
        ({"account_status": AccountStatus.CHARGE_OFF}, "first_delinquency_date", "required"),
        (
            {
                "account_status": AccountStatus.PAID_OR_CLOSED,
                "payment_rating": PaymentRating.CHARGE_OFF,
            },
            "first_delinquency_date",
            "required",
        ),
        ({"payment_history_profile": "0" * 25}, "payment_history_profile", "profile_length"),
        ({"payment_history_profile": ""}, "payment_history_profile", "profile_length"),
        ({"payment_history_profile": "00Z0"}, "payment_history_profile", "profile_code"),
        ({"payment_history_profile": "00 0"}, "payment_history_profile", "profile_code"),
        ({"payment_history_profile": "00B0BB"}, "payment_history_profile", "profile_b_embedded"),
    ],
)
def test_invariants_name_field_and_rule(
    overrides: dict[str, object], field: str, rule: str
) -> None:
    err = _error(**overrides)
    assert (err.field, err.rule) == (field, rule)


def test_date_opened_equal_to_date_reported_is_fine() -> None:
    account(date_opened=date(2024, 3, 31), last_payment_date=None)


def test_every_field_error_is_reported_at_once() -> None:
    err = _error(current_balance_minor=-1, currency="XXX", account_type="?", record_no=-2)
    assert {(e.field, e.rule) for e in err.errors} == {
        ("current_balance_minor", "non_negative"),
        ("currency", "currency_unknown"),
        ("account_type", "account_type_format"),
        ("record_no", "non_negative"),
    }


def test_debt_buyer_dates_before_opening_are_allowed() -> None:
    acc = account(
        account_status=AccountStatus.COLLECTION,
        date_opened=date(2023, 9, 1),
        first_delinquency_date=date(2022, 11, 30),
        last_payment_date=date(2022, 10, 15),
    )
    assert acc.first_delinquency_date == date(2022, 11, 30)


def test_closing_statuses_with_rating() -> None:
    account(
        account_status=AccountStatus.PAID_OR_CLOSED,
        payment_rating=PaymentRating.CURRENT,
        current_balance_minor=0,
        date_closed=date(2024, 3, 20),
    )
    account(account_status="13", payment_rating="3", first_delinquency_date=date(2023, 1, 31))


def test_status_helpers() -> None:
    past_due = {s for s in AccountStatus if s.is_past_due}
    assert {s.value for s in past_due} == {"71", "78", "80", "82", "83", "84"}
    assert not AccountStatus.CURRENT.is_delinquent
    assert AccountStatus.CHARGE_OFF.is_delinquent and AccountStatus.COLLECTION.is_delinquent
    assert not AccountStatus.PAID_WAS_CHARGE_OFF.is_delinquent
    assert AccountStatus.PAID_WAS_CHARGE_OFF.is_derogatory
    assert {s.value for s in AccountStatus if s.needs_payment_rating} == {
        "05",
        "13",
        "65",
        "88",
        "89",
        "94",
        "95",
    }
    assert AccountStatus.DELETE_FRAUD.is_deletion
    assert AccountStatus.PAST_DUE_90.days_past_due == 90
    assert all(s.meaning for s in AccountStatus)
    assert AccountStatus.PAID_OR_CLOSED.needs_first_delinquency_date(PaymentRating.PAST_DUE_60)
    assert not AccountStatus.PAID_OR_CLOSED.needs_first_delinquency_date(PaymentRating.CURRENT)
    assert not AccountStatus.CURRENT.needs_first_delinquency_date()
    assert AccountStatus.PAID_FORECLOSURE_STARTED.needs_first_delinquency_date()


def test_history_code_meanings_and_days_late() -> None:
    assert [PaymentHistoryCode(c).days_late for c in "0123456"] == [0, 30, 60, 90, 120, 150, 180]
    assert PaymentHistoryCode.NO_DATA.days_late is None
    assert PaymentHistoryCode.CHARGE_OFF.is_derogatory
    assert not PaymentHistoryCode.ZERO_BALANCE.is_derogatory
    assert all(code.meaning for code in PaymentHistoryCode)
    assert all(code.meaning for code in EcoaCode)


def test_profile_first_character_is_the_month_before_date_reported() -> None:
    acc = account(date_reported=date(2024, 3, 31), payment_history_profile="12" + "0" * 20 + "BB")
    rows = acc.monthly_history()
    assert len(rows) == 24
    assert rows[0] == MonthlyStatus("acc-1", date(2024, 2, 1), PaymentHistoryCode.PAST_DUE_30)
    assert rows[1] == MonthlyStatus("acc-1", date(2024, 1, 1), PaymentHistoryCode.PAST_DUE_60)
    assert rows[2].month == date(2023, 12, 1)
    assert rows[-1] == MonthlyStatus("acc-1", date(2022, 3, 1), PaymentHistoryCode.NO_HISTORY)
    assert len(acc.monthly_history(drop_no_history=True)) == 22


def test_short_profiles_and_no_profile() -> None:
    acc = account(
        payment_history_profile="D0", date_reported=date(2024, 1, 15), last_payment_date=None
    )
    rows = acc.monthly_history()
    assert [(r.month, r.status.value) for r in rows] == [
        (date(2023, 12, 1), "D"),
        (date(2023, 11, 1), "0"),
    ]
    assert account(payment_history_profile=None).monthly_history() == []


@given(
    st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)),
    st.text(alphabet="0123456DEGHJKL", min_size=0, max_size=24),
)
def test_expansion_is_consecutive_months(reported: date, history: str) -> None:
    profile = (history + "B" * 24)[:24]
    rows = expand_payment_history("a", profile, reported)
    assert "".join(r.status.value for r in rows) == profile
    months = [r.month for r in rows]
    assert all(m.day == 1 for m in months)
    assert months[0] < reported.replace(day=1)
    for newer, older in itertools.pairwise(months):
        assert (newer.year * 12 + newer.month) - (older.year * 12 + older.month) == 1


@given(st.text(min_size=1, max_size=24))
def test_profile_checker_never_crashes_on_junk(junk: str) -> None:
    try:
        check_payment_history_profile(junk)
    except DomainError as err:
        assert err.rule in {"profile_code", "profile_b_embedded"}


def test_monthly_status_month_must_be_first_day() -> None:
    with pytest.raises(DomainError) as err:
        MonthlyStatus("a", date(2024, 2, 2), PaymentHistoryCode.CURRENT)
    assert err.value.rule == "month_start"


def test_unknown_amount_field() -> None:
    with pytest.raises(DomainError) as err:
        account().amount("account_id")
    assert err.value.rule == "unknown_field"


_JUNK = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.just(object()),
)
_FIELDS = sorted(f for f in account().__dataclass_fields__)


@given(st.dictionaries(st.sampled_from(_FIELDS), _JUNK, min_size=1, max_size=6))
def test_junk_input_raises_domain_error_or_nothing(overrides: dict[str, object]) -> None:
    # Whatever a furnisher sends, the record either builds or says which field is wrong:
    # never a TypeError or AttributeError from inside the checks.
    try:
        account(**overrides)
    except DomainError as err:
        assert all(e.field and e.rule for e in err.errors)
