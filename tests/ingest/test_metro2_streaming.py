"""The Metro 2 reference path streams a file, with the whole-file reader's outcome.

:class:`~xinyong.ingest.metro2.Metro2Stream` reads a file on disk a window
at a time; :func:`~xinyong.ingest.metro2.read` parses bytes whole. On every
file they must agree exactly: the same records (content, numbers, offsets,
raw bytes, descriptor words, problems), header, trailer, block count and
trailer mismatches, or the same whole-file message and offset, including
which fault is reported when a file has several. The windows here are made
far smaller than the files, so records, blocks and line breaks straddle
window ends; the margin ahead of a step stays what the framer needs.

Then: through the pipeline a file refused late stores nothing, and a
process's peak memory does not grow with the file.
"""

from __future__ import annotations

import dataclasses
import functools
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from xinyong.ingest import metro2_format, pipeline
from xinyong.ingest.metro2 import (
    Metro2FileError,
    Metro2Stream,
    Record,
    read,
    streaming,
    trailer_mismatches,
    write,
)
from xinyong.ingest.metro2.codec import descriptor_bytes, encode_segment
from xinyong.ingest.metro2.layout import BASE
from xinyong.ingest.metro2.trailer import with_trailer_totals
from xinyong.ingest.records import FileRejected
from xinyong.ledger import Ledger
from xinyong.store import repositories, schema
from xinyong.store.engine import transaction

sys.path.insert(0, str(Path(__file__).parent / "metro2"))
from metro2_testkit import clean_base, clean_j1, clean_record, make_file, sample

CHARACTER_REACH = 2 * 9_999 + 8
"""How far past its start a framer step reads in a character file (two 4-digit lengths)."""
PACKED_REACH = 2 * 0xFFFF + 8
"""The same for a packed file (two 2-byte binary lengths)."""


def _detail(record: Record) -> tuple[Any, ...]:
    """Everything of a record, framing included (``==`` compares content only)."""
    framing = (record.record_no, record.offset, record.raw, record.rdw, record.bdw)
    return (record, *framing, record.problems)


def whole(data: bytes) -> tuple[Any, ...]:
    """The whole-file reader's outcome: the file read, or its refusal."""
    try:
        f = read(data)
    except Metro2FileError as exc:
        return ("refused", str(exc), exc.offset)
    return (
        "read",
        [_detail(r) for r in f.records],
        f.header,
        f.trailer,
        f.header_frame,
        f.trailer_frame,
        f.block_count,
        trailer_mismatches(f),
    )


def streamed(source: bytes | Path) -> tuple[Any, ...]:
    """The streaming reader's outcome, in the same terms."""
    stream = Metro2Stream(source)
    records = []
    try:
        for record in stream.records():
            records.append(_detail(record))
    except Metro2FileError as exc:
        return ("refused", str(exc), exc.offset)
    return (
        "read",
        records,
        stream.header,
        stream.trailer,
        stream.header_frame,
        stream.trailer_frame,
        stream.block_count,
        stream.trailer_mismatches(),
    )


@pytest.fixture
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few records read at a time; the margin just what a step needs."""
    _small_windows(monkeypatch, packed=True)


def _small_windows(monkeypatch: pytest.MonkeyPatch, *, packed: bool) -> None:
    monkeypatch.setattr(streaming, "READ_BYTES", 997)
    monkeypatch.setattr(streaming, "MARGIN", PACKED_REACH if packed else CHARACTER_REACH)


def assert_streams_as_read(data: bytes, path: Path) -> tuple[Any, ...]:
    path.write_bytes(data)
    want = whole(data)
    assert streamed(path) == want
    assert streamed(data) == want
    return want


# --- Files of every shape --------------------------------------------------------


def _records(n: int, *, packed: bool = False) -> list[Record]:
    """Records of two lengths (base alone, base and J1), some faulty, SSNs repeating."""
    out = []
    for i in range(n):
        base = clean_base(
            consumer_account_number=f"ACCT{i:06d}",
            social_security_number=666000001 if i % 17 == 0 else 123450001 + i % 41,
            account_status="97" if i % 11 == 0 else "11",
            current_balance="-00000001" if i % 13 == 0 and not packed else i,
        )
        out.append(clean_record(base, [clean_j1()] if i % 3 == 0 else []))
    return out


def _blocked(n: int) -> bytes:
    """A variable file with blocks of three records, blank fill and line breaks."""
    records = _records(n)
    data = write(make_file(records), "variable")
    blocks, pos = [], 0
    while pos < len(data):
        size = int(data[pos : pos + 4])
        blocks.append(data[pos : pos + size])
        pos += size
    out = [blocks[0]]
    for i in range(1, len(blocks) - 1, 3):
        body = b"".join(b[4:] for b in blocks[i : i + 3]) + b" " * (i % 7)
        out.append(descriptor_bytes(len(body) + 4, packed=False) + body + b"\n")
    # One block per three records, and the header's and the trailer's.
    file = dataclasses.replace(make_file(records), block_count=2 + -(-n // 3))
    trailer = with_trailer_totals(file).trailer
    out.append(
        descriptor_bytes(BASE.length + 4, packed=False) + encode_segment(trailer, rdw=BASE.length)
    )
    return b"".join(out)


@functools.cache
def shaped(name: str) -> bytes:
    """Files larger than a step's reach, so the window's end is not the file's."""
    if name == "fixed":
        return write(make_file(_records(160)), "fixed", newline=b"\n")
    if name == "variable":
        return write(make_file(_records(160)), "variable", newline=b"\r\n")
    if name == "blocked":
        return _blocked(150)
    if name == "packed_fixed":
        return write(make_file(_records(420, packed=True)), "fixed", packed=True)
    if name == "packed_variable":
        return write(make_file(_records(420, packed=True)), "variable", packed=True)
    raise ValueError(name)


SHAPES = ["fixed", "variable", "blocked", "packed_fixed", "packed_variable"]


@pytest.mark.parametrize("name", SHAPES)
def test_every_shape_streams_as_read(name: str, tmp_path: Path, small_windows: None) -> None:
    data = shaped(name)
    reach = PACKED_REACH if name.startswith("packed") else CHARACTER_REACH
    assert len(data) > 1.2 * reach
    want = assert_streams_as_read(data, tmp_path / "file.dat")
    assert want[0] == "read" and len(want[1]) > 100
    assert want[-1] == []  # the trailer adds up


@pytest.mark.parametrize(
    "name", ["packed_file.dat", "unpacked_fixed_file.dat", "unpacked_variable_file.dat"]
)
@pytest.mark.parametrize("tail", [b"", b"\r\n" + b" " * 30 + b"\n", b"\x00\x00\n"])
def test_moov_samples_stream_as_read(
    name: str, tail: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streaming, "READ_BYTES", 101)
    assert_streams_as_read(sample(name) + tail, tmp_path / name)


# --- Every kind of whole-file fault ----------------------------------------------


def _fixed() -> bytes:
    return shaped("fixed")


def _packed() -> bytes:
    return shaped("packed_variable")


def _at(data: bytes, needle: bytes, nth: int = 0) -> int:
    at = -1
    for _ in range(nth + 1):
        at = data.index(needle, at + 1)
    return at


def _set(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new) :]


def _record_start(data: bytes, k: int) -> int:
    """Where the ``k``-th line of a fixed file with line breaks starts."""
    return sum(len(line) + 1 for line in data.split(b"\n")[:k])


def _without_record(data: bytes, k: int) -> bytes:
    """A fixed file without its ``k``-th record (all records as long as the header)."""
    width = int.from_bytes(data[:2], "big") if data[2:4] == b"\x00\x00" else int(data[:4])
    return data[: k * width] + data[(k + 1) * width :]


def _last_line_cut(data: bytes) -> bytes:
    return data[: data.rindex(b"\n", 0, -1) + 1]


FAULTS: dict[str, Any] = {
    "empty": lambda: b"",
    "blank": lambda: b" \r\n\x00" * 5000,
    "garbage": lambda: b"hello, this is not a credit file at all" * 2000,
    "utf8 bom": lambda: b"\xef\xbb\xbf" + _fixed(),
    "utf16": lambda: _fixed()[:5000].decode("ascii").encode("utf-16"),
    "ebcdic": lambda: _fixed()[:5000].decode("ascii").encode("cp037"),
    "only a trailer": lambda: _fixed()[_fixed().rindex(b"\n", 0, -1) + 1 :],
    "header missing": lambda: _fixed()[_record_start(_fixed(), 1) :],
    "truncated": lambda: _fixed()[:-100],
    "truncated packed": lambda: _packed()[:-10],
    "truncated in the header": lambda: b"0426HEADER   ",
    "trailer missing": lambda: _last_line_cut(_fixed()),
    "trailer missing, blank lines after": lambda: (
        _last_line_cut(_fixed()) + (b" " * 80 + b"\n") * 400
    ),
    "not ascii": lambda: _set(_fixed(), _at(_fixed(), b"SMITH", 90), "Ï".encode()),
    "not ascii at the very end": lambda: _fixed() + b"\xc9",
    "packed text not ascii": lambda: _set(_packed(), _at(_packed(), b"SMITH", 200), b"\xe4"),
    "packed header text not ascii": lambda: _set(_packed(), 30, b"\xe4"),
    "packed trailer text not ascii": lambda: _set(_packed(), len(_packed()) - 3, b"\xe4"),
    "record shorter than the minimum": lambda: _set(_fixed(), _record_start(_fixed(), 70), b"0300"),
    "descriptor not digits": lambda: _set(_fixed(), _record_start(_fixed(), 70), b"10X0"),
    "record overruns the file": lambda: _set(_fixed(), _fixed().rindex(b"\n", 0, -1) + 1, b"0900"),
    "block descriptor not digits": lambda: _set(
        shaped("variable"), _at(shaped("variable"), b"ACCT000100") - 46, b"ABCD"
    ),
    "record past the end of its block": lambda: _set(
        shaped("blocked"), _at(shaped("blocked"), b"ACCT000090") - 46 - 4, b"0600"
    ),
    "data after the trailer": lambda: _fixed() + _fixed()[_record_start(_fixed(), 5) :][:527],
    "second header": lambda: (
        _fixed()[: _record_start(_fixed(), 90)]
        + _fixed()[: _record_start(_fixed(), 1)]
        + _fixed()[_record_start(_fixed(), 90) :]
    ),
    "trailer does not add up": lambda: (
        _fixed()[: _record_start(_fixed(), 40)] + _fixed()[_record_start(_fixed(), 41) :]
    ),
    "packed trailer does not add up": lambda: _without_record(shaped("packed_fixed"), 50),
    # Several faults: the reader's precedence, not file order, decides which is told.
    "second header, then a framing fault": lambda: _set(
        FAULTS["second header"](), _record_start(_fixed(), 150), b"10X0"
    ),
    "framing fault, then a byte that is not ascii": lambda: _set(
        _set(_fixed(), _record_start(_fixed(), 3), b"10X0"), len(_fixed()) - 600, b"\x80"
    ),
    "second header, then no trailer": lambda: _last_line_cut(FAULTS["second header"]()),
    "data after the trailer, then truncated": lambda: FAULTS["data after the trailer"]()[:-5],
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_whole_file_fault_is_told_as_read_tells_it(
    fault: str, tmp_path: Path, small_windows: None
) -> None:
    data = FAULTS[fault]()
    want = assert_streams_as_read(data, tmp_path / "fault.dat")
    if "does not add up" in fault:
        assert want[0] == "read" and want[-1], "the trailer should disagree"
    else:
        assert want[0] == "refused", f"{fault}: read() took the file"


def test_precedence_is_the_readers() -> None:
    """What the several-fault cases above pin down: not the first fault in file order."""
    assert whole(FAULTS["second header, then a framing fault"]())[1].startswith(
        "record descriptor word"
    )
    assert whole(FAULTS["framing fault, then a byte that is not ascii"]())[1].startswith(
        "non-ASCII byte 0x80"
    )
    assert whole(FAULTS["second header, then no trailer"]())[1].startswith("second header")


# --- Any file, any damage -------------------------------------------------------

_BYTES = [0x00, 0x0A, 0x0D, 0x20, 0x30, 0x34, 0x39, ord("H"), ord("T"), 0x7F, 0xC9, 0xFF]

damage = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.integers(0, 10**9), st.sampled_from(_BYTES)),
        st.tuples(st.just("cut"), st.integers(0, 10**9), st.just(0)),
        st.tuples(st.just("delete"), st.integers(0, 10**9), st.sampled_from([1, 4, 366, 527])),
        st.tuples(st.just("copy"), st.integers(0, 10**9), st.integers(0, 10**9)),
        st.tuples(st.just("append"), st.sampled_from([1, 80, 3000]), st.sampled_from(_BYTES)),
    ),
    max_size=3,
)


def _damaged(data: bytes, changes: list[tuple[str, int, int]]) -> bytes:
    for kind, a, b in changes:
        n = len(data)
        if kind == "append":
            data += bytes([b]) * a
        elif not n:
            continue
        elif kind == "set":
            data = _set(data, a % n, bytes([b]))
        elif kind == "cut":
            data = data[: a % n]
        elif kind == "delete":
            data = data[: a % n] + data[a % n + b :]
        else:  # a slice of the file copied elsewhere: second headers, doubled records
            src = b % n
            data = data[: a % n] + data[src : src + 527] + data[a % n :]
    return data


@pytest.mark.parametrize("name", SHAPES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=damage)
def test_any_damaged_file_streams_as_read(
    name: str, changes: list[tuple[str, int, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    data = _damaged(shaped(name), changes)
    path = tmp_path_factory.mktemp("damaged") / "file.dat"
    path.write_bytes(data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _small_windows(monkeypatch, packed=name.startswith("packed"))
        assert streamed(path) == whole(data)


# --- Through the pipeline ----------------------------------------------------------


def test_a_refusal_found_at_the_end_comes_after_the_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The records stream out before the trailer is checked; the refusal ends the stream."""
    monkeypatch.setattr(pipeline, "REFERENCE_PIECE_RECORDS", 25)
    path = tmp_path / "cut.dat"
    path.write_bytes(FAULTS["trailer does not add up"]())
    pieces = pipeline.reference_pieces(pipeline.formats()["metro2"], path, "us-card", b"k")
    seen = 0
    with pytest.raises(FileRejected, match=r"^trailer totals do not match") as info:
        for piece in pieces:
            seen += sum(piece.received.values())
    assert info.value.rule == "trailer"
    assert seen == 150  # 159 records, the last piece's 9 not given out


@pytest.fixture
def store(engine: Engine) -> Engine:
    with transaction(engine) as conn:
        repositories.add_organisation(
            conn,
            org_id="us-card",
            name="US Card",
            kind="card_issuer",
            roles=["furnisher"],
            country="US",
        )
    return engine


@pytest.mark.parametrize("fault", ["trailer does not add up", "second header, then no trailer"])
def test_a_file_refused_at_its_end_stores_nothing(
    fault: str, tmp_path: Path, store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "REFERENCE_PIECE_RECORDS", 25)
    ledger = Ledger(tmp_path / "ledger")
    path = tmp_path / "refused.dat"
    data = FAULTS[fault]()
    path.write_bytes(data)
    report = pipeline.ingest_file(path, "us-card", ledger=ledger, engine=store, hash_key=b"k")
    with pytest.raises(FileRejected) as info:
        list(metro2_format.read(data))
    assert (report.status, report.reason) == ("rejected", info.value.message)
    assert (report.received, report.accepted, report.rejected) == (0, 0, 0)
    (batch,) = ledger.batches()
    assert batch.tables == {}
    assert sorted(p.name for p in (tmp_path / "ledger").rglob("*.parquet")) == []
    with store.connect() as conn:
        rules = conn.execute(
            select(schema.rejects.c.rule).where(schema.rejects.c.batch_id == batch.batch_id)
        ).scalars()
        assert list(rules) == ["file"]


# --- Memory -------------------------------------------------------------------------


def _big_file(path: Path, copies: int, *, packed: bool) -> int:
    records = _records(12, packed=packed)
    path.write_bytes(write(make_file(records * copies), "fixed", packed=packed, newline=b""))
    return path.stat().st_size


_PEAK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from xinyong.ingest import pipeline
    from xinyong.ingest.metro2 import streaming

    pipeline.REFERENCE_PIECE_RECORDS = 300  # a piece, and a window, far smaller than the files
    streaming.READ_BYTES = 1 << 18
    module = pipeline.formats()[sys.argv[2]]
    received = 0
    for piece in pipeline.reference_pieces(module, Path(sys.argv[1]), "bank", b"key"):
        received += sum(piece.received.values())
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(received, peak * 1024)
    """
)


def _peak(path: Path, fmt: str) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path), fmt], capture_output=True, text=True, check=True
    )
    received, peak = done.stdout.split()
    return int(received), int(peak)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS from /proc")
@pytest.mark.parametrize("fmt", ["metro2", "metro2_packed"])
def test_peak_memory_does_not_grow_with_the_file(fmt: str, tmp_path: Path) -> None:
    packed = fmt == "metro2_packed"
    small, large = tmp_path / "small.dat", tmp_path / "large.dat"
    small_size = _big_file(small, 200, packed=packed)
    large_size = _big_file(large, 2000, packed=packed)
    small_n, small_peak = _peak(small, fmt)
    large_n, large_peak = _peak(large, fmt)
    assert (small_n, large_n) == (2400, 24000)
    # Reading the file whole would add its 10 MiB, parsing it ten times that.
    assert large_peak - small_peak < (large_size - small_size) // 3
