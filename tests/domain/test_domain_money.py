from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xinyong.domain import DomainError, Money, minor_unit_exponent
from xinyong.domain.money import MINOR_UNIT_EXPONENTS


def test_exponents_of_common_currencies() -> None:
    assert {
        c: minor_unit_exponent(c) for c in ("CNY", "USD", "EUR", "GBP", "HKD")
    } == dict.fromkeys(("CNY", "USD", "EUR", "GBP", "HKD"), 2)
    assert minor_unit_exponent("JPY") == 0
    assert minor_unit_exponent("KRW") == 0
    assert minor_unit_exponent("KWD") == 3
    assert minor_unit_exponent("CLF") == 4


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("cny", "currency_format"),
        ("CN", "currency_format"),
        ("CNYY", "currency_format"),
        ("QQQ", "currency_unknown"),
        ("XAU", "currency_unknown"),
    ],
)
def test_bad_currency_is_refused(code: str, rule: str) -> None:
    with pytest.raises(DomainError) as err:
        Money(100, code)
    assert err.value.field == "currency"
    assert err.value.rule == rule


def test_amount_must_be_an_int() -> None:
    with pytest.raises(DomainError) as err:
        Money(1.5, "USD")  # type: ignore[arg-type]
    assert err.value.rule == "integer"
    with pytest.raises(DomainError):
        Money(True, "USD")


def test_same_currency_arithmetic() -> None:
    a, b = Money(1050, "CNY"), Money(250, "CNY")
    assert a + b == Money(1300, "CNY")
    assert a - b == Money(800, "CNY")
    assert b - a == Money(-800, "CNY")
    assert -a == Money(-1050, "CNY")
    assert abs(Money(-5, "CNY")) == Money(5, "CNY")
    assert a * 3 == 3 * a == Money(3150, "CNY")
    assert b < a and a > b and a >= a and b <= b
    assert sum([a, b], Money.zero("CNY")) == Money(1300, "CNY")
    assert Money.zero("JPY").is_zero


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_currency_mismatch_raises(op: object) -> None:
    with pytest.raises(DomainError) as err:
        op(Money(100, "CNY"), Money(100, "USD"))  # type: ignore[operator]
    assert err.value.rule == "currency_mismatch"


def test_equal_amounts_in_other_currencies_are_not_equal() -> None:
    assert Money(100, "CNY") != Money(100, "USD")


def test_no_float_multiplication() -> None:
    with pytest.raises(TypeError):
        Money(100, "USD") * 1.5  # type: ignore[operator]


def test_from_decimal_uses_the_exponent() -> None:
    assert Money.from_decimal("12.34", "CNY") == Money(1234, "CNY")
    assert Money.from_decimal(Decimal("12.3"), "USD") == Money(1230, "USD")
    assert Money.from_decimal("1500", "JPY") == Money(1500, "JPY")
    assert Money.from_decimal("1.234", "KWD") == Money(1234, "KWD")
    assert Money.from_decimal(7, "EUR") == Money(700, "EUR")
    assert Money.from_decimal("-0.01", "GBP") == Money(-1, "GBP")


def test_from_decimal_refuses_lost_precision_and_floats() -> None:
    with pytest.raises(DomainError) as err:
        Money.from_decimal("12.345", "CNY")
    assert err.value.rule == "too_precise"
    with pytest.raises(DomainError) as err:
        Money.from_decimal("1.5", "JPY")
    assert err.value.rule == "too_precise"
    with pytest.raises(DomainError) as err:
        Money.from_decimal(12.34, "CNY")  # type: ignore[arg-type]
    assert err.value.rule == "float_forbidden"
    for junk in ("abc", "NaN", "Infinity", ""):
        with pytest.raises(DomainError) as err:
            Money.from_decimal(junk, "CNY")
        assert err.value.rule == "not_a_number"


def test_from_decimal_rounds_only_on_request() -> None:
    assert Money.from_decimal("12.349", "USD", rounding=ROUND_DOWN) == Money(1234, "USD")
    assert Money.from_decimal("0.125", "USD", rounding=ROUND_HALF_EVEN) == Money(12, "USD")


def test_to_decimal_and_str() -> None:
    assert Money(1234, "CNY").to_decimal() == Decimal("12.34")
    assert str(Money(1234, "CNY")) == "CNY 12.34"
    assert str(Money(5, "USD")) == "USD 0.05"
    assert str(Money(1500, "JPY")) == "JPY 1500"
    assert str(Money(1, "KWD")) == "KWD 0.001"


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(sorted(MINOR_UNIT_EXPONENTS)),
)
def test_decimal_round_trip(amount: int, currency: str) -> None:
    money = Money(amount, currency)
    assert Money.from_decimal(money.to_decimal(), currency) == money
    assert Money.from_decimal(str(money.to_decimal()), currency) == money


@given(st.integers(), st.integers(), st.integers())
def test_addition_is_exact_and_associative(a: int, b: int, c: int) -> None:
    x, y, z = Money(a, "USD"), Money(b, "USD"), Money(c, "USD")
    assert (x + y) + z == x + (y + z) == Money(a + b + c, "USD")
    assert x + y - y == x
