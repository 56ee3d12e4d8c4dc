"""Legal Entity Identifier (ISO 17442), 20 characters.

Layout: 18 characters ``[0-9A-Z]`` (LOU prefix and entity part) and two check
digits, ISO 7064 MOD 97-10 over the whole code with letters read as 10..35.
The checksum is computed by ``stdnum.lei``.

``stdnum.lei.validate`` checks the checksum only: it accepts ``"1"`` or
``"0000000001"`` as an LEI, and it accepts the check digits ``00``, ``01`` and
``99``, which are congruent to ``97``, ``98`` and ``02`` mod 97 but never
issued (computed check digits are always 02..98). We check the length, the
character classes and the check-digit range first, so that one code has one
spelling and therefore one hash.

An LEI is global: its issuing unit's country says nothing about the entity,
so a validated LEI has no country.
"""

from __future__ import annotations

from typing import Final

from stdnum import lei as stdnum_lei
from stdnum.exceptions import ValidationError

from xinyong.identifiers.base import (
    Validated,
    clean,
    from_stdnum,
    mask_compact,
    require_ascii_alnum,
)
from xinyong.identifiers.exceptions import (
    InvalidChecksum,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
)

SCHEME: Final = "lei"
COUNTRY: Final = None
LENGTH: Final = 20


def compact(value: str) -> str:
    """Strip spaces and hyphens, fold full-width characters, upper-case."""
    return clean(value, SCHEME)


def check(value: str) -> Validated:
    """Validate: length, characters, check-digit range, MOD 97-10 checksum."""
    number = compact(value)
    if len(number) != LENGTH:
        raise InvalidLength(SCHEME, f"must be {LENGTH} characters, got {len(number)}")
    require_ascii_alnum(number, SCHEME)
    if not number[-2:].isdigit():
        raise InvalidFormat(SCHEME, "the last two characters must be digits")
    try:
        stdnum_lei.validate(number)
    except ValidationError as exc:
        raise from_stdnum(exc, SCHEME, "check digits do not match", Rule.CHECKSUM) from exc
    if not 2 <= int(number[-2:]) <= 98:
        raise InvalidChecksum(SCHEME, f"check digits {number[-2:]} are outside 02..98")
    return Validated(SCHEME, number, COUNTRY)


def validate(value: str) -> str:
    """Return the compact LEI, or raise an InvalidIdentifier subclass."""
    return check(value).value


def is_valid(value: str) -> bool:
    """Whether ``validate`` would accept the value."""
    try:
        check(value)
    except InvalidIdentifier:
        return False
    return True


def format(value: str) -> str:
    """The presentation form, which for LEIs is the compact one (stdnum has no ``format``)."""
    return compact(value)


def mask(value: str) -> str:
    """The compact form with all but the last 4 characters hidden (no validation)."""
    return mask_compact(compact(value))
