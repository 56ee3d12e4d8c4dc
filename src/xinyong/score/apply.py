"""Scoring many rows at once, and one row with its full explanation.

:func:`score_table` is the batch path: per characteristic (never per row) it
finds each value's bin (counting the bin edges at or below it, or a category
map over the column's distinct values), gathers points, adds them up, and ranks
reasons for all rows together; the kernel is in :mod:`xinyong.score._kernels`.
:func:`score_one` is a separate scalar implementation (``bisect`` and dict
look-ups) that also returns every characteristic's bin and points; tests check
that the two agree exactly, so a slip in either is caught by the other.

Rules shared by both:

* a value that is missing, ``None``, NaN or not a number in a numerical
  characteristic falls in the *missing* bin; so does a category never seen in
  training (the model has no evidence about it, so it gets no credit either way);
* a numerical value equal to one of the characteristic's special codes falls
  in the *special* bin;
* points are added left to right starting from the base points, so the batch
  and the scalar sums are the same floating-point operations;
* the model reads only its own characteristics' columns: any other column,
  such as a subject id, is never looked at (no hidden hand).
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from xinyong.domain.scores import ScoreReason
from xinyong.score._kernels import Source, arrow_source, bin_sources, plan_for, run_kernel
from xinyong.score.errors import ScoringError
from xinyong.score.model import Characteristic, ScorecardModel, canonical_json
from xinyong.score.reasons import rank_reasons

__all__ = [
    "CharacteristicResult",
    "Explanation",
    "ScoredBatch",
    "bin_column",
    "bin_matrix",
    "category_key",
    "input_fingerprint",
    "input_fingerprints",
    "numeric_values",
    "score_one",
    "score_table",
]

TableLike: TypeAlias = "pd.DataFrame | pa.Table | Mapping[str, Any]"
"""A pandas DataFrame, an Arrow table, or a mapping of column name to values."""
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def category_key(value: Any) -> str | None:
    """The text a categorical value is matched by; ``None`` for a missing value.

    Integers and integral floats read the same (``3``, ``3.0`` and ``"3"`` are
    one category), so a column read as numbers in one file and text in another
    is binned alike.
    """
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


def _column(data: TableLike, name: str) -> Any:
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


def numeric_values(raw: Any) -> FloatArray:
    """A column as float64, with anything that is not a number as NaN (missing)."""
    arr = np.asarray(raw)
    if arr.dtype.kind in "fiub":
        return arr.astype(np.float64)
    coerced = pd.to_numeric(pd.Series(arr, dtype=object), errors="coerce")
    return np.asarray(coerced, dtype=np.float64)


def _bin_numerical(ch: Characteristic, values: FloatArray) -> IntArray:
    idx = np.searchsorted(np.asarray(ch.splits, dtype=np.float64), values, side="right")
    idx = idx.astype(np.int64)
    if ch.special_codes:
        idx[np.isin(values, np.asarray(ch.special_codes, dtype=np.float64))] = ch.special_bin
    idx[np.isnan(values)] = ch.missing_bin
    return idx


def _bin_categorical(ch: Characteristic, raw: Any) -> IntArray:
    mapping = {c: i for i, group in enumerate(ch.groups) for c in group}

    def bin_of(value: Any) -> int:
        key = category_key(value)
        return ch.missing_bin if key is None else mapping.get(key, ch.missing_bin)

    # One dict look-up per distinct value, then one gather for all rows.
    codes, uniques = pd.factorize(pd.Series(np.asarray(raw, dtype=object)), use_na_sentinel=True)
    lookup = np.array([*(bin_of(u) for u in uniques), ch.missing_bin], dtype=np.int64)
    return lookup[codes]  # code -1 (missing) picks the last entry


def bin_column(ch: Characteristic, raw: Any) -> IntArray:
    """Bin index of every value of one column; training counts bins with this too."""
    if ch.kind == "numerical":
        return _bin_numerical(ch, numeric_values(raw))
    return _bin_categorical(ch, raw)


def _source(data: TableLike, ch: Characteristic, arrow_names: frozenset[str]) -> Source:
    """One characteristic's input as the kernel reads it (categorical: binned here)."""
    if ch.kind != "numerical":
        return Source(values=None, bins=_bin_categorical(ch, _column(data, ch.name)))
    if isinstance(data, pa.Table):
        if ch.name not in arrow_names:
            raise ScoringError(f"input has no column {ch.name!r}, which the model needs")
        fast = arrow_source(data.column(ch.name))
        if fast is not None:
            return fast  # int64 or double, read in place; nulls from the validity bitmap
    return Source(values=numeric_values(_column(data, ch.name)))


def _sources(model: ScorecardModel, data: TableLike) -> tuple[list[Source], int]:
    """Every characteristic's input, in model order, and the number of rows."""
    names = frozenset(data.column_names) if isinstance(data, pa.Table) else frozenset()
    sources = [_source(data, ch, names) for ch in model.characteristics]
    lengths = {len(s) for s in sources}
    if len(lengths) > 1:
        raise ValueError(f"input columns have different lengths: {sorted(lengths)}")
    return sources, lengths.pop()


def bin_matrix(model: ScorecardModel, data: TableLike) -> IntArray:
    """Bin index of every row (rows) in every characteristic (columns)."""
    if not model.characteristics:
        return np.zeros((0, 0), dtype=np.int64)
    sources, n = _sources(model, data)
    return bin_sources(plan_for(model), n, sources)


@dataclass(frozen=True, slots=True)
class ScoredBatch:
    """Scores, probabilities, points and key factors of many rows, as arrays.

    ``reason_index`` holds characteristic indexes in rank order (``-1`` for
    none); its last column is the extra inquiry factor of FCRA 609(f)(9).
    ``bins`` and ``points`` (rows x characteristics) are column-major, one
    characteristic's column contiguous.
    """

    model_id: str
    feature_names: tuple[str, ...]
    reason_codes_by_feature: tuple[str, ...]
    reason_texts_by_feature: tuple[str, ...]
    bins: IntArray
    points: FloatArray
    raw_points: FloatArray
    score: IntArray
    probability_bad: FloatArray
    reason_index: IntArray
    reason_points_lost: FloatArray

    def __len__(self) -> int:
        return int(self.score.shape[0])

    def reason_codes(self) -> npt.NDArray[np.object_]:
        """Rows x 5 reason codes, ``""`` where a row has fewer factors."""
        table = np.array([*self.reason_codes_by_feature, ""], dtype=object)
        return table[self.reason_index]  # index -1 picks ""

    def reasons(self, row: int) -> tuple[ScoreReason, ...]:
        """One row's key factors as domain values, ranked 1..n."""
        out: list[ScoreReason] = []
        for idx, lost in zip(
            self.reason_index[row].tolist(), self.reason_points_lost[row].tolist(), strict=True
        ):
            if idx < 0:
                continue
            out.append(
                ScoreReason(
                    rank=len(out) + 1,
                    code=self.reason_codes_by_feature[idx],
                    text=self.reason_texts_by_feature[idx],
                    points_lost=float(lost),
                )
            )
        return tuple(out)

    def to_pandas(self) -> pd.DataFrame:
        """Score, probability and reason codes ``reason_1`` .. ``reason_5`` per row."""
        codes = self.reason_codes()
        frame = pd.DataFrame({"score": self.score, "probability_bad": self.probability_bad})
        for k in range(codes.shape[1]):
            frame[f"reason_{k + 1}"] = codes[:, k]
        return frame


def _best(model: ScorecardModel) -> FloatArray:
    return np.array([c.best_points for c in model.characteristics], dtype=np.float64)


def score_table(model: ScorecardModel, data: TableLike) -> ScoredBatch:
    """Score every row of a DataFrame, Arrow table or mapping of columns."""
    if not model.characteristics or model.max_reasons < 0:
        return _score_table_plain(model, data)
    plan = plan_for(model)
    sources, n = _sources(model, data)
    result = run_kernel(plan, n, sources)
    return ScoredBatch(
        model_id=plan.model_id,  # the model's content hash, computed once per model object
        feature_names=model.feature_names,
        reason_codes_by_feature=tuple(c.reason_code for c in model.characteristics),
        reason_texts_by_feature=tuple(c.reason_text for c in model.characteristics),
        bins=result.bins,
        points=result.points,
        raw_points=result.raw,
        score=model.scaling.score(result.raw),
        probability_bad=model.scaling.probability_bad(result.raw),
        reason_index=result.reason_index,
        reason_points_lost=result.reason_points_lost,
    )


def _score_table_plain(model: ScorecardModel, data: TableLike) -> ScoredBatch:
    """The column-by-column formulation, for the corner cases the kernel leaves out.

    A model without characteristics, or with a negative ``max_reasons``.
    """
    bins = bin_matrix(model, data)
    n = bins.shape[0] if model.characteristics else len(_any_column(data))
    points = np.zeros((n, len(model.characteristics)), dtype=np.float64)
    raw = np.full(n, model.base_points, dtype=np.float64)
    for j, ch in enumerate(model.characteristics):
        points[:, j] = np.asarray(ch.points, dtype=np.float64)[bins[:, j]]
        raw = raw + points[:, j]
    inquiry = np.array([c.inquiry for c in model.characteristics], dtype=bool)
    index, lost = rank_reasons(points, _best(model), inquiry, max_reasons=model.max_reasons)
    return ScoredBatch(
        model_id=model.model_id,
        feature_names=model.feature_names,
        reason_codes_by_feature=tuple(c.reason_code for c in model.characteristics),
        reason_texts_by_feature=tuple(c.reason_text for c in model.characteristics),
        bins=bins,
        points=points,
        raw_points=raw,
        score=model.scaling.score(raw),
        probability_bad=model.scaling.probability_bad(raw),
        reason_index=index,
        reason_points_lost=lost,
    )


def _any_column(data: TableLike) -> Any:
    if isinstance(data, pd.DataFrame):
        return data.index
    if isinstance(data, pa.Table):
        return range(data.num_rows)
    return next(iter(data.values()), [])


@dataclass(frozen=True, slots=True)
class CharacteristicResult:
    """One characteristic of one subject: the value read, its bin and points."""

    name: str
    value: Any
    bin: int
    bin_label: str
    points: float
    best_points: float
    points_lost: float


@dataclass(frozen=True, slots=True)
class Explanation:
    """One subject's score with the working: base points, every characteristic, reasons."""

    model_id: str
    score: int
    raw_points: float
    probability_bad: float
    base_points: float
    characteristics: tuple[CharacteristicResult, ...]
    reasons: tuple[ScoreReason, ...]


def _scalar_number(value: Any) -> float:
    if value is None or value is pd.NA:
        return math.nan
    if isinstance(value, bool | np.bool_):
        return 1.0 if value else 0.0
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return math.nan


def _scalar_bin(ch: Characteristic, value: Any) -> int:
    if ch.kind == "numerical":
        x = _scalar_number(value)
        if math.isnan(x):
            return ch.missing_bin
        if x in ch.special_codes:
            return ch.special_bin
        return bisect.bisect_right(ch.splits, x)
    key = category_key(value)
    for i, group in enumerate(ch.groups):
        if key is not None and key in group:
            return i
    return ch.missing_bin


def score_one(model: ScorecardModel, attributes: Mapping[str, Any]) -> Explanation:
    """Score one subject and show the working; equals :func:`score_table` on that row."""
    results: list[CharacteristicResult] = []
    raw = model.base_points
    for ch in model.characteristics:
        if ch.name not in attributes:
            raise ScoringError(f"attributes have no {ch.name!r}, which the model needs")
        value = attributes[ch.name]
        b = _scalar_bin(ch, value)
        pts = ch.points[b]
        best = ch.best_points
        raw = raw + pts
        results.append(
            CharacteristicResult(
                ch.name, value, b, ch.bin_labels()[b], pts, best, max(best - pts, 0.0)
            )
        )
    ranked = sorted(
        (i for i, r in enumerate(results) if r.points_lost > 0),
        key=lambda i: (-results[i].points_lost, i),
    )
    chosen = ranked[: model.max_reasons]
    inquiries = [i for i in ranked[model.max_reasons :] if model.characteristics[i].inquiry]
    if inquiries:
        chosen.append(inquiries[0])
    reasons = tuple(
        ScoreReason(
            rank=k + 1,
            code=model.characteristics[i].reason_code,
            text=model.characteristics[i].reason_text,
            points_lost=results[i].points_lost,
        )
        for k, i in enumerate(chosen)
    )
    raw_arr = np.array([raw], dtype=np.float64)
    return Explanation(
        model_id=model.model_id,
        score=int(model.scaling.score(raw_arr)[0]),
        raw_points=raw,
        probability_bad=float(model.scaling.probability_bad(raw_arr)[0]),
        base_points=model.base_points,
        characteristics=tuple(results),
        reasons=reasons,
    )


def _snapshot_value(ch: Characteristic, value: Any) -> float | str | None:
    if ch.kind == "numerical":
        x = _scalar_number(value)
        return None if math.isnan(x) else x
    return category_key(value)


def input_fingerprint(model: ScorecardModel, attributes: Mapping[str, Any]) -> str:
    """SHA-256 of the inputs this model reads for one subject, as it reads them.

    Stored with a served score (with the model id) so that a recomputation can
    prove it used the same inputs: only the model's own characteristics count,
    and values are normalised the way binning sees them (``3`` and ``3.0`` agree,
    every kind of missing is ``null``).
    """
    snapshot = {
        ch.name: _snapshot_value(ch, attributes.get(ch.name)) for ch in model.characteristics
    }
    return hashlib.sha256(canonical_json([model.model_id, snapshot])).hexdigest()


def _json(value: Any) -> str:
    return canonical_json(value).decode("utf-8")


def input_fingerprints(model: ScorecardModel, table: pa.Table) -> list[str]:
    """:func:`input_fingerprint` of every row of ``table``, the same strings, in bulk.

    The canonical JSON of a row is the model id and each characteristic's
    value as binning reads it, keys sorted. Each column holds few distinct
    values (counts, bands, categories), so every distinct value is normalised
    and written as JSON once (by the same functions the one-row path calls)
    and the texts are assembled per row with Arrow; only the SHA-256 of each
    row's text is a call per row. ``tests/score`` checks the two agree.
    """
    n = table.num_rows
    if n == 0:
        return []
    by_name = {ch.name: ch for ch in model.characteristics}  # the last of a name wins, as in a dict
    parts: list[Any] = ["[" + _json(model.model_id) + ",{"]
    for i, name in enumerate(sorted(by_name)):
        ch = by_name[name]
        column = table.column(name).combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        encoded = pc.dictionary_encode(column)
        texts = [_json(_snapshot_value(ch, v)) for v in encoded.dictionary.to_pylist()]
        values = pa.array(texts, pa.string()).take(encoded.indices)
        parts.append(("," if i else "") + _json(name) + ":")
        parts.append(pc.fill_null(values, _json(_snapshot_value(ch, None))))
    parts.append("}]")
    if len(by_name) == 0:
        return [hashlib.sha256("".join(parts).encode("utf-8")).hexdigest()] * n
    joined = pc.binary_join_element_wise(*parts, "")
    return [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in joined.to_pylist()]
