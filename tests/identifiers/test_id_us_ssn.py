"""US SSN: structure only (no check digit), never-issued ranges rejected."""

from __future__ import annotations

import pytest

from xinyong.identifiers import InvalidIdentifier, parse, us_ssn, validate


def test_valid_ssn_compacts_and_masks() -> None:
    assert us_ssn.validate("123-45-6789") == "123456789"
    assert us_ssn.format("123456789") == "123-45-6789"
    assert us_ssn.mask("123-45-6789").endswith("6789")
    assert str(parse("us_ssn:123 45 6789")) == "us_ssn:123456789"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("000-12-3456", "component"),
        ("666-12-3456", "component"),
        ("912-12-3456", "component"),
        ("123-00-3456", "component"),
        ("123-45-0000", "component"),
        ("12345678", "length"),
        ("12345678A", "format"),
    ],
)
def test_never_issued_or_malformed_is_rejected(value: str, rule: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate("us_ssn", value)
    assert info.value.rule == rule
