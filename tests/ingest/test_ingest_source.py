"""Reading a file a block at a time gives what reading it whole gave, wherever the blocks end.

Each helper of :mod:`xinyong.ingest.source` replaces a whole-text operation
(``bytes.decode``, ``io.StringIO(text, newline="")``, a split at ``\\n``);
Hypothesis cuts random texts into random pieces and compares.
"""

from __future__ import annotations

import io
import itertools
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.ingest import source
from xinyong.ingest.pipeline import detect
from xinyong.ingest.records import FileRejected
from xinyong.ingest.text import decode_utf8

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import ingest as bench  # benchmarks/ingest.py: the file generators

LINE_TEXT = st.text(alphabet=st.sampled_from('ab,"\r\n\u2028\x0c é'), max_size=60)
CUTS = st.lists(st.integers(0, 60), max_size=8)


def cut(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(c, len(text)) for c in cuts})
    edges = [0, *points, len(text)]
    return [text[a:b] for a, b in itertools.pairwise(edges)]


def whole_file_lines(text: str) -> list[str]:
    """What ``jsonl_format.lines`` did over the whole text before it streamed."""
    parts = text.split("\n")
    if parts and parts[-1] == "":
        parts.pop()
    return [p[:-1] if p.endswith("\r") else p for p in parts]


@settings(max_examples=300, deadline=None)
@given(LINE_TEXT, CUTS)
def test_universal_lines_are_stringio_lines(text: str, cuts: list[int]) -> None:
    assert list(source.universal_lines(cut(text, cuts))) == list(io.StringIO(text, newline=""))


@settings(max_examples=300, deadline=None)
@given(LINE_TEXT, CUTS)
def test_newline_lines_are_the_whole_text_split(text: str, cuts: list[int]) -> None:
    assert list(source.newline_lines(cut(text, cuts))) == whole_file_lines(text)


BYTES = st.one_of(
    st.binary(max_size=40),
    st.text(alphabet=st.sampled_from("a\n王é\U0001f600"), max_size=20).map(str.encode),
)


@settings(max_examples=300, deadline=None)
@given(st.booleans(), BYTES, st.integers(1, 7))
def test_utf8_text_decodes_or_refuses_as_the_whole_file_would(
    bom: bool, data: bytes, block: int
) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + data
    try:
        want: str | FileRejected = decode_utf8(data, "CSV")
    except FileRejected as exc:
        want = exc
    try:
        got: str | FileRejected = "".join(source.utf8_text(io.BytesIO(data), "CSV", block))
    except FileRejected as exc:
        got = exc
    if isinstance(want, FileRejected):
        assert isinstance(got, FileRejected)
        assert (got.message, got.rule) == (want.message, want.rule)
    else:
        assert got == want


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80).map(lambda b: b.replace(b"\x00", b"\n")), st.integers(1, 9))
def test_line_blocks_end_after_a_line_break_and_join_to_the_file(data: bytes, size: int) -> None:
    blocks = list(source.line_blocks(io.BytesIO(data), size))
    assert b"".join(blocks) == data
    assert all(block.endswith(b"\n") for block in blocks[:-1])
    assert all(blocks)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "metro2"])
def test_a_sample_is_detected_as_the_whole_file(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"f.{fmt}"
    if fmt == "metro2":
        bench.metro2_file(path, 300, 100)
    else:
        writer = {"csv": bench.write_csv, "jsonl": bench.write_jsonl}.get(fmt, bench.write_parquet)
        writer(path, bench.canonical_records(1500, 500))
    data = path.read_bytes()
    assert len(data) > source.SNIFF_BYTES + 8
    assert detect(source.sample(path)) == detect(source.sample(data)) == detect(data) == fmt
    assert source.sha256(path) == source.sha256(data)
    small = data[: source.SNIFF_BYTES // 2]
    assert source.sample(small) == small
