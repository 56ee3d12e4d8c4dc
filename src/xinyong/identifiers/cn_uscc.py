"""CN unified social credit code (统一社会信用代码, GB 32100-2015), 18 characters.

Layout: registration-authority code (1), entity-type code (1), administrative
division code (6 digits), organisation code (9), check character (1). The
organisation code and check character use the 31-character alphabet of digits
and upper-case letters without I, O, S, V and Z. The check character is the
GB 32100 weighted MOD 31 sum, computed with ``stdnum.cn.uscc``.

Departure from stdnum: ``stdnum.cn.uscc.validate`` requires the first eight
characters to be digits, which rejects real codes issued by the registration
authorities that have letter codes: ``A`` (Central Military Commission
establishment office), ``N`` (agriculture and rural affairs: rural collective
economic organisations, ``N2...``) and ``Y`` (other). We accept those and
reject ``0``, which is no authority. Everything else follows stdnum.
"""

from __future__ import annotations

from typing import Final

from stdnum.cn import uscc as stdnum_uscc

from xinyong.identifiers.base import Validated, clean, mask_compact
from xinyong.identifiers.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
)

SCHEME: Final = "cn_uscc"
COUNTRY: Final = "CN"
LENGTH: Final = 18

#: The GB 32100 character set (no I, O, S, V, Z), in check-value order.
ALPHABET: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"

_ALPHABET_SET: Final = frozenset(ALPHABET)

#: Registration-authority codes (first character) in use.
REGISTRATION_AUTHORITIES: Final = frozenset("123456789ANY")


def compact(value: str) -> str:
    """Strip spaces and hyphens, fold full-width characters, upper-case."""
    return clean(value, SCHEME)


def check(value: str) -> Validated:
    """Validate: length, characters per position, authority code, check character."""
    number = compact(value)
    if len(number) != LENGTH:
        raise InvalidLength(SCHEME, f"must be {LENGTH} characters, got {len(number)}")
    if not _ALPHABET_SET.issuperset(number):
        raise InvalidFormat(SCHEME, "only digits and A-Z without I, O, S, V, Z are allowed")
    if not number[1:8].isdigit():
        raise InvalidFormat(SCHEME, "characters 2 to 8 must be digits")
    if number[0] not in REGISTRATION_AUTHORITIES:
        raise InvalidComponent(
            SCHEME, f"{number[0]!r} is not a registration authority", Rule.REGISTRATION_AUTHORITY
        )
    if number[-1] != stdnum_uscc.calc_check_digit(number):
        raise InvalidChecksum(SCHEME, "check character does not match")
    return Validated(SCHEME, number, COUNTRY)


def validate(value: str) -> str:
    """Return the compact code, or raise an InvalidIdentifier subclass."""
    return check(value).value


def is_valid(value: str) -> bool:
    """Whether ``validate`` would accept the value."""
    try:
        check(value)
    except InvalidIdentifier:
        return False
    return True


def format(value: str) -> str:
    """The presentation form, which for this scheme is the compact one."""
    return compact(value)


def mask(value: str) -> str:
    """The compact form with all but the last 4 characters hidden (no validation)."""
    return mask_compact(compact(value))
