"""The scheme registry and the ``Identifier`` value type.

Furnished files and API calls name identifiers as ``scheme:value`` text
(``cn_ric:11010519491231002X``, ``passport:CN:E12345678``); this module maps
the scheme name to its module and turns such text into an :class:`Identifier`
whose value is the canonical compact form, so that the same number written two
ways is one identifier (and one keyed hash). Adding a scheme is a new module
and one line in ``_SCHEMES``.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from xinyong.identifiers import cn_ric, cn_uscc, generic, lei, us_ssn
from xinyong.identifiers.base import MAX_INPUT_LENGTH, Scheme, Validated, mask_compact
from xinyong.identifiers.exceptions import (
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
    UnknownScheme,
)


@dataclass(frozen=True, slots=True)
class _Entry:
    scheme: Scheme
    #: The country every value belongs to, or None (global, or taken from the value).
    country: str | None
    #: Whether the country is written in the value (``passport:CN:...``).
    country_in_value: bool


_SCHEMES: Final[Mapping[str, _Entry]] = MappingProxyType(
    {
        cn_ric.SCHEME: _Entry(cn_ric, cn_ric.COUNTRY, False),
        cn_uscc.SCHEME: _Entry(cn_uscc, cn_uscc.COUNTRY, False),
        lei.SCHEME: _Entry(lei, lei.COUNTRY, False),
        us_ssn.SCHEME: _Entry(us_ssn, us_ssn.COUNTRY, False),
        generic.PASSPORT.name: _Entry(generic.PASSPORT, None, True),
        generic.COMPANY_NUMBER.name: _Entry(generic.COMPANY_NUMBER, None, True),
    }
)

_SCHEME_NAME = re.compile(r"[a-z][a-z0-9_]*")
_COUNTRY = re.compile(r"[A-Z]{2}")
_VALUE = re.compile(r"[0-9A-Z]+")


def scheme_names() -> tuple[str, ...]:
    """The registered scheme names, for help texts and junk-input tests."""
    return tuple(_SCHEMES)


def _entry(name: str) -> _Entry:
    try:
        return _SCHEMES[name]
    except (KeyError, TypeError):
        raise UnknownScheme(str(name), f"unknown identifier scheme {name!r}") from None


def get_scheme(name: str) -> Scheme:
    """The module (or generic scheme object) for ``name``; UnknownScheme if none."""
    return _entry(name).scheme


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier of a subject: scheme, compact value and country.

    Build one with :func:`parse` or :func:`validate`. The constructor checks
    only that the fields are already canonical (registered scheme, ``[0-9A-Z]``
    value, the scheme's country), not the checksum, so that a hand-made
    ``Identifier`` cannot silently hash differently from a parsed one.
    """

    scheme: str
    value: str
    country: str | None

    def __post_init__(self) -> None:
        entry = _entry(self.scheme)
        if not isinstance(self.value, str) or not _VALUE.fullmatch(self.value):
            raise InvalidFormat(self.scheme, "value is not in compact form")
        if entry.country_in_value:
            if not isinstance(self.country, str) or not _COUNTRY.fullmatch(self.country):
                raise InvalidComponent(self.scheme, "needs a country code", Rule.COUNTRY)
        elif self.country != entry.country:
            raise InvalidComponent(
                self.scheme, f"country must be {entry.country}, not {self.country}", Rule.COUNTRY
            )

    @classmethod
    def from_validated(cls, validated: Validated) -> Identifier:
        """The identifier of a validation result (its warnings are dropped)."""
        return cls(validated.scheme, validated.value, validated.country)

    def __str__(self) -> str:
        """``scheme:value``, with the country in the value where the scheme needs it."""
        if _SCHEMES[self.scheme].country_in_value:
            return f"{self.scheme}:{self.country}:{self.value}"
        return f"{self.scheme}:{self.value}"

    def masked(self) -> str:
        """The value with all but its last 4 characters hidden (``value_masked`` in the store)."""
        return mask_compact(self.value)


def split_text(text: str) -> tuple[str, str]:
    """Split ``scheme:value`` into a lower-case scheme name and the raw value."""
    if not isinstance(text, str):
        raise InvalidFormat("", f"expected text, got {type(text).__name__}", Rule.SCHEME)
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidLength("", f"input of {len(text)} characters is too long")
    name, sep, value = unicodedata.normalize("NFKC", text).partition(":")
    name = name.strip().lower()
    if not sep or not _SCHEME_NAME.fullmatch(name):
        raise InvalidFormat("", "must be written scheme:value", Rule.SCHEME)
    return name, value


def validate(
    scheme: str,
    value: str,
    *,
    country: str | None = None,
    today: datetime.date | None = None,
) -> Validated:
    """Validate ``value`` under ``scheme``, keeping any warnings.

    ``country`` is the country furnished beside the value, if any. For the
    generic schemes it may stand in for the ``CC:`` prefix; for the others it
    must agree with the scheme's own country (LEIs, being global, ignore it).
    ``today`` bounds birth dates (``cn_ric``) and defaults to the current
    date; callers validating a batch pass it once rather than have every
    number read the clock.
    """
    entry = _entry(scheme)
    if country is not None and entry.country_in_value:
        if not isinstance(value, str):
            raise InvalidFormat(scheme, f"expected text, got {type(value).__name__}")
        if ":" not in value:
            value = f"{country}:{value}"
    if entry.scheme is cn_ric:
        result = cn_ric.check(value, today=today)
    else:
        result = entry.scheme.check(value)
    if country is not None and result.country is not None:
        given = country.strip().upper() if isinstance(country, str) else country
        if given != result.country:
            raise InvalidComponent(
                scheme, f"country {country!r} does not match {result.country}", Rule.COUNTRY
            )
    return result


def is_valid(scheme: str, value: str) -> bool:
    """Whether ``validate(scheme, value)`` would accept the value."""
    try:
        validate(scheme, value)
    except InvalidIdentifier:
        return False
    return True


def parse(text: str) -> Identifier:
    """Parse and validate ``scheme:value`` text into a canonical Identifier.

    Use :func:`validate` with :func:`split_text` instead where the warnings
    matter (ingest reports them).
    """
    return Identifier.from_validated(validate(*split_text(text)))
