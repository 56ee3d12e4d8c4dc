"""Same seed, same bytes; another seed, another country."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinyong.synth import generate


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    a = generate(300, 60, seed=7, out=tmp_path / "a", chunk_size=100)
    b = generate(300, 60, seed=7, out=tmp_path / "b", chunk_size=100)
    files_a, files_b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert files_a.keys() == files_b.keys()
    assert {".csv", ".jsonl", ".parquet", ".dat", ".json"} <= {Path(n).suffix for n in files_a}
    for name, data in files_a.items():
        assert data == files_b[name], name
    assert a == b


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_change_no_byte(tmp_path: Path, workers: int) -> None:
    """Chunks made in parallel are written in order: the files, Parquet row
    groups included, are the same as those of one process."""
    one = generate(300, 60, seed=11, out=tmp_path / "one", months=2, chunk_size=45, workers=1)
    many = generate(
        300, 60, seed=11, out=tmp_path / "many", months=2, chunk_size=45, workers=workers
    )
    files_one, files_many = _files(tmp_path / "one"), _files(tmp_path / "many")
    assert files_one.keys() == files_many.keys()
    assert any(name.endswith(".parquet") for name in files_one)
    for name, data in files_one.items():
        assert data == files_many[name], name
    assert one == many


def test_another_seed_gives_another_population(tmp_path: Path) -> None:
    generate(300, 60, seed=7, out=tmp_path / "a", chunk_size=100)
    generate(300, 60, seed=8, out=tmp_path / "b", chunk_size=100)
    files_a, files_b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert files_a["truth/persons.csv"] != files_b["truth/persons.csv"]
    shared = [n for n in files_a if n.startswith("furnishers/") and n in files_b]
    assert shared and all(files_a[n] != files_b[n] for n in shared)


def test_chunk_size_changes_no_text_file(tmp_path: Path) -> None:
    """Subjects are seeded by index, so chunking only changes Parquet row groups."""
    generate(200, 40, seed=3, out=tmp_path / "a", chunk_size=7)
    generate(200, 40, seed=3, out=tmp_path / "b", chunk_size=1000)
    files_a, files_b = _files(tmp_path / "a"), _files(tmp_path / "b")
    for name, data in files_a.items():
        if not name.endswith(".parquet"):
            assert data == files_b[name], name


def test_generator_never_reads_the_clock() -> None:
    """Byte-identical output needs no wall-clock value anywhere in the files."""
    import xinyong.synth as synth

    for module in Path(synth.__file__).parent.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        for call in ("now(", "today(", "time.time", "utcnow", "perf_counter"):
            assert call not in source, f"{module.name} calls {call}"
