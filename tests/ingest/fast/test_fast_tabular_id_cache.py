"""The identifier cache over many calls: every record's outcome, in order, from few pages.

Each call that meets new identifiers adds a page of outcomes; pages are
merged so that there are only logarithmically many, and a call's records
are taken from all of them at once. Here, over many calls that mix new
identifiers, identifiers met calls ago and records without one, every
record's outcome must be the one a cache holding only that identifier gives.
"""

from __future__ import annotations

import random

import pyarrow as pa

from xinyong.ingest.fast import id_cache
from xinyong.ingest.fast.identifiers import keys

KEY = b"id-cache-test-key"


def _pool() -> list[str]:
    """Resident numbers: valid ones (checksums from python-stdnum) and one in three broken."""
    from stdnum.cn import ric

    out = []
    for n in range(200):
        body = f"11010519{50 + n % 40}0{1 + n % 9}1{n % 10}{n % 1000:03d}"
        valid = body + ric.calc_check_digit(body + "0")
        out.append(valid if n % 3 else valid[:-1] + ("1" if valid[-1] != "1" else "2"))
    return out


def _call(values: list[str | None]) -> pa.Array:
    return keys(
        pa.chunked_array([[None if v is None else "cn_ric" for v in values]], pa.string()),
        pa.chunked_array([values], pa.string()),
        pa.chunked_array(
            [[None if v is None or i % 3 else "CN" for i, v in enumerate(values)]], pa.string()
        ),
    )


def _alone(row_key: pa.Array) -> dict[str, object]:
    """The outcome of one record by a cache that has seen nothing else."""
    outcome: dict[str, object] = id_cache.IdentifierCache(KEY).outcomes(row_key).to_pylist()[0]
    return outcome


def test_outcomes_over_many_calls_are_each_records_own_in_record_order() -> None:
    rng = random.Random(7)
    cache = id_cache.IdentifierCache(KEY)
    pool = _pool()
    sizes = [3, 1, 7, 2, 12, 5, 9, 1, 4, 30, 2, 6, 8, 3, 20]
    for calls, size in enumerate(sizes, start=1):
        values: list[str | None] = [
            None if rng.random() < 0.2 else rng.choice(pool[: calls * 12]) for _ in range(size)
        ]
        row_keys = _call(values)
        got = cache.outcomes(row_keys).to_pylist()
        assert len(got) == size
        for i, row in enumerate(got):
            assert row == _alone(row_keys.slice(i, 1)), (calls, i, values[i])
        assert cache.page_count() <= 2 * calls.bit_length() + 1
    assert cache.validated == len(cache)  # each distinct identifier validated once
    outcomes = [_alone(_call([v])) for v in pool[:30]]
    assert any(o["_id_ok"] for o in outcomes) and not all(o["_id_ok"] for o in outcomes)


def test_a_call_of_records_without_identifiers() -> None:
    cache = id_cache.IdentifierCache(KEY)
    got = cache.outcomes(_call([None, None])).to_pylist()
    assert got == [dict.fromkeys(id_cache.OUTCOME_SCHEMA.names)] * 2
    assert cache.validated == 0
