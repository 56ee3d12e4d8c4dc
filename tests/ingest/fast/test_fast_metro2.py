"""The fast path gives Metro 2 files the reference's outcome, record by record.

Files are built with the Metro 2 testkit: every planted fault of the rule
tests, records with and without appended segments (J1 in SQL; J2, K1-N1 and
broken segments through the reference, merged back in order), Hypothesis
files of valid records with random raw text planted in their fields, both
variants, line breaks, and moov-io's samples. Files the reader refuses as a
whole (truncated, trailer totals that do not add up) must be left to the
reference path, which gives the message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "metro2"))
from fast_testkit import assert_same, fast_path
from metro2_testkit import clean_base, clean_j1, clean_record, make_file, sample, valid_records
from test_metro2_rules import CASES

from xinyong.ingest.metro2 import Record, Segment, write
from xinyong.ingest.metro2.layout import BASE, J1


def file_of(records: list[Record], variant: str = "fixed", newline: bytes = b"") -> bytes:
    return write(make_file(records), variant, newline=newline)


GOOD_J1 = clean_j1(social_security_number=223454321)


def good(**kw: object) -> Record:
    return clean_record(clean_base(**kw), [GOOD_J1])  # type: ignore[arg-type]


def test_clean_records_with_and_without_j1() -> None:
    records = [good(), clean_record(segments=[]), good(consumer_account_number="B2")]
    collected = assert_same("metro2", file_of(records))
    assert collected is not None and collected.accepted["account"] == 3


@pytest.mark.parametrize(("name", "build", "where", "rule"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("variant", ["fixed", "variable"])
def test_every_planted_fault(name: str, build: object, where: str, rule: str, variant: str) -> None:
    record = build()  # type: ignore[operator]
    assert_same("metro2", file_of([good(), record, clean_record(segments=[])], variant))


def test_identity_faults_of_base_and_j1() -> None:
    records = [
        clean_record(clean_base(social_security_number=666000000), [GOOD_J1]),
        clean_record(clean_base(), [clean_j1()]),  # J1's SSN was never issued
        clean_record(clean_base(first_name=""), [GOOD_J1]),  # two problems: required, names
        clean_record(clean_base(), [clean_j1(social_security_number=0)]),  # J1 without an SSN
        clean_record(clean_base(social_security_number=0), []),
        clean_record(clean_base(consumer_account_number="AB|CD", current_balance="-00000001"), []),
    ]
    assert_same("metro2", file_of(records))


def test_accepted_account_number_with_separator_is_stored_by_both_paths() -> None:
    """An account number holding '|' is hashed unambiguously: accepted by both paths alike."""
    data = file_of([clean_record(clean_base(consumer_account_number="AB|CD"), []), good()])
    collected = assert_same("metro2", data)
    assert collected is not None
    assert collected.counts()["accounts"].accepted == 2


def test_records_with_other_segments_go_through_the_reference_in_order() -> None:
    j2 = Segment.build(
        "J2",
        surname="DOE",
        first_name="JO",
        social_security_number=223454321,
        date_birth=dt.date(1970, 1, 1),
        ecoa_code="2",
        first_line_address="2 ELM",
        city="LANSING",
        state="MI",
        zip_code="48901",
    )
    k1 = Segment.build("K1", original_creditor_name="SHOP", creditor_classification=1)
    records = [
        good(),
        clean_record(segments=[GOOD_J1, j2]),
        clean_record(segments=[k1]),
        clean_record(segments=[GOOD_J1, GOOD_J1]),
        good(consumer_account_number="LAST"),
    ]
    assert_same("metro2", file_of(records))
    assert_same("metro2", file_of(records, "variable"))


@pytest.mark.parametrize("newline", [b"\n", b"\r\n"])
def test_line_breaks_and_offsets(newline: bytes) -> None:
    records = [good(), good(current_balance="-00000001"), clean_record(segments=[])]
    assert_same("metro2", file_of(records, newline=newline))


def test_records_of_different_lengths_in_a_fixed_file() -> None:
    """Each record its own RDW (no common width): framed by the reader's framer."""
    data = file_of([good(), clean_record(segments=[])], "variable")
    assert_same("metro2", data)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "trailer count", "removed record", "second header", "not ascii", "no trailer"],
)
def test_whole_file_errors_are_left_to_the_reference(damage: str) -> None:
    data = file_of([good(), good(consumer_account_number="B")])
    broken = {
        "truncated": data[:-100],
        "trailer count": data.replace(b"TRAILER000000002", b"TRAILER000000003"),
        "removed record": data[:526] + data[1052:],
        "second header": data[:526] + data[:526] + data[526:],
        "not ascii": data.replace(b"SMITH", "SMÏTH".encode("latin-1")),
        "no trailer": data[:-526],
    }[damage]
    assert fast_path("metro2", broken) is None
    assert_same("metro2", broken, fast_expected=False)


@pytest.mark.parametrize("name", ["unpacked_fixed_file", "unpacked_variable_file"])
def test_moov_samples(name: str) -> None:
    assert_same("metro2", sample(f"{name}.dat"))


def test_packed_files_stay_on_the_reference_path() -> None:
    assert fast_path("metro2_packed", sample("packed_file.dat")) is None


_PRINTABLE = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
PLANTED = st.sampled_from(
    ["", "0", "00000000", "-1", "12345678}", "02302023", "13012024", "X", "'", '"', "\\", " 1"]
)


@st.composite
def planted(draw: st.DrawFn) -> Record:
    """A valid record with raw text planted in up to three fields of its base or J1 segment."""
    record = draw(valid_records())
    segments = [s for s in record.segments if s.name != "J1"]
    j1s = [draw(st.sampled_from([GOOD_J1, clean_j1()]))] if draw(st.booleans()) else []
    base = record.base
    for _ in range(draw(st.integers(0, 3))):
        on_j1 = bool(j1s) and draw(st.booleans())
        layout = J1 if on_j1 else BASE
        field = draw(
            st.sampled_from([f for f in layout.data_fields if f.name != "segment_identifier"])
        )
        text = draw(st.one_of(PLANTED, st.text(_PRINTABLE, max_size=field.length)))
        raw = (
            text[: field.length].rjust(field.length)
            if draw(st.booleans())
            else text[: field.length].ljust(field.length)
        )
        if on_j1:
            j1s = [Segment("J1", {**j1s[0].values, field.name: raw})]
        else:
            base = Segment("base", {**base.values, field.name: raw})
    extra = segments if draw(st.integers(0, 4)) == 0 else []
    return dataclasses.replace(record, base=base, segments=[*j1s, *extra])


@settings(
    max_examples=int(__import__("os").environ.get("FAST_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(planted(), min_size=1, max_size=5), st.sampled_from(["fixed", "variable"]))
def test_random_faults(records: list[Record], variant: str) -> None:
    assert_same("metro2", file_of(records, variant))
