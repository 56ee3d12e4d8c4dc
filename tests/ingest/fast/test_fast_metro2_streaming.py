"""Variable-length (RDW/BDW) and irregular Metro 2 files stream through the fast path.

Such files are framed by the reference reader's own framer a window at a
time (``metro2_frame.Streamed``): the outcome must be the reference path's,
row for row, with windows far smaller than the file (so that records,
blocks and line breaks straddle window ends), the file never read whole,
and a process's peak memory must not grow with the file.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "metro2"))
from fast_testkit import FURNISHER, KEY, outcome, reference
from metro2_testkit import make_file, mixed_records

from xinyong.ingest.fast import Collected, Declined, metro2_frame
from xinyong.ingest.fast import metro2 as fast_metro2
from xinyong.ingest.metro2 import write
from xinyong.ingest.metro2.codec import descriptor_bytes, encode_segment
from xinyong.ingest.metro2.layout import BASE
from xinyong.ingest.metro2.trailer import with_trailer_totals


def _collect(source: bytes | Path, **sizes: int) -> Collected:
    pieces = fast_metro2.check_metro2(source, FURNISHER, KEY, **sizes)
    assert pieces is not None, "the fast path declined the file"
    collected = Collected()
    for piece in pieces:
        collected.add(piece)
        assert piece.by_reference == 0
    return collected


@pytest.mark.parametrize("newline", [b"", b"\n", b"\r\n"])
def test_a_variable_file_streams_with_the_reference_outcome(
    newline: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write(make_file(mixed_records(300)), "variable", newline=newline)
    path = tmp_path / "variable.dat"
    path.write_bytes(data)
    want = outcome(reference("metro2", data))
    counts = want["counts"]["accounts"]
    assert counts.accepted > 0 and counts.rejected > 0

    def refuse(self: Path) -> bytes:
        raise AssertionError("the whole file was read into memory")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    monkeypatch.setattr(metro2_frame, "READ_BYTES", 777)  # windows of a record or two
    monkeypatch.setattr(metro2_frame, "MARGIN", 1500)
    assert outcome(_collect(path, chunk_rows=37, block_rows=16)) == want
    assert outcome(_collect(data, chunk_rows=300)) == want


def test_a_fixed_file_of_two_record_lengths_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each record its own RDW but no BDW: framed as the reader frames it, a window at a time."""
    records = mixed_records(120)
    fixed = write(make_file(records), "fixed", newline=b"\n")
    width = fixed.index(b"\n")
    # Re-write each record with its own length: what ``variable`` writes, less the BDWs.
    data = b"".join(body[4:] + b"\n" for body in _blocks(write(make_file(records), "variable")))
    assert data != fixed and width == BASE.length + 100
    monkeypatch.setattr(metro2_frame, "READ_BYTES", 1000)
    monkeypatch.setattr(metro2_frame, "MARGIN", 2000)
    assert outcome(_collect(data, chunk_rows=50, block_rows=8)) == outcome(
        reference("metro2", data)
    )


def _blocks(data: bytes) -> list[bytes]:
    """The blocks of a variable file without line breaks, each with its BDW."""
    out, pos = [], 0
    while pos < len(data):
        size = int(data[pos : pos + 4])
        out.append(data[pos : pos + size])
        pos += size
    return out


def test_a_variable_file_without_its_trailer_is_declined_late() -> None:
    data = write(make_file(mixed_records(100)), "variable")
    cut = data[: -(BASE.length + 4)]
    pieces = fast_metro2.check_metro2(cut, FURNISHER, KEY, chunk_rows=10, block_rows=4)
    assert pieces is not None  # the first chunk is fine: the end shows it
    with pytest.raises(Declined):
        for _ in pieces:
            pass


def _variable_file(path: Path, copies: int) -> int:
    """A variable file of ``copies`` times 12 records, written without building it whole."""
    records = mixed_records(12)
    blocks = _blocks(write(make_file(records), "variable"))
    trailer = make_file(records * copies).trailer
    with path.open("wb") as out:
        out.write(blocks[0])
        data = b"".join(blocks[1:-1])
        for _ in range(copies):
            out.write(data)
        body = encode_segment(trailer, rdw=BASE.length)
        out.write(descriptor_bytes(len(body) + 4, packed=False) + body)
    return path.stat().st_size


_PEAK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from xinyong.ingest.fast.metro2 import check_metro2

    received = 0
    # One chunk to a piece: the small file is then many pieces too, as the large one.
    pieces = check_metro2(Path(sys.argv[1]), "bank-fast", b"key", chunk_rows=2048, piece_chunks=1)
    for piece in pieces:
        received += sum(piece.received.values())
    status = Path("/proc/self/status").read_text().splitlines()
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(received, peak * 1024)
    """
)


def _peak(path: Path) -> tuple[int, int]:
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)], capture_output=True, text=True, check=True
    )
    received, peak = done.stdout.split()
    return int(received), int(peak)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS from /proc")
def test_peak_memory_does_not_grow_with_a_variable_file(tmp_path: Path) -> None:
    small, large = tmp_path / "small.dat", tmp_path / "large.dat"
    small_size = _variable_file(small, 500)
    large_size = _variable_file(large, 6000)
    small_n, small_peak = _peak(small)
    large_n, large_peak = _peak(large)
    assert (small_n, large_n) == (6000, 72000)
    # Reading the file whole would add its 30 MiB; a chunk of records is about 1 MiB.
    assert large_peak - small_peak < (large_size - small_size) // 3


def test_blocks_of_several_records_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of three records with blank fill: each block framed by the reader's framer."""
    records = mixed_records(90)
    blocks = _blocks(write(make_file(records), "variable"))
    data = [blocks[0]]
    for i in range(1, len(blocks) - 1, 3):
        body = b"".join(b[4:] for b in blocks[i : i + 3]) + b" " * (i % 7)
        data.append(descriptor_bytes(len(body) + 4, packed=False) + body + b"\n")
    # One block per three records, and the header's and the trailer's.
    file = dataclasses.replace(make_file(records), block_count=32)
    trailer = with_trailer_totals(file).trailer
    data.append(
        descriptor_bytes(BASE.length + 4, packed=False) + encode_segment(trailer, rdw=BASE.length)
    )
    whole = b"".join(data)
    monkeypatch.setattr(metro2_frame, "READ_BYTES", 900)
    monkeypatch.setattr(metro2_frame, "MARGIN", 1700)
    want = outcome(reference("metro2", whole))
    assert want["counts"]["accounts"].received == 90
    assert outcome(_collect(whole, chunk_rows=20, block_rows=8)) == want
