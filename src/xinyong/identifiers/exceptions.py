"""Typed rejections for identifier validation.

Ingest reports every rejected record by rule (the ``Reject.rule`` column), so
each exception carries the scheme it was raised for and a stable rule code
from :class:`Rule`, not just a message. All of them are ``XinyongError`` (an
error raised on purpose) and ``ValueError`` subclasses, so that code which
only knows "bad value" still catches them, and
they pickle (their ``args`` are their constructor arguments) so that parallel
ingest workers can send them back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from xinyong.errors import XinyongError


class Rule(StrEnum):
    """Stable rule codes for rejections; stored in reject reports, so never rename one."""

    LENGTH = "length"
    FORMAT = "format"
    CHECKSUM = "checksum"
    BIRTH_DATE = "birth_date"
    AREA_CODE = "area_code"
    REGISTRATION_AUTHORITY = "registration_authority"
    COUNTRY = "country"
    COMPONENT = "component"
    SCHEME = "scheme"


class InvalidIdentifier(XinyongError, ValueError):
    """An identifier failed validation under ``scheme`` by breaking ``rule``."""

    default_rule: ClassVar[str] = Rule.FORMAT

    def __init__(self, scheme: str, message: str, rule: str | None = None) -> None:
        rule = self.default_rule if rule is None else str(rule)
        super().__init__(scheme, message, rule)
        self.scheme = scheme
        self.message = message
        self.rule = rule

    def __str__(self) -> str:
        return f"{self.scheme or 'identifier'}: {self.message} (rule {self.rule})"


class InvalidLength(InvalidIdentifier):
    """The compact value has the wrong number of characters."""

    default_rule: ClassVar[str] = Rule.LENGTH


class InvalidFormat(InvalidIdentifier):
    """The value has characters that are not allowed where they are, or is not text."""

    default_rule: ClassVar[str] = Rule.FORMAT


class InvalidChecksum(InvalidIdentifier):
    """The check digit(s) do not match the rest of the value."""

    default_rule: ClassVar[str] = Rule.CHECKSUM


class InvalidComponent(InvalidIdentifier):
    """A part of the value (birth date, area code, country...) is not a real one."""

    default_rule: ClassVar[str] = Rule.COMPONENT


class UnknownScheme(InvalidIdentifier):
    """No scheme of that name is registered."""

    default_rule: ClassVar[str] = Rule.SCHEME
