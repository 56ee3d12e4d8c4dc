"""The engines' scoring batch equals one-subject scoring, fingerprint and reasons included.

:func:`xinyong.engine.base.score_record_batch` builds the input fingerprints
and the reason columns column-wise (Arrow); ``score explain`` recomputes one
subject with :func:`~xinyong.score.apply.input_fingerprint` and
:func:`~xinyong.score.apply.score_one`. A stored score is only provable if the
two give the same strings, so they are compared on awkward values: integers
and integral floats, ``-0.0``, NaN, nulls, unseen categories, and columns in
several Arrow types.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from xinyong.engine.base import reason_slots, score_record_batch, scored_schema
from xinyong.score.apply import input_fingerprint, input_fingerprints, score_one
from xinyong.score.model import ScorecardModel


def _handmade() -> ScorecardModel:
    """The score tests' model with every kind of bin (loaded from their factory module)."""
    path = Path(__file__).resolve().parents[1] / "score" / "score_factories.py"
    spec = importlib.util.spec_from_file_location("score_factories_for_engine", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model: ScorecardModel = module.handmade_model()
    return model


MODEL = _handmade()
numbers = st.one_of(
    st.none(),
    st.just(math.nan),
    st.sampled_from([0.0, -0.0, 0.3, 0.7, 1.0, 1.5, 12.0, 96.0, 98.0, -1.0, 1e-05, 1e16]),
    st.floats(min_value=-10, max_value=200, allow_nan=False),
)
counts = st.one_of(st.none(), st.integers(min_value=-5, max_value=100))
rows = st.fixed_dictionaries(
    {
        "subject_id": st.text(min_size=1, max_size=4),
        "utilisation": numbers,
        "late_90": counts,
        "housing": st.sampled_from(["own", "rent", "free", "castle", "城堡", None]),
        "months_since_oldest": counts,
        "debt_ratio": numbers,
        "inquiries_6m": counts,
    }
)
TYPES = pa.schema(
    [
        ("subject_id", pa.string()),
        ("utilisation", pa.float64()),
        ("late_90", pa.int64()),
        ("housing", pa.string()),
        ("months_since_oldest", pa.int32()),
        ("debt_ratio", pa.float64()),
        ("inquiries_6m", pa.int64()),
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=30))
def test_batch_fingerprints_and_reasons_equal_one_subject(data: list[dict[str, Any]]) -> None:
    table = pa.Table.from_pylist(data, schema=TYPES)
    scored = score_record_batch(MODEL, table).to_pylist()
    expected = [input_fingerprint(MODEL, row) for row in table.to_pylist()]
    assert input_fingerprints(MODEL, table) == expected
    for row, out, fingerprint in zip(table.to_pylist(), scored, expected, strict=True):
        one = score_one(MODEL, row)
        assert out["inputs_hash"] == fingerprint
        assert (out["score"], out["raw_points"]) == (one.score, one.raw_points)
        got = [
            (k, out[f"reason_code_{k}"], out[f"reason_text_{k}"], out[f"reason_points_{k}"])
            for k in range(1, reason_slots(MODEL) + 1)
            if out[f"reason_code_{k}"] is not None
        ]
        want = [(r.rank, r.code, r.text, r.points_lost) for r in one.reasons]
        assert got == want
        slots = range(len(want) + 1, reason_slots(MODEL) + 1)
        assert all(out[f"reason_points_{k}"] is None for k in slots)


def test_dictionary_and_chunked_columns_hash_as_plain_ones() -> None:
    table = pa.Table.from_pylist(
        [
            {"subject_id": "a", "housing": "own", "late_90": 0, "utilisation": 0.5},
            {"subject_id": "b", "housing": None, "late_90": None, "utilisation": -0.0},
        ]
        * 3,
        schema=TYPES,
    )
    chunked = pa.concat_tables([table.slice(0, 2), table.slice(2)])
    dictionary = table.set_column(
        3, "housing", pa.chunked_array([table["housing"].combine_chunks().dictionary_encode()])
    )
    plain = input_fingerprints(MODEL, table)
    assert input_fingerprints(MODEL, chunked) == plain
    assert input_fingerprints(MODEL, dictionary) == plain
    assert plain[0] != plain[1] and plain[0] == plain[2]


def test_an_empty_batch_has_the_scored_columns() -> None:
    out = score_record_batch(MODEL, TYPES.empty_table())
    assert out.num_rows == 0 and out.schema.equals(scored_schema(MODEL))
