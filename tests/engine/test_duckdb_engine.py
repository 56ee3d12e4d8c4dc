"""The DuckDB engine's storage rules: views, stored steps, outputs, and its scratch folder.

With a memory limit the engine stores every step that is not an output as
Parquet in a scratch folder of its own (so the history expansion takes disk,
not memory) and removes it on close; without one it keeps temporary tables
for the steps read more than once and views for the rest. Both must give the
same rows.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from xinyong.engine.base import Output, Step, materialised_steps
from xinyong.engine.duckdb_engine import DuckDBEngine

STEPS = [
    Step("doubled", "SELECT k, v * 2 AS v FROM source"),  # read twice: stored
    Step("small", "SELECT k, v FROM doubled WHERE v < 10"),  # read once: a view
    Step("big", "SELECT k, v FROM doubled WHERE v >= 10"),  # read once: a view
    Step("pairs", "SELECT s.k, s.v + b.v AS v FROM small AS s JOIN big AS b ON s.k = b.k"),
]


def _source() -> pa.Table:
    return pa.table({"k": [1, 1, 2, 2, 3], "v": [1, 9, 2, 20, 3]})


def test_only_steps_read_more_than_once_or_never_are_stored() -> None:
    assert materialised_steps(STEPS) == {"doubled", "pairs"}
    assert materialised_steps(STEPS, written={"pairs"}) == {"doubled"}


def test_a_view_step_is_never_stored_and_its_input_counts_each_of_its_readers() -> None:
    steps = [
        Step("base", "SELECT k, v FROM source"),
        Step("shared", "SELECT k, v FROM base", view=True),  # read twice, still a view
        Step("keys", "SELECT k FROM shared"),
        Step("vals", "SELECT v FROM shared"),
    ]
    # "base" appears in one step's text, but that view is planned into two readers.
    assert materialised_steps(steps) == {"base", "keys", "vals"}
    engine = DuckDBEngine(memory_limit="256MB")
    engine.register_arrow("source", _source())
    engine.run_steps(steps)
    stored = sorted(p.name.split("-", 1)[1] for p in engine._scratch.glob("steps/*.parquet"))
    assert stored == ["base.parquet", "keys.parquet", "vals.parquet"]
    assert engine.to_arrow("SELECT sum(v) AS s FROM vals").to_pylist() == [{"s": 35}]
    engine.close()


@pytest.mark.parametrize("memory_limit", [None, "256MB"], ids=["in-memory", "bounded"])
def test_stored_steps_and_outputs_give_the_same_rows(
    tmp_path: Path, memory_limit: str | None
) -> None:
    engine = DuckDBEngine(memory_limit=memory_limit)
    scratch = engine._scratch
    engine.register_arrow("source", _source())
    out = tmp_path / "pairs.parquet"
    assert engine.run_steps(STEPS, {"pairs": Output(out, ("v", "k"))}) == {"pairs": 2}
    assert pq.read_table(out).to_pylist() == [{"k": 1, "v": 20}, {"k": 2, "v": 44}]
    # Later readers see the written output; the stored steps are still there.
    assert engine.to_arrow("SELECT sum(v) AS s FROM pairs").to_pylist() == [{"s": 64}]
    assert engine.to_arrow("SELECT count(*) AS n FROM big").to_pylist() == [{"n": 2}]
    stored = sorted(p.name for p in scratch.glob("steps/*.parquet"))
    bounded = [  # the output too: stored, then written in its order from there
        "0001-doubled.parquet",
        "0002-small.parquet",
        "0003-big.parquet",
        "0004-pairs.parquet",
    ]
    expected = [] if memory_limit is None else bounded
    assert stored == expected
    # A name can change kind: a view over an Arrow table, then a step.
    engine.register_arrow("doubled", _source())
    engine.run_steps([Step("doubled", "SELECT k FROM source"), Step("x", "SELECT 1 AS one")])
    assert engine.to_arrow("doubled").column_names == ["k"]
    engine.close()
    assert not scratch.exists()


def test_a_bounded_engine_spills_into_its_scratch_folder_and_removes_it() -> None:
    """A grouping larger than the limit completes by spilling (DuckDB cannot
    create the spill folder's parent, so the engine must), and nothing is left."""
    engine = DuckDBEngine(memory_limit="64MB", threads=1)
    scratch = engine._scratch
    engine.run_steps(
        [
            Step(
                "groups",
                "SELECT i % 3000000 AS g, count(*) AS n FROM range(6000000) t(i) GROUP BY g",
            )
        ]
    )
    assert engine.to_arrow("SELECT count(*) AS n FROM groups").to_pylist() == [{"n": 3_000_000}]
    assert (scratch / "spill").is_dir()
    engine.close()
    assert not scratch.exists()
