"""Country-qualified identifiers without a checksum: passports, company numbers.

The value is written ``CC:NUMBER`` (``passport:CN:E12345678``,
``company_number:GB:01234567``), where ``CC`` is the ISO 3166-1 alpha-2 code
of the issuing country. Without a check digit the best we can do is one
canonical spelling per number, so that the same passport furnished twice
hashes the same: NFKC, spaces and hyphens removed, upper case, then
``[0-9A-Z]`` only, and a length window. A few countries have a known layout
(see ``COMPANY_NUMBER``), which also fixes lost leading zeros.

Country codes are python-stdnum's list of current ISO 3166-1 alpha-2 codes
(kept in ``stdnum.bic``; stdnum has no public ISO 3166 module) which includes
``XK`` (Kosovo, user-assigned but used on its passports and registers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from stdnum import bic as _stdnum_bic

from xinyong.identifiers.base import Validated, clean, mask_compact, require_ascii_alnum
from xinyong.identifiers.exceptions import (
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
)

#: ISO 3166-1 alpha-2 codes in current use, plus XK.
COUNTRY_CODES: Final[frozenset[str]] = frozenset(_stdnum_bic._country_codes)


@dataclass(frozen=True, slots=True)
class CountryRule:
    """A national layout: a full-match pattern and an optional zero-padding fix.

    ``pad_to`` restores leading zeros that spreadsheets drop: an all-digit
    number, or the digits after a 2-letter prefix, are left-padded so that
    the whole value is ``pad_to`` characters.
    """

    pattern: re.Pattern[str]
    pad_to: int | None = None

    def normalise(self, number: str) -> str:
        if self.pad_to is None or len(number) >= self.pad_to:
            return number
        if number.isdigit():
            return number.zfill(self.pad_to)
        if number[:2].isalpha() and number[2:].isdigit():
            return number[:2] + number[2:].zfill(self.pad_to - 2)
        return number


@dataclass(frozen=True)
class GenericScheme:
    """A scheme whose values are ``CC:NUMBER`` with length and charset rules only."""

    name: str
    min_length: int
    max_length: int
    description: str
    country_rules: Mapping[str, CountryRule] = field(default_factory=dict)
    #: Characters removed anywhere, besides whitespace.
    deletechars: str = " -"

    def _split(self, value: str) -> tuple[str, str]:
        if not isinstance(value, str):
            raise InvalidFormat(self.name, f"expected text, got {type(value).__name__}")
        country, sep, number = value.partition(":")
        if not sep:
            raise InvalidFormat(self.name, "must be COUNTRY:NUMBER", Rule.COUNTRY)
        return clean(country, self.name, ""), clean(number, self.name, self.deletechars)

    def compact(self, value: str) -> str:
        """``CC:NUMBER`` in canonical spelling (no validation beyond the split)."""
        country, number = self._split(value)
        rule = self.country_rules.get(country)
        if rule is not None:
            number = rule.normalise(number)
        return f"{country}:{number}"

    def check(self, value: str) -> Validated:
        """Validate the country code, the characters and the length (or national layout)."""
        country, _, number = self.compact(value).partition(":")
        if country not in COUNTRY_CODES:
            raise InvalidComponent(
                self.name, f"{country!r} is not an ISO 3166-1 code", Rule.COUNTRY
            )
        if not number:
            raise InvalidLength(self.name, "number is empty")
        require_ascii_alnum(number, self.name)
        if not self.min_length <= len(number) <= self.max_length:
            raise InvalidLength(
                self.name,
                f"must be {self.min_length} to {self.max_length} characters, got {len(number)}",
            )
        rule = self.country_rules.get(country)
        if rule is not None and not rule.pattern.fullmatch(number):
            raise InvalidFormat(self.name, f"does not match the {country} layout")
        return Validated(self.name, number, country)

    def validate(self, value: str) -> str:
        """Return ``CC:NUMBER`` in compact form, or raise an InvalidIdentifier subclass."""
        checked = self.check(value)
        return f"{checked.country}:{checked.value}"

    def is_valid(self, value: str) -> bool:
        """Whether ``validate`` would accept the value."""
        try:
            self.check(value)
        except InvalidIdentifier:
            return False
        return True

    def format(self, value: str) -> str:
        """The presentation form, which is the compact one."""
        return self.compact(value)

    def mask(self, value: str) -> str:
        """The number with all but its last 4 characters hidden (no validation).

        The country is left out: the store keeps it in its own column and
        allows at most 4 visible characters in a masked value.
        """
        return mask_compact(self.compact(value).partition(":")[2])


#: Passport numbers. ICAO 9303 gives the document number 9 MRZ characters and
#: lets longer numbers overflow; we allow 5 to 20 and drop MRZ fillers (<).
PASSPORT: Final = GenericScheme(
    name="passport",
    min_length=5,
    max_length=20,
    description="Passport number with its issuing country (ISO 3166-1 alpha-2).",
    deletechars=" -<",
)

#: National company register numbers. GB (Companies House) numbers are 8
#: characters: 8 digits, or a 2-letter prefix (SC, NI, OC, ...) and 6 digits.
COMPANY_NUMBER: Final = GenericScheme(
    name="company_number",
    min_length=2,
    max_length=30,
    description="Company register number with the register's country (ISO 3166-1 alpha-2).",
    country_rules={"GB": CountryRule(re.compile(r"[0-9]{8}|[A-Z]{2}[0-9]{6}"), pad_to=8)},
)
