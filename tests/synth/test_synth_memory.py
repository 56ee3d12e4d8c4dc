"""Bounded memory by structure: a chunk is written out before much more is
generated, worker processes run at most a few chunks ahead of the writer,
and a four times larger population needs no more memory."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from xinyong.synth import generate
from xinyong.synth.generate import ordered_map
from xinyong.synth.output import ChunkResult, Output


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "furnishers").rglob("*") if p.is_file())


@pytest.mark.parametrize("workers", [1, 2])
def test_every_chunk_is_written_before_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    written: list[int] = []
    original = Output.write_chunk

    def spy(self: Output, chunk: ChunkResult) -> None:
        original(self, chunk)
        written.append(chunk.subjects)

    monkeypatch.setattr(Output, "write_chunk", spy)
    sizes: list[int] = []
    done: list[int] = []

    def progress(n: int) -> None:
        done.append(n)
        sizes.append(_size(tmp_path))

    generate(400, 80, seed=2, out=tmp_path, chunk_size=50, progress=progress, workers=workers)
    assert done == [*range(50, 401, 50), *range(450, 481, 50), 480]
    assert written == [50] * 9 + [30]  # one write per chunk, each before its progress call
    person_chunks = sizes[:8]
    assert all(b > a for a, b in itertools.pairwise(person_chunks))
    parquet = list((tmp_path / "furnishers").rglob("*.parquet"))
    assert parquet
    for path in parquet:
        assert pq.ParquetFile(path).metadata.num_row_groups >= 8, path  # one per chunk


def _square(n: int) -> int:
    return n * n


def test_workers_run_a_bounded_window_ahead() -> None:
    """Results are yielded in task order, and tasks are taken from the
    iterator only as results are consumed: at most ``window`` ahead."""
    taken: list[int] = []

    def tasks() -> Iterator[int]:
        for n in range(40):
            taken.append(n)
            yield n

    results = []
    for result in ordered_map(_square, tasks(), 2, window=3):
        assert len(taken) - len(results) <= 3
        results.append(result)
    assert results == [n * n for n in range(40)]


def _peak(root: Path, persons: int) -> int:
    tracemalloc.start()
    try:
        generate(persons, persons // 10, seed=4, out=root, chunk_size=100, workers=1)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_does_not_grow_with_population(tmp_path: Path) -> None:
    generate(20, 2, seed=4, out=tmp_path / "warm", chunk_size=100, workers=1)  # caches built once
    small = _peak(tmp_path / "small", 200)
    large = _peak(tmp_path / "large", 800)
    assert large < 1.25 * small + 500_000
