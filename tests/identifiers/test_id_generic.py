"""Generic country-qualified schemes: passports and company register numbers."""

from __future__ import annotations

import pytest

from xinyong.identifiers import (
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
)
from xinyong.identifiers.generic import COMPANY_NUMBER, COUNTRY_CODES, PASSPORT


def test_country_codes_are_current_iso_3166_plus_kosovo() -> None:
    assert {"CN", "GB", "US", "HK", "TW", "XK"} <= COUNTRY_CODES
    assert not {"UK", "AN", "CS", "XX", "EU"} & COUNTRY_CODES
    assert len(COUNTRY_CODES) == 250
    assert all(len(c) == 2 and c.isascii() and c.isupper() for c in COUNTRY_CODES)


@pytest.mark.parametrize(
    "text",
    ["CN:E12345678", "cn:e12345678", " CN : E1234 5678 ", "CN:E-1234-5678", "CN:E12345678<<<"],
)
def test_passport_spellings_compact_to_one_value(text: str) -> None:
    assert PASSPORT.compact(text) == "CN:E12345678"
    assert PASSPORT.validate(text) == "CN:E12345678"
    result = PASSPORT.check(text)
    assert (result.scheme, result.value, result.country) == ("passport", "E12345678", "CN")


def test_passport_mask_shows_last_four_of_the_number_only() -> None:
    assert PASSPORT.mask("CN:E12345678") == "*****5678"


@pytest.mark.parametrize(
    ("text", "error", "rule"),
    [
        ("E12345678", InvalidFormat, Rule.COUNTRY),
        ("UK:123456789", InvalidComponent, Rule.COUNTRY),  # GB is the ISO code
        ("XX:123456789", InvalidComponent, Rule.COUNTRY),
        ("C:123456789", InvalidComponent, Rule.COUNTRY),
        ("CN:", InvalidLength, Rule.LENGTH),
        ("CN:E123", InvalidLength, Rule.LENGTH),
        ("CN:" + "1" * 21, InvalidLength, Rule.LENGTH),
        ("CN:E1234/5678", InvalidFormat, Rule.FORMAT),
        ("CN:护照12345678", InvalidFormat, Rule.FORMAT),
        ("CN:E12:345678", InvalidFormat, Rule.FORMAT),
    ],
)
def test_invalid_passports(text: str, error: type[InvalidIdentifier], rule: str) -> None:
    with pytest.raises(error) as caught:
        PASSPORT.validate(text)
    assert caught.value.rule == rule
    assert caught.value.scheme == "passport"
    assert not PASSPORT.is_valid(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GB:01234567", "01234567"),
        ("GB:1234567", "01234567"),  # leading zero lost in a spreadsheet
        ("gb:sc123456", "SC123456"),
        ("GB:SC12345", "SC012345"),
        ("DE:HRB 12345", "HRB12345"),
        ("FR:552 100 554", "552100554"),
    ],
)
def test_company_numbers_normalise(text: str, expected: str) -> None:
    assert COMPANY_NUMBER.check(text).value == expected


@pytest.mark.parametrize("text", ["GB:123456789", "GB:S1234567", "GB:ABC12345"])
def test_gb_company_numbers_follow_the_companies_house_layout(text: str) -> None:
    with pytest.raises(InvalidFormat):
        COMPANY_NUMBER.validate(text)
