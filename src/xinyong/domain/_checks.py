"""Small validators shared by the domain dataclasses' ``__post_init__``.

Each raises :class:`DomainError` with the field name and a rule code, so that
every module reports the same kind of mistake with the same code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import Enum
from typing import ParamSpec, TypeVar

from xinyong.domain.errors import DomainError

E = TypeVar("E", bound=Enum)
P = ParamSpec("P")

_COUNTRY = re.compile(r"[A-Z]{2}")
_ZERO = timedelta(0)


def require(condition: bool, field: str, rule: str, message: str) -> None:
    """Raise ``DomainError(field, rule, message)`` unless ``condition`` holds."""
    if not condition:
        raise DomainError(field, rule, message)


def non_blank(value: str, field: str) -> None:
    """Ids, names and codes must carry text: an empty string is a missing value."""
    require(isinstance(value, str) and value.strip() != "", field, "required", "must not be blank")


def optional_non_blank(value: str | None, field: str) -> None:
    """An optional text is either ``None`` or real text, never ``""`` (two kinds of missing)."""
    if value is not None:
        non_blank(value, field)


def non_negative(value: int | None, field: str) -> None:
    """Amounts and counts that cannot be below zero (``None`` means not furnished)."""
    if value is None:
        return
    require(
        isinstance(value, int) and not isinstance(value, bool),
        field,
        "integer",
        f"must be an integer, got {type(value).__name__}",
    )
    require(value >= 0, field, "non_negative", f"must not be negative, got {value}")


def utc_instant(value: datetime | None, field: str) -> None:
    """Instants are timezone-aware UTC, so that order and audit hashes are unambiguous."""
    if value is None:
        return
    require(
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() == _ZERO,
        field,
        "instant_utc",
        f"must be a timezone-aware UTC datetime, got {value!r}",
    )


def aware_instant(value: datetime, field: str) -> None:
    """A query instant may be in any zone, but must say which (naive ones are ambiguous)."""
    require(
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None,
        field,
        "instant_aware",
        f"must be a timezone-aware datetime, got {value!r}",
    )


def plain_date(value: date | None, field: str) -> None:
    """Dates are calendar dates; a datetime here would smuggle in a time and a zone."""
    if value is None:
        return
    require(
        isinstance(value, date) and not isinstance(value, datetime),
        field,
        "date",
        f"must be a date, got {type(value).__name__}",
    )


def not_before(
    later: date | None, later_field: str, earlier: date | None, earlier_field: str
) -> None:
    """``later`` must not precede ``earlier`` (either may be missing)."""
    if later is None or earlier is None:
        return
    require(
        later >= earlier,
        later_field,
        "date_order",
        f"{later.isoformat()} is before {earlier_field} {earlier.isoformat()}",
    )


def not_after(
    earlier: date | None, earlier_field: str, later: date | None, later_field: str
) -> None:
    """``earlier`` must not follow ``later``; the error names ``earlier_field``."""
    if later is None or earlier is None:
        return
    require(
        earlier <= later,
        earlier_field,
        "date_order",
        f"{earlier.isoformat()} is after {later_field} {later.isoformat()}",
    )


def country_code(value: str | None, field: str) -> None:
    """ISO 3166-1 alpha-2: two upper-case letters (the table lives in identifiers/)."""
    if value is None:
        return
    require(
        isinstance(value, str) and _COUNTRY.fullmatch(value) is not None,
        field,
        "country_code",
        f"must be an ISO 3166-1 alpha-2 code, got {value!r}",
    )


def enum_field(obj: object, field: str, enum_type: type[E], *, optional: bool = False) -> None:
    """Coerce ``obj.field`` to a member of ``enum_type`` in place, or raise ``unknown_code``.

    Rows read back from the store or a Parquet batch carry plain strings; turning
    them into members here means every later ``is`` comparison and ``.meaning``
    lookup works, and an unknown code fails at the boundary with its field name.
    """
    value = getattr(obj, field)
    if value is None and optional:
        return
    try:
        member = enum_type(value)
    except ValueError:
        raise DomainError(
            field, "unknown_code", f"{value!r} is not a {enum_type.__name__}"
        ) from None
    object.__setattr__(obj, field, member)


class Checks:
    """Run many checks, keep every ``DomainError``, raise once at the end.

    Used by furnished records so that one bad record yields all its problems
    (STYLE rule 2) rather than one per resubmission.
    """

    def __init__(self) -> None:
        self._errors: list[DomainError] = []

    def __call__(self, check: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
        """Run ``check(*args, **kwargs)`` and remember its error, if any."""
        try:
            check(*args, **kwargs)
        except DomainError as error:
            self._errors.extend(error.errors)

    @property
    def failed(self) -> bool:
        """Whether any check so far has failed."""
        return bool(self._errors)

    def raise_if_any(self) -> None:
        """Raise the first error, carrying all of them in ``errors``."""
        if self._errors:
            first = self._errors[0]
            first.errors = tuple(self._errors)
            raise first
