"""Hypothesis: records mixing valid and invalid values get the same outcome on both paths.

Each example starts from a clean account or public record and replaces, drops
or adds fields with values drawn from a pool of the awkward (blanks, Unicode
whitespace and digits, control characters, quotes, wrong types, impossible
dates, codes off the list, broken identifiers), then writes the records as
CSV, JSON Lines and Parquet.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from fast_testkit import ENCODERS, assert_same
from test_fast_canonical import PENALTY, PERSON, RETIRED_RIC, RIC, USCC

from xinyong.ingest.canonical_schema import kind_schema

FIELDS = sorted(set(kind_schema("account").checks) | set(kind_schema("public_record").checks))

TEXT = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cs",),
        include_characters="\x00\x01\t\u3000\xa0\u2003'\"\\,",
    ),
    max_size=6,
)
AWKWARD = st.one_of(
    TEXT,
    st.sampled_from(
        [
            "",
            " ",
            "\u3000",
            "0",
            "-0",
            "+1",
            "007",
            "-5",
            "1.5",
            "１２",
            "12,000",
            "1" * 20,
            "2024-02-29",
            "2023-02-29",
            "0000-01-01",
            "2020-13-01",
            " 2020-01-01 ",
            "20200101",
            "person",
            "enterprise",
            "account",
            "public_record",
            "R",
            "X",
            "11",
            "13",
            "71",
            "97",
            "05",
            "0",
            "2",
            "L",
            "CNY",
            "cny",
            "CN",
            "C",
            "cn_ric",
            "cn_uscc",
            "passport",
            "lei",
            "company_number",
            "nope",
            RIC,
            RETIRED_RIC,
            USCC,
            RIC[:-1] + "0",
            "E12345678",
            "removed",
            "satisfied",
            "active",
            "abnormal_operations_listing",
            "court_judgment",
            "00000B0",
            "BB0",
            "x|y",
        ]
    ),
    st.integers(-(10**6), 10**6),
    st.none(),
)
JSON_ONLY = st.one_of(
    st.booleans(), st.floats(allow_nan=False, width=32), st.lists(st.integers(), max_size=2)
)


@st.composite
def records(draw: st.DrawFn, json_types: bool) -> dict[str, Any]:
    record = dict(draw(st.sampled_from([PERSON, PENALTY])))
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from([*FIELDS, "colour"]))
        action = draw(st.sampled_from(["set", "set", "drop"]))
        if action == "drop":
            record.pop(name, None)
            continue
        values = st.one_of(AWKWARD, JSON_ONLY) if json_types else AWKWARD
        record[name] = draw(values)
    return record


SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("FAST_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(st.lists(records(json_types=True), min_size=1, max_size=6))
def test_json_lines(rows: list[dict[str, Any]]) -> None:
    data = ENCODERS["jsonl"](rows)
    # Python's splitlines() also breaks at these (inside strings too): left to the reference.
    breaks = any(mark.encode() in data for mark in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
    assert_same("jsonl", data, fast_expected=None if breaks else True)


@SETTINGS
@given(st.lists(records(json_types=False), min_size=1, max_size=6))
def test_csv(rows: list[dict[str, Any]]) -> None:
    data = ENCODERS["csv"](rows)
    # A quoted line break shifts line numbers: such files are left to the reference path.
    body = data.split(b"\n", 1)[1].replace(b"\r\n", b"\n")
    multiline = body.count(b"\n") != len(rows) or b"\r" in body
    assert_same("csv", data, fast_expected=None if multiline else True)


@SETTINGS
@given(st.lists(records(json_types=False), min_size=1, max_size=6))
def test_parquet(rows: list[dict[str, Any]]) -> None:
    assert_same("parquet", ENCODERS["parquet"](rows))
