"""Bounded memory by structure: a chunk is written out before the next one
is generated, and a four times larger population needs no more memory."""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from xinyong.synth import generate
from xinyong.synth.output import Output


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "furnishers").rglob("*") if p.is_file())


def test_every_chunk_is_written_before_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[int] = []
    original = Output.end_chunk

    def spy(self: Output) -> None:
        original(self)
        held.append(self.buffered_rows)

    monkeypatch.setattr(Output, "end_chunk", spy)
    sizes: list[int] = []
    done: list[int] = []

    def progress(n: int) -> None:
        done.append(n)
        sizes.append(_size(tmp_path))

    generate(400, 80, seed=2, out=tmp_path, chunk_size=50, progress=progress)
    assert done == [*range(50, 401, 50), *range(450, 481, 50), 480]
    assert held == [0] * len(done)  # nothing carried from one chunk to the next
    person_chunks = sizes[:8]
    assert all(b > a for a, b in itertools.pairwise(person_chunks))
    parquet = list((tmp_path / "furnishers").rglob("*.parquet"))
    assert parquet
    for path in parquet:
        assert pq.ParquetFile(path).metadata.num_row_groups >= 8, path  # one per chunk


def _peak(root: Path, persons: int) -> int:
    tracemalloc.start()
    try:
        generate(persons, persons // 10, seed=4, out=root, chunk_size=100)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_population(tmp_path: Path) -> None:
    generate(20, 2, seed=4, out=tmp_path / "warm", chunk_size=100)  # caches built once
    small = _peak(tmp_path / "small", 200)
    large = _peak(tmp_path / "large", 800)
    assert large < 1.25 * small + 500_000
