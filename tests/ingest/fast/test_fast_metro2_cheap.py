"""What keeps the Metro 2 fast path cheap does not change what it computes.

The spawned worker imports no pyarrow, DuckDB or ledger (it starts in half
the CPU time); field facts computed a sub-block at a time are those of the
whole block, whatever the sub-block's size.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.ingest import id_checks, metro2_jobs
from xinyong.ingest.fast import identifiers, metro2_fields, metro2_ids
from xinyong.ingest.fast.metro2_fields import ALL_FIELDS, BLOCK_WIDTH, Block

_HEAVY = ("pyarrow", "duckdb", "pandas", "sqlalchemy", "xinyong.ingest.fast", "xinyong.ledger")


def test_the_worker_imports_nothing_heavy() -> None:
    code = (
        "import sys, xinyong.ingest.metro2_jobs\n"
        f"print(','.join(m for m in {_HEAVY!r} if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == ""


def test_the_worker_runs_the_light_module() -> None:
    assert metro2_ids.chunk_job is metro2_jobs.chunk_job
    assert metro2_ids.chunk_job.__module__ == "xinyong.ingest.metro2_jobs"
    assert identifiers.KeyedHasher is id_checks.KeyedHasher
    assert identifiers.check_triples is id_checks.check_triples


_BYTES = np.frombuffer(b"0123456789 ?0-A", np.uint8)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 300), st.integers(1, 64), st.integers(0, 2**32 - 1), st.booleans())
def test_facts_do_not_depend_on_the_sub_block_size(
    n: int, sub_rows: int, seed: int, printable: bool
) -> None:
    rng = np.random.default_rng(seed)
    if printable:
        rec = rng.integers(0x20, 0x7F, (n, BLOCK_WIDTH), dtype=np.uint8)
    else:  # digits, blanks, zeros and '?' mostly: every fact is exercised
        rec = _BYTES[rng.integers(0, len(_BYTES), (n, BLOCK_WIDTH))].astype(np.uint8)
    whole = Block(rec)
    whole_facts, whole_first = whole.numeric, whole._first
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(metro2_fields, "SUB_ROWS", sub_rows)
        parts = Block(rec)
        part_facts, part_first = parts.numeric, parts._first
    for name in (
        "part",
        "digits",
        "zeros",
        "blank",
        "undecodable",
        "value",
        "month",
        "day",
        "year",
        "date_ok",
    ):
        assert np.array_equal(getattr(whole_facts, name), getattr(part_facts, name)), name
    assert np.array_equal(whole_first, part_first)
    for pos in ALL_FIELDS:
        assert np.array_equal(whole.first_lane(pos), parts.first_lane(pos)), pos.name
