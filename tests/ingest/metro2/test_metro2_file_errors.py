"""Whole-file faults raise one Metro2FileError naming the offset; record faults do not."""

from __future__ import annotations

import re

import pytest
from metro2_testkit import clean_base, clean_j1, clean_record, make_file, sample

from xinyong.errors import UserError
from xinyong.ingest.metro2 import Metro2FileError, Record, detect, read, trailer_mismatches, write
from xinyong.ingest.metro2.codec import encode_segment


def raises_at(data: bytes, pattern: str, offset: int) -> Metro2FileError:
    with pytest.raises(Metro2FileError, match=pattern) as info:
        read(data)
    err = info.value
    assert err.offset == offset
    assert f"offset {offset}" in str(err), str(err)
    return err


def two_record_file(variant: str = "fixed", *, packed: bool = False) -> bytes:
    second = clean_record(clean_base(consumer_account_number="ACCT0002"), [])
    return write(make_file([clean_record(), second]), variant, packed=packed)  # type: ignore[arg-type]


def test_error_is_a_user_error() -> None:
    assert issubclass(Metro2FileError, UserError)
    assert issubclass(Metro2FileError, ValueError)


def test_truncated_file() -> None:
    data = sample("unpacked_fixed_file.dat")[:1000]
    raises_at(data, r"^truncated file: the record at offset 470 declares 1000 bytes", 470)


def test_truncated_packed_file() -> None:
    data = sample("packed_file.dat")[:-10]
    raises_at(data, "truncated file", 1378)


def test_truncated_inside_header() -> None:
    raises_at(b"0426HEADER   ", "truncated file", 0)


def test_missing_header() -> None:
    data = sample("unpacked_fixed_file.dat")[470:]
    raises_at(data, "^header record missing", 0)


def test_missing_trailer() -> None:
    data = sample("unpacked_fixed_file.dat")[:1470]
    raises_at(
        data, "^trailer record missing: the file ends at offset 1470 after 1 data record", 1470
    )


def test_only_a_trailer() -> None:
    data = sample("unpacked_fixed_file.dat")[1470:]
    raises_at(data, "header record missing: the record at offset 0 is the trailer", 0)


@pytest.mark.parametrize(
    "garbage",
    [
        b"hello, this is not a credit file at all" * 20,
        b"\x89PNG\r\n\x1a\n" + bytes(500),
        b'{"header": {}}',
    ],
)
def test_garbage(garbage: bytes) -> None:
    assert detect(garbage) is None
    raises_at(garbage, "^not a Metro 2 file", 0)


def test_empty() -> None:
    raises_at(b"", "^empty file", 0)


def test_utf8_name_is_an_encoding_error() -> None:
    data = sample("unpacked_fixed_file.dat")
    at = data.index(b"SMITH-JONES")
    bad = data[:at] + "SMÏTH-JONES".encode() + data[at + 11 :]
    raises_at(bad, r"^non-ASCII byte 0xC3 at offset " + str(at + 2), at + 2)


def test_latin1_byte_after_line_break_names_the_original_offset() -> None:
    data = sample("unpacked_variable_file.dat")
    at = data.index(b"BEAUCHAMP")
    bad = data[:at] + b"\xc9" + data[at + 1 :]
    raises_at(bad, "non-ASCII byte 0xC9", at)


def test_ebcdic_file() -> None:
    data = sample("unpacked_fixed_file.dat").decode("ascii").encode("cp037")
    assert detect(data) is None
    raises_at(data, "EBCDIC", 4)


def test_byte_order_mark() -> None:
    data = sample("unpacked_fixed_file.dat")
    raises_at(b"\xef\xbb\xbf" + data, "UTF-8 byte-order mark", 0)
    raises_at(data.decode("ascii").encode("utf-16"), "UTF-16 byte-order mark", 0)


def test_packed_text_field_must_be_ascii() -> None:
    data = bytearray(sample("packed_file.dat"))
    at = data.index(b"SMITH-JONES")
    data[at] = 0xE4
    err = raises_at(bytes(data), "non-ASCII byte at offset", at)
    assert "surname" in str(err)


def test_record_shorter_than_minimum() -> None:
    data = bytearray(sample("unpacked_fixed_file.dat"))
    data[470:474] = b"0300"
    raises_at(bytes(data), "declares 300 bytes, less than the 426-byte minimum", 470)


def test_record_descriptor_not_digits() -> None:
    data = bytearray(sample("unpacked_fixed_file.dat"))
    data[470:474] = b"10X0"
    raises_at(bytes(data), "record descriptor word at offset 470 is not 4 ASCII digits", 470)


def test_record_overruns_file() -> None:
    data = bytearray(sample("unpacked_fixed_file.dat"))
    data[1470:1474] = b"0900"  # trailer claims more than remains
    raises_at(bytes(data), "truncated file: the record at offset 1470 declares 900 bytes", 1470)


def test_block_descriptor_not_digits() -> None:
    data = two_record_file("variable")
    at = data.index(b"ACCT0002") - 46  # BDW of the second data record
    assert data[at : at + 4].isdigit()
    bad = data[:at] + b"ABCD" + data[at + 4 :]
    raises_at(bad, f"block descriptor word at offset {at}", at)


def test_record_past_the_end_of_its_block() -> None:
    f = make_file([clean_record(), clean_record(segments=[])])
    data = bytearray(write(f, "variable"))
    # Header block 0..430; first data block: BDW at 430, its 526-byte record at 434..960,
    # then the next block's BDW at 960. Claim a 600-byte block, so the next BDW reads as
    # a second record's RDW that runs past the block's end (1030).
    assert data[430:434] == b"0530" and data[960:964] == b"0430"
    data[430:434] = b"0600"
    raises_at(
        bytes(data), "record at offset 960 declares 430 bytes, past the end of its block", 960
    )


def test_data_after_trailer() -> None:
    data = sample("unpacked_fixed_file.dat")
    extra = data + data[470:1470]
    raises_at(extra, "data after the trailer record, at offset 1896", 1896)


def test_second_header() -> None:
    data = sample("unpacked_fixed_file.dat")
    doubled = data[:470] + data[:470] + data[470:]
    raises_at(doubled, "second header record at offset 470", 470)


def test_trailing_blanks_and_line_breaks_are_tolerated() -> None:
    data = sample("unpacked_fixed_file.dat")
    assert read(data + b"\r\n" + b" " * 30 + b"\n") == read(data)


def test_record_faults_do_not_raise() -> None:
    """A record with an unknown segment is kept, raw bytes and all."""
    good = write(make_file([clean_record()]), "fixed")  # header, record, trailer of 526 bytes
    width = 526
    body = (encode_segment(clean_base(), rdw=width) + b"ZZ" + b"?" * 30).ljust(width)
    f = read(good[:width] + body + good[2 * width :])
    record = f.records[0]
    assert record.raw == body
    assert [p.rule for p in record.problems] == ["unknown_segment"]
    # The trailer was computed with the J1 that the bad bytes replaced.
    assert (
        "total_consumer_segments_j1: the trailer says 1, the records give 0"
        in trailer_mismatches(f)
    )


# --- Trailer reconciliation ------------------------------------------------------


@pytest.mark.parametrize(
    ("variant", "packed"), [("fixed", False), ("variable", False), ("variable", True)]
)
def test_removed_record_is_detected(variant: str, packed: bool) -> None:
    data = two_record_file(variant, packed=packed)
    f = read(data)
    assert trailer_mismatches(f) == []
    second = f.records[1]
    start = second.offset - (4 if second.bdw else 0)
    length = (second.bdw or second.rdw) or 0
    cut = read(data[:start] + data[start + length :])
    mismatches = trailer_mismatches(cut)
    assert "total_base_records: the trailer says 2, the records give 1" in mismatches
    assert "block_count: the trailer says 4, the records give 3" in mismatches
    assert any(m.startswith("total_status_code_11:") for m in mismatches)
    assert any(m.startswith("total_social_numbers_base_segments:") for m in mismatches)


def test_segment_counts_are_reconciled() -> None:
    f = make_file(
        [clean_record(segments=[clean_j1(), clean_j1(ecoa_code="Z", social_security_number=0)])]
    )
    totals = {m.split(":")[0] for m in trailer_mismatches(f)}
    assert totals == set()
    f2 = read(write(f, "fixed"))
    f2.records[0].segments.pop()
    assert {m.split(":")[0] for m in trailer_mismatches(f2)} == {
        "total_consumer_segments_j1",
        "total_ecoa_code_z",
        "total_dates_birth_all_segments",
        "total_dates_birth_j1_segments",
    }


def test_non_numeric_trailer_count_is_a_mismatch() -> None:
    f = make_file([clean_record()])
    broken = type(f)(f.header, f.records, f.trailer.replace(total_base_records="00000000X"))
    assert any(
        re.match(r"total_base_records: the trailer says '00000000X'", m)
        for m in trailer_mismatches(broken)
    )


def test_record_type_is_exported() -> None:
    assert Record.__module__.endswith("model")
