"""The shortcuts taken per distinct identifier give stdnum's answers exactly.

Ingest validates every distinct identifier of a file, so ``cn_ric`` reads
stdnum's division list into dicts once (its own lookup scans the list), the
scan of a scheme's deletion set is cached, and batch callers read the clock
once. These tests compare each shortcut with stdnum and check that it is the
path taken. The rules themselves stay stdnum's: no check is written here.
"""

from __future__ import annotations

import datetime

import pytest
from stdnum import numdb

from xinyong.identifiers import InvalidIdentifier, base, cn_ric, validate
from xinyong.ingest.id_checks import check_triples


def _listed_codes() -> list[str]:
    return sorted(
        low + county_low
        for _, low, _, _, counties in numdb.get("cn/loc").prefixes
        for _, county_low, _, _, _ in counties
    )


def test_loc_index_answers_as_numdb_does() -> None:
    db = numdb.get("cn/loc")
    codes = _listed_codes() + [f"{i:06d}" for i in range(0, 1_000_000, 97)]
    codes += ["", "1", "11", "1101", "11010", "1101011", "AB0101"]
    assert cn_ric._loc_index() is not None
    assert [c for c in codes if cn_ric._loc_parts(c) != db.info(c)] == []


def test_loc_parts_are_copies() -> None:
    code = _listed_codes()[0]
    cn_ric._loc_parts(code)[1][1]["county"] = "changed"
    assert cn_ric._loc_parts(code) == numdb.get("cn/loc").info(code)


def test_deletion_set_scan_is_cached() -> None:
    base.clean("123456789", "us_ssn")
    before = base._deletes_alnum.cache_info().hits
    base.clean("987654321", "us_ssn")
    assert base._deletes_alnum.cache_info().hits == before + 1


def test_validate_takes_the_date_that_bounds_birth_dates() -> None:
    number = "11010520000101" + "001"
    number += cn_ric.stdnum_ric.calc_check_digit(number + "0")
    assert validate("cn_ric", number, today=datetime.date(2000, 1, 1)).value == number
    with pytest.raises(InvalidIdentifier) as info:
        validate("cn_ric", number, today=datetime.date(1999, 12, 31))
    assert info.value.rule == "birth_date"


def test_check_triples_rows_unchanged_in_shape() -> None:
    rows = check_triples([("us_ssn", "123456789", None), ("us_ssn", "000123456", None)])
    assert rows[0][3] is True and rows[0][9] is None and rows[0][10] == 0
    assert rows[1][3] is False and rows[1][5] == "us_ssn is in a range never issued"
