"""CN resident identity numbers: stdnum's checks, plus our area-code and birth-date policy."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from id_strategies import CURRENT_AREA_CODES, RETIRED_AREA_CODES, cn_rics, make_ric
from stdnum.cn import ric as stdnum_ric
from stdnum.exceptions import InvalidComponent as StdnumInvalidComponent

from xinyong.identifiers import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
    cn_ric,
)

VALID = "11010519491231002X"  # 北京市朝阳区, born 1949-12-31


def test_known_valid_number() -> None:
    assert stdnum_ric.is_valid(VALID)
    assert cn_ric.validate(VALID) == VALID
    assert cn_ric.is_valid(VALID)
    assert cn_ric.check(VALID).warnings == ()
    assert cn_ric.check(VALID).country == "CN"
    assert cn_ric.birth_date(VALID) == datetime.date(1949, 12, 31)


@pytest.mark.parametrize(
    "text",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002X",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width, as Chinese input methods type it
        "110105\u300019491231\u00a0002X",  # ideographic and no-break spaces
    ],
)
def test_formatting_variants_compact_to_one_value(text: str) -> None:
    assert cn_ric.compact(text) == VALID
    assert cn_ric.validate(text) == VALID
    assert cn_ric.format(text) == VALID


def test_mask_shows_last_four_only() -> None:
    assert cn_ric.mask(VALID) == "*" * 14 + "002X"


@pytest.mark.parametrize(
    ("text", "error", "rule"),
    [
        ("", InvalidLength, Rule.LENGTH),
        ("11010519491231002", InvalidLength, Rule.LENGTH),
        ("11010519491231002X1", InvalidLength, Rule.LENGTH),
        ("1101051949123100XX", InvalidFormat, Rule.FORMAT),
        ("11010519491231002A", InvalidFormat, Rule.FORMAT),
        ("110105194912310021", InvalidChecksum, Rule.CHECKSUM),
        (make_ric("110105", "19490230"), InvalidComponent, Rule.BIRTH_DATE),
        (make_ric("110105", "19491301"), InvalidComponent, Rule.BIRTH_DATE),
        (make_ric("110105", "00010101"), InvalidComponent, Rule.BIRTH_DATE),
        (make_ric("110105", "18000101"), InvalidComponent, Rule.BIRTH_DATE),
        (make_ric("110105", "29991231"), InvalidComponent, Rule.BIRTH_DATE),
    ],
)
def test_invalid_numbers_raise_typed_errors_with_rule(
    text: str, error: type[InvalidIdentifier], rule: str
) -> None:
    with pytest.raises(error) as caught:
        cn_ric.validate(text)
    assert caught.value.rule == rule
    assert caught.value.scheme == "cn_ric"
    assert not cn_ric.is_valid(text)


def test_stdnum_alone_accepts_absurd_birth_years() -> None:
    # Why we add the plausibility window on top of stdnum.
    assert stdnum_ric.is_valid(make_ric("110105", "00010101"))
    assert stdnum_ric.is_valid(make_ric("110105", "29991231"))


def test_future_birth_date_is_relative_to_today() -> None:
    number = make_ric("110105", "20300101")
    assert cn_ric.check(number, today=datetime.date(2031, 1, 1)).value == number
    with pytest.raises(InvalidComponent) as caught:
        cn_ric.check(number, today=datetime.date(2029, 12, 31))
    assert caught.value.rule == Rule.BIRTH_DATE


def test_retired_area_code_is_accepted_with_a_warning() -> None:
    number = make_ric("110103", "19800101")  # 崇文区, merged into 东城区 in 2010
    assert cn_ric.area_code("110103").retired_after == 2010
    result = cn_ric.check(number)
    assert result.value == number
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith(f"{cn_ric.WARNING_AREA_CODE_RETIRED}:")
    assert cn_ric.is_valid(number)


def test_retired_code_used_after_retirement_is_still_accepted_with_warning() -> None:
    # stdnum rejects this (no period of 110103 covers 2012); a real card may still carry it.
    number = make_ric("110103", "20120101")
    assert not stdnum_ric.is_valid(number)
    assert cn_ric.check(number).warnings


@settings(max_examples=40)
@given(cn_rics(RETIRED_AREA_CODES))
def test_every_retired_code_is_accepted_with_exactly_one_warning(number: str) -> None:
    result = cn_ric.check(number)
    assert result.value == number
    assert [w.split(":")[0] for w in result.warnings] == [cn_ric.WARNING_AREA_CODE_RETIRED]


@pytest.mark.parametrize(
    ("area", "born"),
    [
        ("500101", "19850101"),  # Chongqing codes exist from 1997; first card issued later
        ("810000", "19900101"),  # Hong Kong residence permit, code from 1997
        ("820000", "19800101"),  # Macao residence permit, code from 1999
        ("830000", "19700101"),  # Taiwan residence permit, not in GB/T 2260 at all
    ],
)
def test_real_numbers_that_stdnum_rejects_are_accepted_without_warning(
    area: str, born: str
) -> None:
    number = make_ric(area, born)
    assert not stdnum_ric.is_valid(number)
    assert cn_ric.check(number).warnings == ()


@pytest.mark.parametrize(
    ("area", "message"),
    [
        ("001234", "not a province"),
        ("200101", "not a province"),
        ("990000", "not a province"),
        ("840000", "not a province"),
        ("110199", "never"),  # Beijing, but no such division ever
    ],
)
def test_unknown_area_code_is_rejected(area: str, message: str) -> None:
    number = make_ric(area, "19800101")
    with pytest.raises(InvalidComponent) as caught:
        cn_ric.validate(number)
    assert caught.value.rule == Rule.AREA_CODE
    assert message in caught.value.message


def test_birth_date_refuses_invalid_numbers() -> None:
    with pytest.raises(InvalidChecksum):
        cn_ric.birth_date("110105194912310021")


@settings(max_examples=60)
@given(cn_rics())
def test_generated_valid_numbers_pass_and_agree_with_stdnum(number: str) -> None:
    result = cn_ric.check(number)
    assert result.value == number
    assert result.warnings == ()
    assert cn_ric.birth_date(number) == stdnum_ric.get_birth_date(number)
    if not stdnum_ric.is_valid(number):
        # The only disagreement allowed: stdnum's birth-year window on the area code.
        with pytest.raises(StdnumInvalidComponent):
            stdnum_ric.get_birth_place(number)


def _substitutions(number: str) -> list[str]:
    """Every single-character change within the allowed alphabet of each position."""
    mutants = []
    for i, old in enumerate(number):
        alphabet = "0123456789X" if i == 17 else "0123456789"
        mutants += [number[:i] + new + number[i + 1 :] for new in alphabet if new != old]
    return mutants


@settings(max_examples=30)
@given(cn_rics())
def test_every_single_substitution_is_caught_by_the_checksum(number: str) -> None:
    # ISO 7064 MOD 11-2: weights 2^k mod 11 are never 0 and digit changes are 1..9,
    # so (weight * change) is never 0 mod the prime 11, and the check position is
    # compared directly: every single substitution changes the verdict.
    for mutant in _substitutions(number):
        assert not stdnum_ric.is_valid(mutant)
        with pytest.raises(InvalidChecksum):
            cn_ric.validate(mutant)


@settings(max_examples=100)
@given(st.text(alphabet="0123456789X", min_size=18, max_size=18))
def test_verdict_agrees_with_stdnum_where_stdnum_has_no_area_window(text: str) -> None:
    ours = cn_ric.is_valid(text)
    syntax_ok = text[:17].isdigit() and text[-1] == stdnum_ric.calc_check_digit(text)
    if not syntax_ok:
        assert not ours
        assert not stdnum_ric.is_valid(text)
    elif stdnum_ric.is_valid(text) and stdnum_ric.get_birth_date(text).year >= 1850:
        assert ours or stdnum_ric.get_birth_date(text) > datetime.date.today()


def test_area_code_lists_are_non_trivial() -> None:
    # Guards the strategies (and our policy) against a stdnum data change.
    assert "110105" in CURRENT_AREA_CODES
    assert "110103" in RETIRED_AREA_CODES
    assert len(CURRENT_AREA_CODES) > 3000
    assert len(RETIRED_AREA_CODES) > 1000
