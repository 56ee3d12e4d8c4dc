"""The vectorised field reading agrees with Python's own reading of the same text.

Digits, blanks, zeros, numbers and dates of every numeric field; lanes at
every offset; the calendar over leap years and impossible dates; the Arrow
string helpers against ``str.strip`` and ``mask_compact``; the keyed hash
against ``keyed_hash``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.identifiers import keyed_hash
from xinyong.identifiers.base import mask_compact
from xinyong.ingest.fast import metro2_text as text
from xinyong.ingest.fast.identifiers import KeyedHasher
from xinyong.ingest.fast.metro2_fields import (
    ALL_FIELDS,
    BLOCK_WIDTH,
    Block,
    calendar_ok,
    days_from_civil,
)
from xinyong.ingest.fast.metro2_ids import account_digests
from xinyong.ingest.metro2.model import parse_date

PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
DIGITISH = st.sampled_from("0123456789 ?-}JAZ/:")


def block_of(rows: list[bytes]) -> Block:
    rec = np.full((len(rows), BLOCK_WIDTH), ord(" "), np.uint8)
    for i, row in enumerate(rows):
        rec[i, : len(row)] = np.frombuffer(row, np.uint8)
    return Block(rec)


records = st.lists(
    st.text(st.one_of(PRINTABLE, DIGITISH), min_size=BLOCK_WIDTH, max_size=BLOCK_WIDTH).map(
        lambda s: s.encode("ascii")
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=25, deadline=None)
@given(records)
def test_every_field_reads_as_python_reads_it(rows: list[bytes]) -> None:
    b = block_of(rows)
    for pos in ALL_FIELDS:
        for i, row in enumerate(rows):
            raw = row[pos.offset : pos.offset + pos.length].decode("ascii")
            where = f"{pos.segment}.{pos.name} of {raw!r}"
            assert bool(b.blank(pos)[i]) == (raw.strip() == ""), where
            assert bool(b.zeros_or_blanks(pos)[i]) == (raw.strip("0 ") == ""), where
            if not pos.numeric:
                continue
            assert bool(b.digits(pos)[i]) == raw.isdigit(), where
            assert bool(b.zeros(pos)[i]) == (set(raw) == {"0"}), where
            assert bool(b.filled(pos, "?")[i]) == (set(raw) == {"?"}), where
            if raw.isdigit() and pos.field.kind != "date":
                assert int(b.number(pos)[i]) == int(raw), where
            if pos.field.kind in ("date", "timestamp"):
                dates = b.dates(pos)
                assert bool(dates.valid[i]) == (parse_date(raw[:8]) is not None), where
                if dates.valid[i]:
                    assert int(dates.ordinal[i]) == int(
                        parse_date(raw[:8]).strftime("%Y%m%d")  # type: ignore[union-attr]
                    )


@settings(max_examples=15, deadline=None)
@given(records)
def test_lanes_at_every_offset(rows: list[bytes]) -> None:
    b = block_of(rows)
    starts = np.arange(0, BLOCK_WIDTH - 7)
    lanes = b.lanes(starts)
    padded = [row.ljust(BLOCK_WIDTH) for row in rows]
    for j, start in enumerate(starts.tolist()):
        for i, row in enumerate(padded):
            assert int(lanes[j, i]) == int.from_bytes(row[start : start + 8], "little")
    for size in range(1, 9):
        lane = b.lane(BLOCK_WIDTH - size, size)
        assert [int(v) for v in lane] == [
            int.from_bytes(r[BLOCK_WIDTH - size :], "little") for r in padded
        ]


def test_the_calendar_matches_datetime() -> None:
    years = [0, 1, 4, 100, 400, 1582, 1899, 1900, 2000, 2023, 2024, 2100, 9999]
    grid = [(y, m, d) for y in years for m in range(14) for d in range(33)]
    year, month, day = (np.array(v, np.int64) for v in zip(*grid, strict=True))
    ok = calendar_ok(year, month, day)
    epoch = dt.date(1970, 1, 1).toordinal()
    for i, (y, m, d) in enumerate(grid):
        try:
            want = dt.date(y, m, d)
        except ValueError:
            assert not ok[i], (y, m, d)
            continue
        assert ok[i], (y, m, d)
        days = days_from_civil(year[i : i + 1], month[i : i + 1], day[i : i + 1])
        assert int(days[0]) == want.toordinal() - epoch


texts = st.lists(st.text(PRINTABLE, max_size=12).map(lambda s: s.ljust(12)), min_size=1, max_size=8)


def _matrix(values: list[str]) -> np.ndarray:  # type: ignore[type-arg]
    return np.frombuffer("".join(values).encode("ascii"), np.uint8).reshape(len(values), -1)


@settings(deadline=None)
@given(texts)
def test_stripped_and_masked_are_pythons(values: list[str]) -> None:
    matrix = _matrix(values)
    blank = np.array([v.strip() == "" for v in values])
    assert text.stripped(matrix, blank).to_pylist() == [v.strip() or None for v in values]
    assert text.rstripped(matrix).to_pylist() == [v.rstrip(" ") for v in values]
    numbers = text.stripped(matrix, blank, null_if_blank=False)
    assert text.masked(numbers).to_pylist() == [mask_compact(v.strip()) for v in values]


@settings(deadline=None)
@given(st.lists(st.text(PRINTABLE, min_size=2, max_size=2), min_size=1, max_size=20))
def test_coded_values_are_computed_once_each(values: list[str]) -> None:
    lanes = np.array([int.from_bytes(v.encode(), "little") for v in values], np.uint64)
    got = text.coded(lanes, 2, lambda raw: raw.strip() or None)
    assert got.to_pylist() == [v.strip() or None for v in values]


@settings(deadline=None)
@given(
    st.binary(min_size=1, max_size=100),
    st.lists(st.text(PRINTABLE, max_size=30).map(lambda s: s.ljust(30)), max_size=6),
    st.sampled_from(["bank", "b-1"]),
)
def test_account_keys_are_keyed_hash(key: bytes, numbers: list[str], furnisher: str) -> None:
    digests = account_digests("".join(numbers).encode(), 30, furnisher, key)
    got = text.hex_strings(digests).to_pylist()
    assert got == [keyed_hash(key, "account", furnisher, n.strip()) for n in numbers]
    hasher = KeyedHasher(key)
    plain = [n for n in numbers if "|" not in n]
    assert [hasher.hexdigest(n.encode()) for n in plain] == [keyed_hash(key, n) for n in plain]


def test_hex_strings_of_no_digests() -> None:
    assert text.hex_strings(b"") == pa.array([], pa.string())
