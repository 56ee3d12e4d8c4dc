"""Batch scoring equals one-by-one scoring, and nothing but the data moves a score."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from score_factories import handmade_model

from xinyong.score.apply import Explanation, ScoredBatch, category_key, score_one, score_table
from xinyong.score.errors import ScoringError
from xinyong.score.model import ScorecardModel

numbers = st.one_of(
    st.none(),
    st.just(math.nan),
    st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0, 1.5, 2.5, 12.0, 60.0, 96.0, 98.0, -1.0]),
    st.floats(min_value=-10, max_value=200, allow_nan=False),
    st.integers(min_value=-5, max_value=100),
)
subjects = st.fixed_dictionaries(
    {
        "utilisation": numbers,
        "late_90": numbers,
        "housing": st.sampled_from(["own", "rent", "free", "castle", None]),
        "months_since_oldest": numbers,
        "debt_ratio": numbers,
        "inquiries_6m": numbers,
    }
)


def assert_same(batch: ScoredBatch, row: int, one: Explanation) -> None:
    assert int(batch.score[row]) == one.score
    assert float(batch.raw_points[row]) == one.raw_points
    assert float(batch.probability_bad[row]) == one.probability_bad
    assert batch.points[row].tolist() == [c.points for c in one.characteristics]
    assert batch.bins[row].tolist() == [c.bin for c in one.characteristics]
    assert batch.reasons(row) == one.reasons


@settings(max_examples=60, deadline=None)
@given(st.lists(subjects, min_size=1, max_size=25))
def test_vectorised_equals_score_one_on_the_handmade_model(rows: list[dict[str, object]]) -> None:
    model = handmade_model()
    batch = score_table(model, pd.DataFrame(rows, dtype=object))
    for i, row in enumerate(rows):
        assert_same(batch, i, score_one(model, row))


def test_vectorised_equals_score_one_on_german(
    german: tuple[pd.DataFrame, str], german_model: ScorecardModel
) -> None:
    frame, _ = german
    sample = frame.sample(200, random_state=7)
    batch = score_table(german_model, sample)
    for i, row in enumerate(sample.to_dict(orient="records")):
        assert_same(batch, i, score_one(german_model, {str(k): v for k, v in row.items()}))


def test_special_missing_and_unseen_values_find_their_bins() -> None:
    model = handmade_model()
    row = {
        "utilisation": None,
        "late_90": 98,
        "housing": "castle",
        "months_since_oldest": "not a number",
        "debt_ratio": 0.2,
        "inquiries_6m": 2.5,
    }
    one = score_one(model, row)
    bins = {c.name: (c.bin, c.bin_label) for c in one.characteristics}
    assert bins["utilisation"] == (5, "missing")
    assert bins["late_90"] == (3, "special: 96, 98")
    assert bins["housing"] == (3, "missing")  # a category never seen in training
    assert bins["months_since_oldest"] == (4, "missing")
    assert bins["debt_ratio"] == (1, "[0.2, 0.5)")  # edges belong to the bin they open
    assert bins["inquiries_6m"] == (2, "[2.5, inf)")


def test_arrow_mapping_and_pandas_inputs_score_alike() -> None:
    model = handmade_model()
    frame = pd.DataFrame(
        {
            "utilisation": [0.1, 0.9, None],
            "late_90": [0, 96, 2],
            "housing": ["own", None, "free"],
            "months_since_oldest": [5, 70, 20],
            "debt_ratio": [0.1, 0.6, None],
            "inquiries_6m": [0, 3, 1],
        }
    )
    a = score_table(model, frame)
    b = score_table(model, pa.Table.from_pandas(frame))
    c = score_table(model, {k: frame[k].tolist() for k in frame.columns})
    for other in (b, c):
        assert other.score.tolist() == a.score.tolist()
        assert other.reason_codes().tolist() == a.reason_codes().tolist()
    table = a.to_pandas()
    assert list(table.columns) == ["score", "probability_bad"] + [
        f"reason_{i}" for i in range(1, 6)
    ]


def test_identical_data_gets_identical_scores_whoever_the_subject_is() -> None:
    """No hidden hand: the id is never read, and row order changes nothing."""
    model = handmade_model()
    rng = np.random.default_rng(3)
    base = pd.DataFrame(
        {
            "utilisation": rng.uniform(0, 1.5, 50),
            "late_90": rng.integers(0, 3, 50),
            "housing": rng.choice(["own", "rent", "free"], 50),
            "months_since_oldest": rng.integers(0, 120, 50),
            "debt_ratio": rng.uniform(0, 1, 50),
            "inquiries_6m": rng.integers(0, 5, 50),
        }
    )
    twins = pd.concat([base, base], ignore_index=True)
    twins.insert(0, "subject_id", [f"person-{i}" for i in range(100)])
    batch = score_table(model, twins)
    assert batch.score[:50].tolist() == batch.score[50:].tolist()
    assert batch.reason_codes()[:50].tolist() == batch.reason_codes()[50:].tolist()
    shuffled = twins.sample(frac=1.0, random_state=1)
    again = score_table(model, shuffled)
    assert again.score.tolist() == batch.score[shuffled.index.to_numpy()].tolist()
    renamed = twins.assign(subject_id=[f"someone-else-{i}" for i in range(100)])
    assert score_table(model, renamed).score.tolist() == batch.score.tolist()


def test_a_missing_column_is_an_error_not_a_missing_value() -> None:
    model = handmade_model()
    with pytest.raises(ScoringError, match="late_90"):
        score_table(model, pd.DataFrame({"utilisation": [0.1]}))
    with pytest.raises(ScoringError, match="late_90"):
        score_one(model, {"utilisation": 0.1})


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (3, "3"),
        (3.0, "3"),
        ("3", "3"),
        (2.5, "2.5"),
        (True, "True"),
        (None, None),
        (math.nan, None),
    ],
)
def test_category_keys(value: object, key: str | None) -> None:
    assert category_key(value) == key


def test_scores_stay_in_range_and_probability_falls_as_score_rises() -> None:
    model = handmade_model(base_points=800.0)
    batch = score_table(
        model,
        {
            "utilisation": [0.1, 5.0],
            "late_90": [0, 3],
            "housing": ["own", "rent"],
            "months_since_oldest": [100, 1],
            "debt_ratio": [0.1, 0.9],
            "inquiries_6m": [0, 9],
        },
    )
    assert batch.score.tolist() == [850, 800]
    assert batch.probability_bad[0] < batch.probability_bad[1]


def test_input_fingerprint_sees_only_what_the_model_reads() -> None:
    from xinyong.score.apply import input_fingerprint

    model = handmade_model()
    subject = {
        "utilisation": 0.4,
        "late_90": 0,
        "housing": "own",
        "months_since_oldest": 30,
        "debt_ratio": None,
        "inquiries_6m": 1,
    }
    same = {**subject, "late_90": 0.0, "debt_ratio": math.nan, "subject_id": "anyone"}
    assert input_fingerprint(model, subject) == input_fingerprint(model, same)
    assert input_fingerprint(model, subject) != input_fingerprint(model, {**subject, "late_90": 1})
    other_model = handmade_model(base_points=401.0)
    assert input_fingerprint(model, subject) != input_fingerprint(other_model, subject)
