"""The identifier cache over many calls: every record's outcome, in order, from few pages.

Each call that meets new identifiers adds a page of outcomes; pages are
merged so that there are only logarithmically many, and a call's records
are taken from all of them at once. Here, over many calls that mix new
identifiers, identifiers met calls ago and records without one, every
record's outcome must be the one a cache holding only that identifier gives.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
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


def _plain(values: Sequence[str | None]) -> pa.Array:
    """Keys of resident numbers without a country: a value gives the same key at any row."""
    return keys(
        pa.chunked_array([[None if v is None else "cn_ric" for v in values]], pa.string()),
        pa.chunked_array([values], pa.string()),
        pa.chunked_array([pa.nulls(len(values), pa.string())]),
    )


class _Counting(id_cache.IdentifierCache):
    """A cache that records how many keys each position lookup was given."""

    def __init__(self, hash_key: bytes, limit: int = id_cache.CACHE_LIMIT) -> None:
        super().__init__(hash_key, limit)
        self.looked_up: list[int] = []

    def _where(self, texts: list[str | None]) -> np.ndarray[Any, np.dtype[np.int64]]:
        self.looked_up.append(len(texts))
        return super()._where(texts)


def test_a_call_looks_up_again_only_the_records_it_missed() -> None:
    pool = _pool()
    cache = _Counting(KEY)
    cache.outcomes(_plain(pool[:5]))
    cache.looked_up.clear()
    values: list[str | None] = [*pool[:5], None, pool[5], pool[6], *pool[:3]]
    got = cache.outcomes(_plain(values)).to_pylist()
    assert cache.looked_up == [len(values), 3]  # all, then the two new and the one without
    for i, row in enumerate(got):
        assert row == _alone(_plain(values).slice(i, 1)), i


def test_a_reset_inside_a_call_moves_the_keys_it_held() -> None:
    pool = _pool()
    cache = id_cache.IdentifierCache(KEY, limit=3)
    cache.outcomes(_plain([pool[0], pool[1]]))
    # pool[1] is held (second), two new ones pass the limit: the cache starts
    # again with pool[1] first, and its outcome must be looked up anew.
    values: list[str | None] = [pool[1], pool[2], pool[4], None, pool[1]]
    got = cache.outcomes(_plain(values)).to_pylist()
    assert len(cache) == 3 and cache.validated == 5
    for i, row in enumerate(got):
        assert row == _alone(_plain(values).slice(i, 1)), i
