"""Hypothesis strategies and builders for valid identifiers, from stdnum's own maths.

The check characters are computed with python-stdnum (the ground truth), never
with our code, so a test of our validators is a comparison with stdnum.
"""

from __future__ import annotations

import datetime
import re
import string

from hypothesis import strategies as st
from stdnum import numdb
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_97_10

DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_AUTHORITIES = "123456789ANY"

_PERIOD = re.compile(r"^\[(\d*)-(\d*)\]")


def _area_codes() -> tuple[list[str], list[str]]:
    """(current, retired) 6-digit codes read straight from stdnum's loc.dat tree."""
    current: list[str] = []
    retired: list[str] = []
    for length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        assert length == 2 and low == high
        for clen, clow, chigh, cprops, _ in children:
            assert clen == 4 and clow == chigh
            county = cprops.get("county", "")
            if not county:
                continue
            entries = county.split(",")
            periods = [_PERIOD.match(e) for e in entries]
            is_current = any(p is None or p.group(2) == "" for p in periods)
            (current if is_current else retired).append(low + clow)
    return current, retired


CURRENT_AREA_CODES, RETIRED_AREA_CODES = _area_codes()


def make_ric(area: str, born: datetime.date | str, sequence: int = 1) -> str:
    """A CN resident number with stdnum's check character."""
    when = born if isinstance(born, str) else born.strftime("%Y%m%d")
    body = f"{area}{when}{sequence:03d}"
    return body + stdnum_ric.calc_check_digit(body + "0")


def make_uscc(body17: str) -> str:
    """A USCC with stdnum's check character."""
    return body17 + stdnum_uscc.calc_check_digit(body17)


def make_lei(body18: str) -> str:
    """An LEI with stdnum's ISO 7064 MOD 97-10 check digits."""
    return body18 + mod_97_10.calc_check_digits(body18)


@st.composite
def cn_rics(draw: st.DrawFn, areas: list[str] | None = None) -> str:
    """Valid CN resident numbers: a listed area code, a real date, any sequence."""
    area = draw(st.sampled_from(areas or CURRENT_AREA_CODES))
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2020, 12, 31)))
    return make_ric(area, born, draw(st.integers(0, 999)))


@st.composite
def cn_usccs(draw: st.DrawFn) -> str:
    """Valid USCCs, including the letter registration authorities (A, N, Y)."""
    head = draw(st.sampled_from(USCC_AUTHORITIES))
    digits = draw(st.text(DIGITS, min_size=7, max_size=7))
    tail = draw(st.text(USCC_ALPHABET, min_size=9, max_size=9))
    return make_uscc(head + digits + tail)


@st.composite
def leis(draw: st.DrawFn) -> str:
    """Valid LEIs: 18 characters of [0-9A-Z] and stdnum's check digits."""
    return make_lei(draw(st.text(ALNUM, min_size=18, max_size=18)))
