"""The fast batch kernel scores exactly as the column-by-column formulation did.

``score_table`` now runs :mod:`xinyong.score._kernels` (bins by counting
splits or one table look-up, reasons by integer keys and a running top four).
This file keeps a private copy of the implementation it replaced, verbatim
(``np.searchsorted`` per column, a gather per column, repeated ``argmax`` for
the reasons), and checks on random models and random inputs, in every input
form, that the two agree to the bit: bins, points, raw points, scores,
probabilities, reason indexes and points lost, with the same dtypes.

Only the memory layout of ``bins`` and ``points`` may differ (both are
column-major now); values, shapes and dtypes may not.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from score_factories import handmade_model

from xinyong.score import _kernels
from xinyong.score.apply import ScoredBatch, bin_matrix, score_one, score_table
from xinyong.score.errors import ScoringError
from xinyong.score.model import Characteristic, ScorecardModel, TrainingInfo
from xinyong.score.reasons import rank_reasons, reason_keys
from xinyong.score.scaling import PROFILES

# --- The reference: the batch path as it was before the kernel, verbatim ----------

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _ref_category_key(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return "True" if value else "False"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        f = float(value)
        if math.isnan(f):
            return None
        return str(int(f)) if f.is_integer() else repr(f)
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _ref_column(data: Any, name: str) -> Any:
    if isinstance(data, pd.DataFrame):
        if name not in data.columns:
            raise ScoringError(f"input has no column {name!r}, which the model needs")
        return data[name].to_numpy()
    if isinstance(data, pa.Table):
        if name not in data.column_names:
            raise ScoringError(f"input has no column {name!r}, which the model needs")
        return data.column(name).to_numpy(zero_copy_only=False)
    if name not in data:
        raise ScoringError(f"input has no column {name!r}, which the model needs")
    return np.asarray(data[name])


def _ref_numeric_values(raw: Any) -> FloatArray:
    arr = np.asarray(raw)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64)
    coerced = pd.to_numeric(pd.Series(arr, dtype=object), errors="coerce")
    return np.asarray(coerced, dtype=np.float64)


def _ref_bin_numerical(ch: Characteristic, values: FloatArray) -> IntArray:
    idx = np.searchsorted(np.asarray(ch.splits, dtype=np.float64), values, side="right")
    idx = idx.astype(np.int64)
    if ch.special_codes:
        idx[np.isin(values, np.asarray(ch.special_codes, dtype=np.float64))] = ch.special_bin
    idx[np.isnan(values)] = ch.missing_bin
    return idx


def _ref_bin_categorical(ch: Characteristic, raw: Any) -> IntArray:
    mapping = {c: i for i, group in enumerate(ch.groups) for c in group}

    def bin_of(value: Any) -> int:
        key = _ref_category_key(value)
        return ch.missing_bin if key is None else mapping.get(key, ch.missing_bin)

    codes, uniques = pd.factorize(pd.Series(np.asarray(raw, dtype=object)), use_na_sentinel=True)
    lookup = np.array([*(bin_of(u) for u in uniques), ch.missing_bin], dtype=np.int64)
    return lookup[codes]  # type: ignore[no-any-return]


def _ref_bin_column(ch: Characteristic, raw: Any) -> IntArray:
    if ch.kind == "numerical":
        return _ref_bin_numerical(ch, _ref_numeric_values(raw))
    return _ref_bin_categorical(ch, raw)


def _ref_bin_matrix(model: ScorecardModel, data: Any) -> IntArray:
    columns = [_ref_bin_column(ch, _ref_column(data, ch.name)) for ch in model.characteristics]
    if not columns:
        return np.zeros((0, 0), dtype=np.int64)
    out = np.empty((columns[0].shape[0], len(columns)), dtype=np.int64, order="F")
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


def _ref_rank_reasons(
    points: FloatArray, best: FloatArray, inquiry: npt.NDArray[np.bool_], *, max_reasons: int = 4
) -> tuple[IntArray, FloatArray]:
    n_rows, n_chars = points.shape
    work = np.ascontiguousarray(np.maximum(best[np.newaxis, :] - points, 0.0))
    flat = work.reshape(-1)
    rows = np.arange(n_rows)
    row_start = rows * n_chars
    index = np.full((n_rows, max_reasons + 1), -1, dtype=np.int64)
    lost_out = np.zeros((n_rows, max_reasons + 1), dtype=np.float64)
    for k in range(min(max_reasons, n_chars)):
        pick = np.argmax(work, axis=1)
        at = row_start + pick
        value = flat[at]
        adverse = value > 0
        index[:, k] = np.where(adverse, pick, -1)
        lost_out[:, k] = np.where(adverse, value, 0.0)
        flat[at] = -1.0
    inquiry_idx = np.flatnonzero(inquiry)
    if inquiry_idx.size and n_chars > max_reasons:
        rest = work[:, inquiry_idx]
        pick = np.argmax(rest, axis=1)
        value = rest[rows, pick]
        extra = value > 0
        index[:, max_reasons] = np.where(extra, inquiry_idx[pick], -1)
        lost_out[:, max_reasons] = np.where(extra, value, 0.0)
    return index, lost_out


def _ref_any_column(data: Any) -> Any:
    if isinstance(data, pd.DataFrame):
        return data.index
    if isinstance(data, pa.Table):
        return range(data.num_rows)
    return next(iter(data.values()), [])


def reference_score_table(model: ScorecardModel, data: Any) -> dict[str, Any]:
    """``score_table`` before the kernel, returning its arrays by field name."""
    bins = _ref_bin_matrix(model, data)
    n = bins.shape[0] if model.characteristics else len(_ref_any_column(data))
    points = np.zeros((n, len(model.characteristics)), dtype=np.float64)
    raw = np.full(n, model.base_points, dtype=np.float64)
    for j, ch in enumerate(model.characteristics):
        points[:, j] = np.asarray(ch.points, dtype=np.float64)[bins[:, j]]
        raw = raw + points[:, j]
    inquiry = np.array([c.inquiry for c in model.characteristics], dtype=bool)
    best = np.array([c.best_points for c in model.characteristics], dtype=np.float64)
    index, lost = _ref_rank_reasons(points, best, inquiry, max_reasons=model.max_reasons)
    return {
        "bins": bins,
        "points": points,
        "raw_points": raw,
        "score": model.scaling.score(raw),
        "probability_bad": model.scaling.probability_bad(raw),
        "reason_index": index,
        "reason_points_lost": lost,
    }


# --- Comparison -----------------------------------------------------------------

FIELDS = (
    "bins",
    "points",
    "raw_points",
    "score",
    "probability_bad",
    "reason_index",
    "reason_points_lost",
)


def assert_identical(batch: ScoredBatch, reference: Mapping[str, Any]) -> None:
    """Same dtype, shape and bytes (so -0.0 against 0.0 would fail too) for every field."""
    for name in FIELDS:
        got, want = getattr(batch, name), reference[name]
        assert got.dtype == want.dtype, name
        assert got.shape == want.shape, name
        same = np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(want).tobytes()
        assert same, (name, got, want)


@contextmanager
def block_rows(rows: int | None) -> Iterator[None]:
    """Run the kernel with blocks of ``rows`` rows (None: the default)."""
    saved = _kernels.BLOCK_ROWS
    if rows is not None:
        _kernels.BLOCK_ROWS = rows
    try:
        yield
    finally:
        _kernels.BLOCK_ROWS = saved


# --- Random models --------------------------------------------------------------

SPLITS = [-5.5, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.5, 7.5, 12.0, 60.0, 97.5]
BIG_SPLITS = [1000.5, 2e6, 2.0**53, 2.0**60]
CODES = [96.0, 98.0, -1.0, 0.0, 2.0, 2.5, 5.0, 1e4, 2.0**53]
POINTS = [0.0, 1.0, 2.0, 5.0, 10.0, 12.5, -3.0, 0.1, 0.2, 0.3, 7.0]
VOCABULARY = ["a", "b", "c", "d", "1", "2", "2.5", "True"]

split_lists = st.lists(
    st.one_of(
        st.sampled_from(SPLITS),
        st.sampled_from(BIG_SPLITS),
        st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 1)),
    ),
    unique=True,
    max_size=8,
).map(lambda xs: tuple(sorted(xs)))


@st.composite
def characteristics(draw: st.DrawFn, j: int) -> Characteristic:
    kind = draw(st.sampled_from(["numerical", "numerical", "numerical", "categorical"]))
    if kind == "numerical":
        splits = draw(split_lists)
        specials = tuple(draw(st.lists(st.sampled_from(CODES), unique=True, max_size=3)))
        groups: tuple[tuple[str, ...], ...] = ()
        n_bins = len(splits) + 3
    else:
        splits, specials = (), ()
        words = draw(st.lists(st.sampled_from(VOCABULARY), unique=True, min_size=1))
        cut = draw(st.integers(1, len(words)))
        groups = tuple(g for g in (tuple(words[:cut]), tuple(words[cut:])) if g)
        n_bins = len(groups) + 2
    points = tuple(
        draw(
            st.lists(
                st.one_of(st.sampled_from(POINTS), st.floats(-50, 50, allow_nan=False)),
                min_size=n_bins,
                max_size=n_bins,
            )
        )
    )
    counts = draw(st.lists(st.integers(0, 2), min_size=n_bins, max_size=n_bins))
    return Characteristic(
        name=f"c{j}",
        kind=kind,
        label=f"c{j}",
        reason_code=f"R{j}",
        reason_text=f"characteristic {j}",
        inquiry=draw(st.booleans()),
        splits=splits,
        groups=groups,
        special_codes=specials,
        points=points,
        woe=tuple(0.1 * i for i in range(n_bins)),
        count_good=tuple(counts),
        count_bad=tuple(reversed(counts)),
        coefficient=0.7,
        iv=0.1,
    )


@st.composite
def models(draw: st.DrawFn) -> ScorecardModel:
    k = draw(st.integers(1, 7))
    chars = tuple(draw(characteristics(j)) for j in range(k))
    return ScorecardModel(
        name="random",
        characteristics=chars,
        intercept=-2.0,
        base_points=draw(st.sampled_from([400.0, 487.5, 0.1, 600.3])),
        scaling=PROFILES[draw(st.sampled_from(sorted(PROFILES)))],
        points_decimals=None,
        training=TrainingInfo(
            data_sha256="0" * 64,
            data_name="random",
            target="bad",
            id_column=None,
            n_rows=10,
            n_train=7,
            n_holdout=3,
            bad_rate=0.1,
            settings={},
        ),
        max_reasons=draw(st.integers(0, 6)),
    )


# --- Random inputs --------------------------------------------------------------

INTS = [0, 1, 2, 3, 5, 96, 98, 1000, 10**4, 2**53, 2**53 + 1, -(2**63), 2**63 - 1, -1, -6]
int_values = st.one_of(
    st.none(), st.integers(-3, 12), st.sampled_from(INTS), st.integers(-(2**63), 2**63 - 1)
)
float_values = st.one_of(
    st.none(),
    st.just(math.nan),
    st.sampled_from([-0.0, 0.0, math.inf, -math.inf, 96.0, 98.0, 2.5, 0.5, 2.0**53]),
    st.sampled_from(SPLITS + BIG_SPLITS),
    st.floats(-200, 200),
    st.floats(allow_nan=True, allow_infinity=True),
)
object_values = st.one_of(
    int_values.filter(lambda v: v is None or abs(v) < 2**62),
    float_values,
    st.sampled_from(["3", "2.5", "abc", "", " 7 ", "nan", "1e3", True, False]),
)
category_values = st.one_of(
    st.none(),
    st.just(math.nan),
    st.sampled_from([*VOCABULARY, "zzz", 1, 2, 2.0, 2.5, True]),
)


def _arrow_numeric(values: list[Any], kind: str, garbage: list[int]) -> pa.Array:
    """An int64 or double array; null slots hold ``garbage`` rather than zeros."""
    if kind == "int":
        valid = [v is not None for v in values]
        data = np.array(
            [v if v is not None else garbage[i % len(garbage)] for i, v in enumerate(values)],
            dtype=np.int64,
        )
        return pa.array(data, pa.int64(), mask=~np.array(valid, dtype=bool))
    floats = [math.nan if v is None else float(v) for v in values]
    mask = np.array([v is None for v in values], dtype=bool)
    data = np.array(floats, dtype=np.float64)
    data[mask] = [float(garbage[i % len(garbage)]) for i in range(int(mask.sum()))]
    return pa.array(data, pa.float64(), mask=mask)


FORMS = ("arrow", "arrow", "arrow_sliced", "pandas", "mapping")


@st.composite
def inputs(
    draw: st.DrawFn,
    model: ScorecardModel,
    forms: tuple[str, ...] = FORMS,
    kinds: tuple[str, ...] = ("int", "float", "object"),
) -> tuple[str, Any]:
    """Random rows for ``model``, as a mapping, a DataFrame or an Arrow table."""
    n = draw(st.integers(0, 30))
    form = draw(st.sampled_from(forms))
    garbage = draw(st.lists(st.sampled_from([0, 1, 96, 98, 2**53 + 1, -7]), min_size=1))
    pad = 3 if form == "arrow_sliced" else 0
    columns: dict[str, Any] = {}
    for ch in model.characteristics:
        if ch.kind == "categorical":
            values = draw(st.lists(category_values, min_size=n + pad, max_size=n + pad))
            if form.startswith("arrow"):
                columns[ch.name] = pa.array(
                    [None if v is None or v != v else str(v) for v in values], pa.string()
                )
            else:
                columns[ch.name] = values
            continue
        usable = [k for k in kinds if k != "object" or not form.startswith("arrow")]
        kind = draw(st.sampled_from(usable))
        strategy = {"int": int_values, "float": float_values, "object": object_values}[kind]
        values = draw(st.lists(strategy, min_size=n + pad, max_size=n + pad))
        if form.startswith("arrow"):
            columns[ch.name] = _arrow_numeric(values, kind, garbage)
        elif (
            form == "pandas" and kind == "int" and all(v is None or abs(v) < 2**62 for v in values)
        ):
            columns[ch.name] = pd.array(values, dtype="Int64")
        elif form == "pandas" and kind == "float":
            columns[ch.name] = np.array(
                [math.nan if v is None else v for v in values], dtype=np.float64
            )
        else:
            columns[ch.name] = values
    columns["subject_id"] = [f"s{i}" for i in range(n + pad)]
    if form == "mapping":
        return form, columns
    if form == "pandas":
        return form, pd.DataFrame(columns)
    table = pa.table(
        {k: v if isinstance(v, pa.Array) else pa.array(v, pa.string()) for k, v in columns.items()}
    )
    if form == "arrow_sliced":
        table = table.slice(pad)
    if n >= 2 and draw(st.booleans()):
        cut = draw(st.integers(1, n - 1))
        table = pa.concat_tables([table.slice(0, cut), table.slice(cut)])  # two chunks
    return form, table


@st.composite
def cases(
    draw: st.DrawFn,
    forms: tuple[str, ...] = FORMS,
    kinds: tuple[str, ...] = ("int", "float", "object"),
) -> tuple[ScorecardModel, str, Any, int | None]:
    model = draw(models())
    form, data = draw(inputs(model, forms, kinds))
    return model, form, data, draw(st.sampled_from([None, 1, 2, 3, 7]))


# --- The tests --------------------------------------------------------------------


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_kernel_equals_the_reference_on_random_models_and_inputs(
    case: tuple[ScorecardModel, str, Any, int | None],
) -> None:
    model, _form, data, rows = case
    reference = reference_score_table(model, data)
    with block_rows(rows):
        batch = score_table(model, data)
        bins = bin_matrix(model, data)
    assert_identical(batch, reference)
    assert bins.dtype == np.int64 and np.array_equal(bins, reference["bins"])
    assert batch.model_id == model.model_id


@settings(max_examples=100, deadline=None)
@given(cases(forms=("mapping",), kinds=("int", "float")))
def test_kernel_equals_score_one_on_random_models(
    case: tuple[ScorecardModel, str, Any, int | None],
) -> None:
    """Numbers and missing values only: a list mixing text and booleans is read
    differently by the two paths, before this kernel as now (the batch path
    parses ``True`` next to ``"3"`` as the text ``"True"``, i.e. missing), and
    so is a category list mixing text and numbers (``np.asarray`` turns ``2.0``
    into the text ``"2.0"``, not the category ``"2"``) or holding both ``True``
    and ``1`` (``pd.factorize`` takes them for one value, as ``True == 1``)."""
    model, _form, data, rows = case
    for ch in model.characteristics:
        if ch.kind == "categorical":
            assume(all(v is None or isinstance(v, str) for v in data[ch.name]))
    with block_rows(rows):
        batch = score_table(model, data)
    for i in range(len(batch)):
        one = score_one(model, {ch.name: data[ch.name][i] for ch in model.characteristics})
        assert int(batch.score[i]) == one.score
        assert float(batch.raw_points[i]) == one.raw_points
        assert float(batch.probability_bad[i]) == one.probability_bad
        assert batch.bins[i].tolist() == [c.bin for c in one.characteristics]
        assert batch.points[i].tolist() == [c.points for c in one.characteristics]
        assert batch.reasons(i) == one.reasons


def test_integer_look_up_is_exact_at_the_edges() -> None:
    """Integer columns binned by table: negative, huge and float-rounding values."""
    edge = [-(2**63), -(2**53) - 1, -1, 0, 1, 2, 3, 4, 96, 97, 98, 1023, 1024]
    edge += [2**53 - 1, 2**53, 2**53 + 1, 2**62, 2**63 - 1]
    specs: list[tuple[tuple[float, ...], tuple[float, ...]]] = [
        ((0.5, 1.0, 2.5), ()),
        ((0.5, 1.5), (96.0, 98.0)),
        ((1.0,), (2.5, 3.0)),  # a fractional code never matches an integer
        ((), ()),
        ((), (4.0,)),
        ((0.5, 1000.5), (98.0,)),
        ((0.0, 0.5), ()),  # a split at 0: compared as floats
        ((0.5,), (0.0,)),  # code 0: compared as floats
        ((0.5, 2.0**53), ()),  # beyond the table
        ((-1.5, 3.5), (-1.0,)),
    ]
    for splits, codes in specs:
        n_bins = len(splits) + 3
        ch = Characteristic(
            name="x",
            kind="numerical",
            label="x",
            reason_code="X",
            reason_text="x",
            inquiry=False,
            splits=splits,
            groups=(),
            special_codes=codes,
            points=tuple(float(i) for i in range(n_bins)),
            woe=(0.0,) * n_bins,
            count_good=(1,) * n_bins,
            count_bad=(1,) * n_bins,
            coefficient=1.0,
            iv=0.0,
        )
        model = handmade_model(characteristics=(ch,))
        values = [*edge, None]
        table = pa.table({"x": pa.array(values, pa.int64())})
        assert_identical(score_table(model, table), reference_score_table(model, table))
        batch = score_table(model, table)
        for i, v in enumerate(values):
            assert batch.bins[i, 0] == score_one(model, {"x": v}).characteristics[0].bin


def test_many_blocks_of_benchmark_shaped_data() -> None:
    """150,000 rows (three default blocks): int64 with nulls, doubles with NaN and nulls."""
    rng = np.random.default_rng(11)
    n = 150_000
    model = ScorecardModel(
        name="wide",
        characteristics=tuple(
            Characteristic(
                name=f"a{j}",
                kind="numerical",
                label=f"a{j}",
                reason_code=f"A{j}",
                reason_text=f"a{j}",
                inquiry=j in (3, 9),
                splits=splits,
                groups=(),
                special_codes=codes,
                points=tuple(float(p) for p in rng.integers(0, 12, len(splits) + 3)),
                woe=(0.0,) * (len(splits) + 3),
                count_good=(1,) * (len(splits) + 3),
                count_bad=(1,) * (len(splits) + 3),
                coefficient=1.0,
                iv=0.0,
            )
            for j, (splits, codes) in enumerate(
                [
                    ((0.5, 1.5, 3.5), ()),
                    ((0.5, 4.5, 5.5, 7.5), (98.0,)),
                    ((0.03, 0.07, 0.13, 0.24, 0.32, 0.49, 0.67, 0.75, 0.86), ()),
                    ((0.5, 1.5, 2.5, 3.5), ()),
                    ((44488.5, 229781.5), ()),
                    ((), ()),
                    ((5.66, 12.3, 29.6, 56.7, 86.0, 99.5, 149.6), (-1.0,)),
                    ((478812.0, 588616.0, 1082351.5, 2417204.5, 3611657.5), ()),
                    ((0.5,), ()),
                    ((0.5, 1.5), ()),
                ]
            )
        ),
        intercept=-2.0,
        base_points=487.0,
        scaling=PROFILES["300-850"],
        points_decimals=0,
        training=handmade_model().training,
    )
    columns: dict[str, pa.Array] = {}
    for j, ch in enumerate(model.characteristics):
        missing = rng.random(n) < rng.choice([0.0, 0.05, 0.6])
        if j in (2, 6):
            values = rng.lognormal(0, 2, n)
            values[rng.random(n) < 0.02] = np.nan
            columns[ch.name] = pa.array(values, pa.float64(), mask=missing)
        else:
            scale = 1e6 if j in (4, 7) else 4
            values = np.floor(rng.exponential(scale, n)).astype(np.int64)
            values[rng.random(n) < 0.01] = 98
            columns[ch.name] = pa.array(values, pa.int64(), mask=missing)
    table = pa.table(columns)
    assert_identical(score_table(model, table), reference_score_table(model, table))
    frame = table.to_pandas()
    assert_identical(score_table(model, frame), reference_score_table(model, frame))


def test_german_credit(german: tuple[pd.DataFrame, str], german_model: ScorecardModel) -> None:
    frame, _ = german
    assert_identical(score_table(german_model, frame), reference_score_table(german_model, frame))
    table = pa.Table.from_pandas(frame)
    assert_identical(score_table(german_model, table), reference_score_table(german_model, table))


@pytest.mark.parametrize("max_reasons", [0, 1, 3, 4, 5, 8])
def test_every_number_of_reasons(max_reasons: int) -> None:
    model = handmade_model(max_reasons=max_reasons)
    rng = np.random.default_rng(max_reasons)
    frame = pd.DataFrame(
        {
            "utilisation": rng.choice([0.1, 0.5, 0.8, 1.2, np.nan], 500),
            "late_90": rng.choice([0, 1, 2, 96, 98], 500),
            "housing": rng.choice(["own", "rent", "free", "castle"], 500),
            "months_since_oldest": rng.integers(0, 100, 500),
            "debt_ratio": rng.uniform(0, 1, 500),
            "inquiries_6m": rng.integers(0, 4, 500),
        }
    )
    assert_identical(score_table(model, frame), reference_score_table(model, frame))


def test_reason_keys_order_like_the_maximum_points_rule() -> None:
    """Random points tables: top keys per row are the reference's picks, in order."""
    rng = np.random.default_rng(5)
    for _ in range(50):
        k = int(rng.integers(1, 9))
        tables = [
            rng.choice([0.0, 1.0, 2.5, 4.0, 0.1, 0.2, 0.3], int(rng.integers(2, 6)))
            for _ in range(k)
        ]
        best = np.array([t.max() for t in tables])
        bins = np.stack([rng.integers(0, len(t), 200) for t in tables], axis=1)
        points = np.stack([tables[j][bins[:, j]] for j in range(k)], axis=1)
        r = int(rng.integers(0, 6))
        index, lost = _ref_rank_reasons(points, best, np.zeros(k, dtype=bool), max_reasons=r)
        ranking = reason_keys(tables, best)
        keys = np.stack([ranking.keys[j][bins[:, j]] for j in range(k)], axis=1).astype(np.int64)
        top = -np.sort(-keys, axis=1)[:, : min(r, k)]
        got_index, got_lost = ranking.decode(top)
        assert np.array_equal(got_index, index[:, : min(r, k)])
        assert np.array_equal(got_lost, lost[:, : min(r, k)])
        # The public rank_reasons is still the reference algorithm.
        again, again_lost = rank_reasons(points, best, np.zeros(k, dtype=bool), max_reasons=r)
        assert np.array_equal(again, index) and np.array_equal(again_lost, lost)


def test_model_without_characteristics_and_negative_reasons_keep_the_old_path() -> None:
    empty = handmade_model(characteristics=())
    data = {"anything": [1, 2, 3]}
    assert_identical(score_table(empty, data), reference_score_table(empty, data))
    negative = handmade_model(max_reasons=-1)
    frame = pd.DataFrame(
        {
            "utilisation": [0.1],
            "late_90": [0],
            "housing": ["own"],
            "months_since_oldest": [5],
            "debt_ratio": [0.1],
            "inquiries_6m": [3],
        }
    )
    with pytest.raises(IndexError):
        reference_score_table(negative, frame)
    with pytest.raises(IndexError):
        score_table(negative, frame)


@pytest.mark.parametrize("acc", ["natural", "uint16", "int64"])
@pytest.mark.parametrize("decode_table", [True, False])
def test_wide_bins_wide_keys_and_both_decoders(
    acc: str, decode_table: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """303 bins per characteristic and int32 reason keys; every accumulator; both decoders."""
    rng = np.random.default_rng(17)
    chars = []
    for j in range(12):
        if j % 3 == 1:  # positive half splits: integer columns binned by table look-up
            splits = tuple(float(i) + 0.5 for i in range(300))
        else:
            splits = tuple(sorted(set(np.round(rng.uniform(-50, 400, 300), 3).tolist())))
        n_bins = len(splits) + 3
        chars.append(
            Characteristic(
                name=f"w{j}",
                kind="numerical",
                label=f"w{j}",
                reason_code=f"W{j}",
                reason_text=f"w{j}",
                inquiry=j in (2, 7),
                splits=splits,
                groups=(),
                special_codes=(7.0, 98.0),
                points=tuple(np.round(rng.uniform(0, 100, n_bins), 4).tolist()),
                woe=(0.0,) * n_bins,
                count_good=(1,) * n_bins,
                count_bad=(1,) * n_bins,
                coefficient=1.0,
                iv=0.0,
            )
        )
    model = handmade_model(characteristics=tuple(chars))
    if acc != "natural":
        monkeypatch.setattr(_kernels, "_acc_dtype", lambda n_bins: np.dtype(acc))
    if not decode_table:
        monkeypatch.setattr(_kernels, "_DECODE_TABLE_MAX", 0)
    monkeypatch.setattr(_kernels, "_PLANS", {})
    plan = _kernels.plan_for(model)
    assert plan.ranking.dtype == np.int32
    assert plan.chars[1].int_lut is not None and plan.chars[0].int_lut is None
    assert (plan.decode_index is not None) == decode_table
    n = 5_000
    columns = {}
    for j, ch in enumerate(chars):
        if j % 2:
            ints = rng.integers(-60, 420, n)
            ints[rng.random(n) < 0.05] = 98
            columns[ch.name] = pa.array(ints, pa.int64(), mask=rng.random(n) < 0.1)
        else:
            floats = rng.uniform(-60, 420, n)
            floats[rng.random(n) < 0.05] = 7.0
            floats[rng.random(n) < 0.05] = np.nan
            columns[ch.name] = pa.array(floats, pa.float64(), mask=rng.random(n) < 0.1)
    table = pa.table(columns)
    with block_rows(1000):
        assert_identical(score_table(model, table), reference_score_table(model, table))
