"""Files mixing valid and faulty records: the fast path's outcome is the reference's.

Files of records with faults planted field by field (:mod:`metro2_plant`),
checked in small chunks and blocks so that every record sits near a
boundary, with and without worker processes, from bytes and from a path
(streamed: never read whole), in both variants and with line breaks; and
files that deviate from one stride late in the file (framed by the reader's
framer from there on), or that the reader refuses (found out before the last
piece: the pieces stop with ``Declined``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "metro2"))
from fast_testkit import FURNISHER, KEY, outcome, reference
from metro2_plant import planted_record
from metro2_testkit import clean_base, clean_j1, clean_record, make_file

from xinyong.ingest.fast import Collected, Declined
from xinyong.ingest.fast import metro2 as fast_metro2
from xinyong.ingest.metro2 import Record, write
from xinyong.ingest.records import FileRejected

EXAMPLES = int(__import__("os").environ.get("FAST_EXAMPLES", "40"))


def check(source: bytes | Path, **sizes: int) -> Collected | None:
    """The fast path's outcome; None where it leaves the file to the reference path."""
    pieces = fast_metro2.check_metro2(source, FURNISHER, KEY, **sizes)
    if pieces is None:
        return None
    collected = Collected()
    try:
        for piece in pieces:
            collected.add(piece)
    except Declined:
        return None
    return collected


def assert_same_outcome(data: bytes, source: bytes | Path | None = None, **sizes: int) -> None:
    """The fast path takes the file and gives the reference's outcome, row for row."""
    want = outcome(reference("metro2", data))
    got_collected = check(data if source is None else source, **sizes)
    assert got_collected is not None, "the fast path declined the file"
    got = outcome(got_collected)
    assert got["counts"] == want["counts"]
    assert got["rules"] == want["rules"]
    assert got["warnings"] == want["warnings"]
    assert got["schemas"] == want["schemas"]
    for name, rows in want["tables"].items():
        for i, (g, w) in enumerate(zip(got["tables"][name], rows, strict=True)):
            assert g == w, f"{name} row {i}: " + "; ".join(
                f"{k}: got {g.get(k)!r}, want {v!r}" for k, v in w.items() if g.get(k) != v
            )
    assert set(got["tables"]) == set(want["tables"])


def _file(records: list[Record], variant: str = "fixed", newline: bytes = b"") -> bytes:
    return write(make_file(records), variant, newline=newline)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(planted_record(), min_size=1, max_size=24),
    st.sampled_from([("fixed", b""), ("fixed", b"\n"), ("fixed", b"\r\n"), ("variable", b"")]),
    st.integers(1, 9),
    st.integers(1, 5),
)
def test_mixtures_in_small_chunks(
    records: list[Record], framing: tuple[str, bytes], chunk_rows: int, block_rows: int
) -> None:
    variant, newline = framing
    data = _file(records, variant, newline)
    try:
        reference("metro2", data)
    except FileRejected:  # e.g. a '|' record hashed differently: nothing to compare
        assert check(data, chunk_rows=chunk_rows, block_rows=block_rows) is None
        return
    assert_same_outcome(data, chunk_rows=chunk_rows, block_rows=block_rows)


def _many(n: int) -> list[Record]:
    """A few hundred records: clean ones, faulty ones, J1s, repeated SSNs."""
    out = []
    for i in range(n):
        base = clean_base(
            consumer_account_number=f"ACCT{i:06d}",
            social_security_number=100000001 + i % 37,
            current_balance="-00000001" if i % 11 == 0 else i,
            date_opened="02302023" if i % 13 == 0 else "03012019",
        )
        j1 = [clean_j1(social_security_number=666000000 + i % 3)] if i % 17 == 0 else []
        j1 = [clean_j1(social_security_number=200000001 + i % 5)] if i % 5 == 0 else j1
        out.append(clean_record(base, j1))
    return out


def test_a_path_is_streamed_not_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _file(_many(300))
    path = tmp_path / "file.dat"
    path.write_bytes(data)

    def refuse(self: Path) -> bytes:
        raise AssertionError("the whole file was read into memory")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    want = outcome(reference("metro2", data))
    collected = check(path, chunk_rows=64, block_rows=16)
    assert collected is not None
    assert outcome(collected) == want


def test_worker_processes_give_the_same_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast_metro2, "WORKER_THRESHOLD", 0)
    assert_same_outcome(_file(_many(400)), chunk_rows=50, block_rows=20)


def _break_late(data: bytes, stride: int, how: str) -> bytes:
    """``data`` (fixed, with line breaks) altered in its 200th record."""
    at = 200 * stride
    record = data[at : at + stride]
    changed: dict[str, Any] = {
        "carriage return": record[:-1] + b"\r",
        "not printable": record[:100] + b"\x01" + record[101:],
        "second header": data[:stride],
        "another length": b"0527" + record[4:],
    }
    return data[:at] + changed[how] + data[at + stride :]


@pytest.mark.parametrize(
    "how", ["carriage return", "not printable", "second header", "another length"]
)
def test_a_late_deviation_is_found_before_the_last_piece(how: str) -> None:
    records = _many(300)
    data = _file(records, newline=b"\n")
    stride = len(data) // (len(records) + 2)
    broken = _break_late(data, stride, how)
    try:
        reference("metro2", broken)
    except FileRejected:
        assert check(broken, chunk_rows=64, block_rows=16) is None
        return
    # Still a file the reader takes (line breaks are removed wherever they are):
    # framed by the reader's own framer instead, same outcome.
    assert_same_outcome(broken, chunk_rows=64, block_rows=16)


def test_trailer_totals_are_checked_over_all_chunks() -> None:
    data = _file(_many(300))
    width = len(data) // 302
    trailer = data[-width:]
    wrong = trailer.replace(b"TRAILER000000300", b"TRAILER000000299")
    assert wrong != trailer
    assert check(data[:-width] + wrong, chunk_rows=64) is None
