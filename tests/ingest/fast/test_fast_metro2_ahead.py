"""Metro 2 pieces made on a thread ahead of the caller, several chunks to a piece.

The pieces must be the same outcome in the same order whatever their size,
an exception while making one must reach the caller (after the pieces
before it), and a caller that stops early must leave no thread running and
the iterator closed (its ``finally`` shuts the worker process down).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "metro2"))
from fast_testkit import FURNISHER, KEY, outcome, reference
from metro2_testkit import make_file, mixed_records

from xinyong.ingest.fast import Collected, Declined
from xinyong.ingest.fast import metro2 as fast_metro2
from xinyong.ingest.fast.metro2_ahead import ahead
from xinyong.ingest.metro2 import write


@pytest.mark.parametrize("piece_chunks", [1, 3, 100])
def test_pieces_of_several_chunks_are_the_reference_outcome(piece_chunks: int) -> None:
    data = write(make_file(mixed_records(230)), "fixed", newline=b"\n")
    pieces = fast_metro2.check_metro2(
        data, FURNISHER, KEY, chunk_rows=20, block_rows=8, piece_chunks=piece_chunks
    )
    assert pieces is not None
    collected, ends = Collected(), []
    for piece in pieces:
        collected.add(piece)
        ends.append(piece.last_record_no)
        assert sum(piece.received.values()) <= 20 * piece_chunks
    assert outcome(collected) == outcome(reference("metro2", data))
    assert ends == sorted(ends) and ends[-1] == 230
    assert len(ends) == -(-230 // (20 * piece_chunks))  # 12 chunks, the last one short


def test_a_file_declined_late_is_declined_through_the_thread() -> None:
    data = write(make_file(mixed_records(100)), "variable")
    cut = data[: -(426 + 4)]  # no trailer: known only after the last chunk
    pieces = fast_metro2.check_metro2(cut, FURNISHER, KEY, chunk_rows=10, piece_chunks=3)
    assert pieces is not None
    with pytest.raises(Declined):
        for _ in pieces:
            pass


def _counting(n: int, events: list[str], fail_at: int | None = None) -> Iterator[int]:
    try:
        for i in range(n):
            if i == fail_at:
                raise ValueError(f"piece {i}")
            events.append(f"made {i}")
            yield i
    finally:
        events.append(f"closed on {threading.current_thread().name}")


def test_ahead_gives_every_piece_in_order_on_another_thread() -> None:
    events: list[str] = []
    assert list(ahead(_counting(50, events), name="pieces-test")) == list(range(50))
    assert events[-1] == "closed on pieces-test"


def test_ahead_raises_a_failure_after_the_pieces_before_it() -> None:
    events: list[str] = []
    got = []
    with pytest.raises(ValueError, match="piece 3"):
        for piece in ahead(_counting(10, events, fail_at=3)):
            got.append(piece)
    assert got == [0, 1, 2]


def test_a_caller_that_stops_early_leaves_no_thread_and_the_iterator_closed() -> None:
    events: list[str] = []
    before = {t.name for t in threading.enumerate()}
    pieces = ahead(_counting(1000, events), name="pieces-early")
    assert next(pieces) == 0
    pieces.close()  # what a ledger write failing part way does to its stream
    assert events[-1] == "closed on pieces-early"
    assert len([e for e in events if e.startswith("made")]) < 10  # it did not run on
    assert {t.name for t in threading.enumerate()} <= before
