"""Golden tests: what we read from moov-io's samples agrees with moov's JSON.

The ``.json`` beside each ``.dat`` is what moov-io/metro2 (an independent Go
implementation) produces for it. We compare field by field: moov's camelCase
names map mechanically to our snake_case names, numbers compare as ints (moov
omits zeros), dates and timestamps as ``date``/``datetime`` (moov omits
absent ones), text with trailing blanks removed (moov trims them).

Known difference, asserted explicitly below:

* ``unpacked_fixed_file``: the header's record descriptor word in the
  ``.dat`` is ``0470`` (the header is blank-padded to 470 bytes) while moov's
  JSON says 426. moov generated the JSON from a file whose header was 426
  bytes; we report the RDW that is in the file.

Reserved fields are not in moov's JSON and are checked to be blank instead.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from metro2_testkit import sample

from xinyong.ingest.metro2 import (
    Metro2File,
    Segment,
    detect,
    parse_data_record,
    parse_segment,
    read,
    trailer_mismatches,
    write,
)
from xinyong.ingest.metro2.codec import descriptor_bytes, encode_segment

SAMPLES = ["unpacked_fixed_file", "unpacked_variable_file", "packed_file"]
DESCRIPTOR_KEYS = {"recordDescriptorWord", "blockDescriptorWord"}


def snake(name: str) -> str:
    """moov's JSON name in our spelling: ``totalECOACodeZ`` -> ``total_ecoa_code_z``."""
    return re.sub(
        r"(?<=[a-z])(?=[A-Z0-9])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[A-Z])", "_", name
    ).lower()


def expected_value(kind: str, raw: Any) -> Any:
    if kind == "numeric":
        return 0 if raw is None else int(raw)
    if kind == "date":
        return None if raw is None else dt.date.fromisoformat(raw[:10])
    if kind == "timestamp":
        return None if raw is None else dt.datetime.fromisoformat(raw.replace("Z", ""))
    return "" if raw is None else raw


def compare(segment: Segment, moov: dict[str, Any], where: str) -> list[str]:
    """Every field where our value differs from moov's JSON (empty = agree)."""
    fields = {f.name: f for f in segment.layout.data_fields}
    mapped = {snake(k): v for k, v in moov.items() if k not in DESCRIPTOR_KEYS}
    out = [f"{where}: moov field {k!r} has no counterpart" for k in mapped if k not in fields]
    for name, f in fields.items():
        if name.startswith("reserved"):
            if not segment.is_blank(name):
                out.append(f"{where}.{name}: reserved field not blank: {segment.raw(name)!r}")
            continue
        want = expected_value(f.kind, mapped.get(name))
        got = segment.value(name)
        if got != want:
            out.append(f"{where}.{name}: ours {got!r}, moov {want!r}")
    return out


def load(name: str) -> tuple[Metro2File, dict[str, Any]]:
    data = sample(f"{name}.dat")
    moov = json.loads(sample(f"{name}.json"))
    return read(data), moov


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_agrees_with_moov_field_by_field(name: str) -> None:
    ours, moov = load(name)
    problems = compare(ours.header, moov["header"], "header")
    problems += compare(ours.trailer, moov["trailer"], "trailer")
    assert len(ours.records) == len(moov["data"])
    for i, (record, data) in enumerate(zip(ours.records, moov["data"], strict=True), 1):
        problems += compare(record.base, data["base"], f"record {i} base")
        for ident in ("j1", "j2", "k1", "k2", "k3", "k4", "l1", "n1"):
            theirs = data.get(ident)
            theirs_list = (
                theirs if isinstance(theirs, list) else ([] if theirs is None else [theirs])
            )
            mine = record.appendages(ident.upper())
            assert len(mine) == len(theirs_list), (
                f"record {i} {ident}: {len(mine)} vs {len(theirs_list)}"
            )
            for n, (seg, moov_seg) in enumerate(zip(mine, theirs_list, strict=True), 1):
                problems += compare(seg, moov_seg, f"record {i} {ident}[{n}]")
    assert problems == []


@pytest.mark.parametrize("name", SAMPLES)
def test_descriptor_words_agree_with_moov(name: str) -> None:
    ours, moov = load(name)
    assert ours.header_frame is not None and ours.trailer_frame is not None
    header_rdw = 470 if name == "unpacked_fixed_file" else moov["header"]["recordDescriptorWord"]
    assert ours.header_frame.rdw == header_rdw  # the one documented difference
    assert ours.header_frame.bdw == moov["header"].get("blockDescriptorWord")
    assert ours.trailer_frame.rdw == moov["trailer"]["recordDescriptorWord"]
    assert ours.trailer_frame.bdw == moov["trailer"].get("blockDescriptorWord")
    for record, data in zip(ours.records, moov["data"], strict=True):
        assert record.rdw == data["base"]["recordDescriptorWord"]
        assert record.bdw == data["base"].get("blockDescriptorWord")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("unpacked_fixed_file", ("metro2", "fixed")),
        ("unpacked_variable_file", ("metro2", "variable")),
        ("packed_file", ("metro2_packed", "variable")),
    ],
)
def test_detect_samples(name: str, expected: tuple[str, str]) -> None:
    assert detect(sample(f"{name}.dat")) == expected


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_trailers_reconcile(name: str) -> None:
    ours, _ = load(name)
    assert trailer_mismatches(ours) == []
    assert ours.block_count == 3


def test_sample_records_offsets_and_numbers() -> None:
    fixed, _ = load("unpacked_fixed_file")
    variable, _ = load("unpacked_variable_file")
    packed, _ = load("packed_file")
    assert [(r.record_no, r.offset) for r in fixed.records] == [(1, 470)]
    assert [(r.record_no, r.offset) for r in variable.records] == [
        (1, 501)
    ]  # after BDW and a line break
    assert [(r.record_no, r.offset) for r in packed.records] == [(1, 374)]
    assert variable.notes and "moov-io" in variable.notes[0]


@pytest.mark.parametrize("name", ["unpacked_fixed_file", "unpacked_variable_file"])
def test_character_records_reencode_to_their_raw_bytes(name: str) -> None:
    ours, _ = load(name)
    for record in ours.records:
        encoded = encode_segment(record.base, rdw=record.rdw) + b"".join(
            encode_segment(s) for s in record.segments
        )
        assert record.raw[: len(encoded)] == encoded
        assert record.raw[len(encoded) :].strip(b" ") == b""


def test_packed_sample_rewrites_byte_for_byte() -> None:
    """Our packed writer reproduces moov's file; we add the trailer's BDW."""
    original = sample("packed_file.dat")
    ours = write(read(original), "variable", packed=True)
    trailer_at = len(original) - 366
    assert ours[:trailer_at] == original[:trailer_at]
    assert ours[trailer_at : trailer_at + 4] == descriptor_bytes(370, packed=True)
    assert ours[trailer_at + 4 :] == original[trailer_at:]


def test_base_segment_sample_matches_the_file_samples() -> None:
    """base_segment.dat (BDW, wrapped at 80 columns) holds the same consumer."""
    record = parse_data_record(sample("base_segment.dat"))
    fixed = json.loads(sample("unpacked_fixed_file.json"))["data"][0]
    packed = json.loads(sample("packed_file.json"))["data"][0]
    assert (record.bdw, record.rdw) == (1268, 1264)
    assert [s.name for s in record.segments] == [
        "J1",
        "J2",
        "J2",
        "K1",
        "K2",
        "K3",
        "K4",
        "L1",
        "N1",
    ]
    problems = compare(record.base, fixed["base"], "base")
    problems += compare(record.segments[0], fixed["j1"][0], "j1")
    problems += compare(record.segments[1], fixed["j2"][0], "j2[1]")
    problems += compare(record.segments[2], fixed["j2"][0], "j2[2]")
    for seg in record.segments[3:]:
        problems += compare(seg, packed[seg.name.lower()], seg.name)
    assert problems == []


@pytest.mark.parametrize(("name", "ident"), [("j1_segment.dat", "J1"), ("k1_segment.dat", "K1")])
def test_single_segment_samples(name: str, ident: str) -> None:
    segment = parse_segment(sample(name))
    moov = json.loads(sample("packed_file.json"))["data"][0][ident.lower()]
    assert segment.name == ident
    assert compare(segment, moov[0] if isinstance(moov, list) else moov, ident) == []
