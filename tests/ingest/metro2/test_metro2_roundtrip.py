"""Property: ``read(write(f)) == f`` for any valid file, in every variant."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metro2_testkit import clean_base, clean_record, make_file, valid_files

from xinyong.ingest.metro2 import Metro2File, Segment, detect, read, trailer_mismatches, write

VARIANTS = [
    ("fixed", False, b""),
    ("fixed", False, b"\n"),
    ("variable", False, b""),
    ("variable", False, b"\r\n"),
    ("fixed", True, b""),
    ("variable", True, b""),
]


@pytest.mark.parametrize(("variant", "packed", "newline"), VARIANTS)
@settings(max_examples=30, deadline=None)
@given(f=valid_files())
def test_read_write_round_trip(f: Metro2File, variant: str, packed: bool, newline: bytes) -> None:
    data = write(f, variant, packed=packed, newline=newline)  # type: ignore[arg-type]
    back = read(data)
    assert back == f
    assert detect(data) == ("metro2_packed" if packed else "metro2", variant)
    assert trailer_mismatches(back) == []
    assert [r.record_no for r in back.records] == list(range(1, len(f.records) + 1))


@settings(max_examples=30, deadline=None)
@given(f=valid_files(), variant=st.sampled_from(["fixed", "variable"]))
def test_write_is_stable(f: Metro2File, variant: str) -> None:
    """Writing what was read gives the same bytes (no drift on re-export)."""
    data = write(f, variant)  # type: ignore[arg-type]
    assert write(read(data), variant) == data  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(f=valid_files())
def test_character_and_packed_carry_the_same_content(f: Metro2File) -> None:
    assert read(write(f, "variable", packed=True)) == read(write(f, "fixed"))


def test_fixed_records_share_one_length() -> None:
    f = make_file([clean_record(), clean_record(segments=[])])
    data = write(f, "fixed", newline=b"\n")
    lengths = {len(line) for line in data.split(b"\n")[:-1]}
    assert lengths == {526}
    assert all(line[:4] == b"0526" for line in data.split(b"\n")[:-1])


def test_variable_descriptor_words() -> None:
    f = make_file([clean_record()])
    data = write(f, "variable")
    assert data[:8] == b"04300426"  # header block: BDW 430, RDW 426
    assert data[430:438] == b"05300526"  # base + J1


def test_writer_rejects_what_it_cannot_write() -> None:
    f = make_file([clean_record()])
    with pytest.raises(ValueError, match="line breaks"):
        write(f, "variable", packed=True, newline=b"\n")
    with pytest.raises(ValueError, match="unknown variant"):
        write(f, "blocked")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="longer than 25"):
        clean_base(surname="X" * 26)
    with pytest.raises(ValueError, match="does not fit 9 digits"):
        clean_base(current_balance=1_000_000_000)
    bad = make_file([clean_record(clean_base(current_balance="12345678X"))])
    with pytest.raises(ValueError, match="current_balance"):
        write(bad, "variable", packed=True)
    huge = make_file([clean_record(segments=[Segment.build("J1", surname="A")] * 96)])
    with pytest.raises(ValueError, match="longer than a descriptor word"):
        write(huge, "fixed")


def test_typed_values_survive() -> None:
    f = read(write(make_file([clean_record()]), "variable", packed=True))
    base = f.records[0].base
    assert base.value("time_stamp") == dt.datetime(2024, 6, 1, 2, 3, 4)
    assert base.value("date_birth") == dt.date(1980, 2, 29)
    assert base.value("telephone_number") == 5175550100
    assert base.value("surname") == "SMITH-JONES"
