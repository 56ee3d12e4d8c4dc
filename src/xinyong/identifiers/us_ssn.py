"""US Social Security Number, 9 digits, as Metro 2 furnishers send it.

An SSN has no check digit; ``stdnum.us.ssn`` knows the structure that the
Social Security Administration never issues (area 000, 666 or 9xx, group 00,
serial 0000, and the numbers published in advertising), which is the most a
validator can say.
"""

from __future__ import annotations

from typing import Final

from stdnum.exceptions import ValidationError
from stdnum.us import ssn as stdnum_ssn

from xinyong.identifiers.base import Validated, clean, from_stdnum, mask_compact
from xinyong.identifiers.exceptions import InvalidFormat, InvalidIdentifier, InvalidLength, Rule

SCHEME: Final = "us_ssn"
COUNTRY: Final = "US"
LENGTH: Final = 9


def compact(value: str) -> str:
    """Strip spaces and hyphens, fold full-width digits."""
    return clean(value, SCHEME)


def check(value: str) -> Validated:
    """Validate the length, the digits and the never-issued ranges."""
    number = compact(value)
    if len(number) != LENGTH:
        raise InvalidLength(SCHEME, f"must be {LENGTH} digits, got {len(number)}")
    if not number.isdigit():
        raise InvalidFormat(SCHEME, "must be digits only")
    try:
        stdnum_ssn.validate(number)
    except ValidationError as exc:
        raise from_stdnum(exc, SCHEME, "is in a range never issued", Rule.COMPONENT) from exc
    return Validated(SCHEME, number, COUNTRY)


def validate(value: str) -> str:
    """Return the compact SSN, or raise an InvalidIdentifier subclass."""
    return check(value).value


def is_valid(value: str) -> bool:
    """Whether ``validate`` would accept the value."""
    try:
        check(value)
    except InvalidIdentifier:
        return False
    return True


def format(value: str) -> str:
    """The usual ``AAA-GG-SSSS`` presentation."""
    number = compact(value)
    return f"{number[:3]}-{number[3:5]}-{number[5:]}"


def mask(value: str) -> str:
    """All but the last 4 digits hidden, as FCRA 609(a)(1) disclosures allow."""
    return mask_compact(compact(value))
