"""CN unified social credit codes (GB 32100-2015), checked with stdnum's MOD 31."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from id_strategies import USCC_ALPHABET, USCC_AUTHORITIES, cn_usccs, make_uscc
from stdnum.cn import uscc as stdnum_uscc

from xinyong.identifiers import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
    cn_uscc,
)

VALID = "91110000600037341L"  # stdnum's own example


def test_known_valid_code() -> None:
    assert cn_uscc.validate(VALID) == VALID
    assert cn_uscc.check(VALID).country == "CN"
    assert cn_uscc.validate("9 1 110000 600037341l") == VALID
    assert cn_uscc.format("91-110000-600037341L") == VALID
    assert cn_uscc.mask(VALID) == "*" * 14 + "341L"


def test_letter_registration_authorities_are_accepted_though_stdnum_rejects_them() -> None:
    # N2...: rural collective economic organisations, registered by agriculture authorities.
    number = make_uscc("N2330782MF0000000")
    assert not stdnum_uscc.is_valid(number)
    assert cn_uscc.validate(number) == number


@pytest.mark.parametrize(
    ("text", "error", "rule"),
    [
        ("12345", InvalidLength, Rule.LENGTH),
        ("91110000600037341L0", InvalidLength, Rule.LENGTH),
        ("9111000060003734IL", InvalidFormat, Rule.FORMAT),  # I is not in the alphabet
        ("9A110000600037341L", InvalidFormat, Rule.FORMAT),  # entity type must be a digit
        ("911A0000600037341L", InvalidFormat, Rule.FORMAT),  # region must be digits
        (make_uscc("01110000600037341"), InvalidComponent, Rule.REGISTRATION_AUTHORITY),
        (make_uscc("B1110000600037341"), InvalidComponent, Rule.REGISTRATION_AUTHORITY),
        ("91110000600037341M", InvalidChecksum, Rule.CHECKSUM),
    ],
)
def test_invalid_codes_raise_typed_errors_with_rule(
    text: str, error: type[InvalidIdentifier], rule: str
) -> None:
    with pytest.raises(error) as caught:
        cn_uscc.validate(text)
    assert caught.value.rule == rule
    assert not cn_uscc.is_valid(text)


@settings(max_examples=60)
@given(cn_usccs())
def test_generated_valid_codes_pass(number: str) -> None:
    assert cn_uscc.validate(number) == number
    if number[0].isdigit():
        assert stdnum_uscc.is_valid(number)


def _allowed(position: int) -> str:
    if position == 0:
        return USCC_AUTHORITIES
    if position < 8:
        return "0123456789"
    return USCC_ALPHABET


@settings(max_examples=30)
@given(cn_usccs())
def test_every_single_substitution_is_caught(number: str) -> None:
    # GB 32100 MOD 31: weights 3^i mod 31 are never 0 and two alphabet values differ
    # by 1..30, so with 31 prime no single substitution keeps the sum. A substitution
    # that breaks the layout is caught earlier, as a format/authority error.
    for i, old in enumerate(number):
        for new in USCC_ALPHABET:
            if new == old:
                continue
            mutant = number[:i] + new + number[i + 1 :]
            with pytest.raises(InvalidIdentifier) as caught:
                cn_uscc.validate(mutant)
            if new in _allowed(i):
                assert caught.value.rule == Rule.CHECKSUM
            else:
                assert caught.value.rule in (Rule.FORMAT, Rule.REGISTRATION_AUTHORITY)


def _ground_truth(text: str) -> bool:
    """stdnum's verdict, widened by the letter authorities and narrowed by no '0' authority."""
    if len(text) != 18 or text[0] not in USCC_AUTHORITIES:
        return False
    if text[0].isdigit():
        return bool(stdnum_uscc.is_valid(text))
    return (
        text[1:8].isdigit()
        and all(c in USCC_ALPHABET for c in text)
        and text[-1] == stdnum_uscc.calc_check_digit(text)
    )


@settings(max_examples=100)
@given(
    st.one_of(
        st.text(alphabet=USCC_ALPHABET, min_size=18, max_size=18),
        cn_usccs(),
        st.text(alphabet=USCC_ALPHABET + "IOSVZ-", max_size=20),
    )
)
def test_verdict_agrees_with_ground_truth(text: str) -> None:
    assert cn_uscc.is_valid(text) == _ground_truth(cn_uscc.compact(text))
