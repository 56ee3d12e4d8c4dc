"""CN resident identity number (居民身份证号码, GB 11643-1999), 18 characters.

Layout: 6-digit area (administrative division) code, 8-digit birth date
``YYYYMMDD``, 3-digit sequence (odd for men, even for women), and an ISO 7064
MOD 11-2 check character (``0-9`` or ``X``). The checksum is python-stdnum's
(``stdnum.cn.ric``); the birth date is read from the same digits stdnum reads.

The area code is where we depart from stdnum, on purpose. stdnum's bundled
list (``stdnum/cn/loc.dat``, from the Wikipedia tables of GB/T 2260) does keep
historical codes, each with the years it was in force (``[-2010]崇文区``), and
``stdnum.cn.ric.validate`` rejects a number unless some entry of its code was
in force in the *birth year*. That rejects real people: a number records where
it was first issued, not where its holder was born, so everyone born in
Chongqing before 1997 who got a first card after 1997 has a ``50xxxx`` code
that "did not exist" in their birth year, and every Hong Kong or Macao
residence-permit holder born before 1997/1999 has ``810000``/``820000``.

Our rule, using the same data:

* first two digits not a province in the list -> rejected, rule ``area_code``;
* the full 6-digit code never in the list (not even historically) ->
  rejected, rule ``area_code``;
* the code is in the list with a period still open -> accepted, whatever the
  birth year;
* every period of the code has ended ("retired") -> accepted with the warning
  ``area_code_retired``: the holders of such numbers are real and keep them
  for life.

``830000`` (residence permits of Taiwan residents, which are not in GB/T 2260)
is accepted as well. Birth dates must be real calendar dates, not before
:data:`EARLIEST_BIRTH_DATE` and not in the future; stdnum alone would take
year 0001 or 2999.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import Final

from stdnum import numdb
from stdnum.cn import ric as stdnum_ric

from xinyong.identifiers.base import Validated, clean, mask_compact
from xinyong.identifiers.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidIdentifier,
    InvalidLength,
    Rule,
)

SCHEME: Final = "cn_ric"
COUNTRY: Final = "CN"
LENGTH: Final = 18

#: No holder of a credit file was born earlier; older dates are typing errors.
EARLIEST_BIRTH_DATE: Final = datetime.date(1850, 1, 1)

#: Warning code for a checksum-valid number whose area code is no longer in force.
WARNING_AREA_CODE_RETIRED: Final = "area_code_retired"

#: Codes used on residence permits that are not administrative divisions in stdnum's list.
_EXTRA_AREA_CODES: Final = frozenset({"830000"})


@dataclass(frozen=True, slots=True)
class AreaCode:
    """What stdnum's division list says about a 6-digit area code."""

    code: str
    province_known: bool
    known: bool
    current: bool
    retired_after: int | None = None


def compact(value: str) -> str:
    """Strip spaces and hyphens, fold full-width characters, upper-case the ``X``."""
    return clean(value, SCHEME)


def _check_syntax(number: str) -> None:
    if len(number) != LENGTH:
        raise InvalidLength(SCHEME, f"must be {LENGTH} characters, got {len(number)}")
    if not (number[:-1].isascii() and number[:-1].isdigit()) or number[-1] not in "0123456789X":
        raise InvalidFormat(SCHEME, "must be 17 digits followed by a digit or X")
    if number[-1] != stdnum_ric.calc_check_digit(number):
        raise InvalidChecksum(SCHEME, "check character does not match")


def _birth_date(number: str, today: datetime.date) -> datetime.date:
    # Read from the compact number ``_check_syntax`` has passed, as stdnum's
    # ``get_birth_date`` does, without its second clean-up of the number (40 % of
    # a validation, paid once per distinct identifier of every furnished file).
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidComponent(
            SCHEME, "birth date is not a calendar date", Rule.BIRTH_DATE
        ) from exc
    if born < EARLIEST_BIRTH_DATE:
        raise InvalidComponent(SCHEME, f"birth date {born} is implausibly early", Rule.BIRTH_DATE)
    if born > today:
        raise InvalidComponent(SCHEME, f"birth date {born} is in the future", Rule.BIRTH_DATE)
    return born


_LocParts = list[tuple[str, dict[str, str]]]


@functools.cache
def _loc_index() -> dict[str, tuple[dict[str, str], dict[str, dict[str, str]]]] | None:
    """stdnum's division list as province -> (its properties, county -> properties).

    ``numdb``'s lookup scans every province and then every county of the
    province (about 50 us a code, paid for each distinct code an ingest
    meets); the list read once into dicts answers the same. Built only when
    the list has the shape the dicts assume (2-digit provinces holding
    4-digit single-code counties, as ``loc.dat`` does); otherwise None and
    every lookup goes to ``numdb``.
    """
    index: dict[str, tuple[dict[str, str], dict[str, dict[str, str]]]] = {}
    for length, low, high, props, children in numdb.get("cn/loc").prefixes:
        if length != 2 or low != high:
            return None
        province_props, counties = index.setdefault(low, ({}, {}))
        province_props.update(props)
        for c_length, c_low, c_high, c_props, _ in children:
            if c_length != 4 or c_low != c_high:
                return None
            counties.setdefault(c_low, {}).update(c_props)
    return index


def _loc_parts(code: str) -> _LocParts:
    """What ``numdb.get("cn/loc").info(code)`` returns, from :func:`_loc_index` where it can."""
    index = _loc_index()
    if index is None or len(code) != 6:
        return numdb.get("cn/loc").info(code)
    province = index.get(code[:2])
    if province is None:
        return [(code, {})]
    province_props, counties = province
    return [(code[:2], dict(province_props)), (code[2:], dict(counties.get(code[2:], {})))]


@functools.lru_cache(maxsize=8192)
def area_code(code: str) -> AreaCode:
    """Classify a 6-digit area code against stdnum's historical division list.

    A code is current if any of its periods is open-ended, retired if all of
    them have ended (``retired_after`` is the last year in force), and unknown
    if it was never listed.
    """
    if code in _EXTRA_AREA_CODES:
        return AreaCode(code, province_known=True, known=True, current=True)
    parts = _loc_parts(code)
    if not parts or parts[0][0] != code[:2] or "province" not in parts[0][1]:
        return AreaCode(code, province_known=False, known=False, current=False)
    listed = len(parts) > 1 and parts[1][0] == code[2:6]
    county = parts[1][1].get("county", "") if listed else ""
    if not county:
        return AreaCode(code, province_known=True, known=False, current=False)
    ends: list[int] = []
    for entry in county.split(","):
        period = entry[1:].split("]", 1)[0] if entry.startswith("[") else "-"
        end = period.partition("-")[2].strip()
        if not end:
            return AreaCode(code, province_known=True, known=True, current=True)
        ends.append(int(end))
    return AreaCode(code, province_known=True, known=True, current=False, retired_after=max(ends))


def check(value: str, *, today: datetime.date | None = None) -> Validated:
    """Validate and return the compact number with any warnings.

    Checks, in order: length, characters, check character (stdnum), birth date
    (a calendar date, and plausible), area code (see the module docstring). ``today``
    bounds the birth date; it defaults to the current date.
    """
    number = compact(value)
    _check_syntax(number)
    _birth_date(number, today or datetime.date.today())
    area = area_code(number[:6])
    if not area.known:
        if not area.province_known:
            message = f"{number[:2]} is not a province code"
        else:
            message = f"area code {number[:6]} was never an administrative division"
        raise InvalidComponent(SCHEME, message, Rule.AREA_CODE)
    warnings: tuple[str, ...] = ()
    if not area.current:
        warnings = (
            f"{WARNING_AREA_CODE_RETIRED}: area code {area.code} was retired "
            f"after {area.retired_after}",
        )
    return Validated(SCHEME, number, COUNTRY, warnings)


def validate(value: str) -> str:
    """Return the compact number, or raise an InvalidIdentifier subclass."""
    return check(value).value


def is_valid(value: str) -> bool:
    """Whether ``validate`` would accept the value (warnings do not count against it)."""
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


def birth_date(value: str) -> datetime.date:
    """The birth date of a valid number, for consistency checks against a furnished one.

    Raises for an invalid number rather than reading a date out of garbage.
    """
    number = validate(value)
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
