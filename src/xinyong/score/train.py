"""Scorecard training: monotonic optimal binning, WoE, logistic regression, points.

The pipeline, each step a small function:

1. **Refuse** protected attributes and identifiers (:mod:`xinyong.score.protected`);
   by default training stops and names them, ``drop_refused`` drops them instead
   and records them in the model.
2. **Split** 70/30, stratified, fixed seed; the holdout only ever measures.
3. **Bin** every admissible column with optbinning's ``OptimalBinning`` (CP
   solver). Bins are monotonic: the bad rate only rises or only falls across a
   characteristic's bins, so more of something is never sometimes good and
   sometimes bad, and a reason text is true for everyone it is given to. Both
   directions are fitted and the higher IV kept (``"asc_or_desc"``). Special
   codes and missing values get their own bins. Only the split points are
   taken from optbinning; counts and WoE are recomputed with xinyong's own
   binning (:func:`xinyong.score.apply.bin_column`), so training and scoring
   can never bin a value differently (toad#29).
4. **Select** by information value (IV >= 0.02), then drop a characteristic
   whose WoE correlates above 0.8 with a stronger one.
5. **Fit** an L2 logistic regression on the WoE columns; a characteristic with a
   non-positive coefficient would give points against its own bad-rate trend
   (optbinning#120), so the worst is dropped and the fit repeated. This is the
   classic WoE card (``fit="woe"``).
6. **Correct bin by bin** (``fit="steps"``, the default;
   :mod:`xinyong.score.stepfit`): every bin's log-odds effect is the WoE card's
   plus a deviation, fitted jointly for all characteristics with an L2 penalty
   towards the WoE card, chosen by 5-fold cross-validation on the development
   rows. Deviations are ordered steps bounded so that each characteristic's
   effects keep its monotone trend. One coefficient per characteristic cannot
   re-weight bins of overlapping characteristics (GMSC's three late counts);
   this can, and the card is still bins -> points, summed.
7. **Scale** to points (:mod:`xinyong.score.scaling`): each bin gets
   ``-factor * effect`` (``effect = coefficient * WoE`` for the WoE card), shifted
   so a characteristic's lowest bin has 0 and rounded half up to whole points;
   base points absorb intercept and shifts. With ``fit="steps"`` the stored
   coefficient is the count-weighted slope of the effects on the WoE.

Defaults were chosen on Give Me Some Credit and German credit only
(``benchmarks/scorecard.py``, ``docs/scoring.md``) and are used unchanged on
every other sample.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from xinyong.score.apply import bin_column, category_key, numeric_values
from xinyong.score.datasets import binary_target, load_sample
from xinyong.score.errors import RefusedInputError, ScoringError
from xinyong.score.evaluate import evaluate
from xinyong.score.model import (
    Characteristic,
    Kind,
    ScorecardModel,
    TrainingInfo,
    canonical_json,
)
from xinyong.score.protected import RefusedColumn, check_elderly, is_person_age, refused_columns
from xinyong.score.reasons import assign_reason_codes
from xinyong.score.registry import save_to
from xinyong.score.scaling import DEFAULT_SCALING, Scaling

__all__ = ["TrainConfig", "admissible_inputs", "holdout_split", "train", "train_from_file"]

FloatArray = npt.NDArray[np.float64]

ASC_OR_DESC = "asc_or_desc"
"""Default bin trend: monotonic, direction chosen by fitting both and keeping the higher IV."""

FITS = ("steps", "woe")
"""How bins become points: ``steps`` (default) fits every bin's effect jointly, monotone
by construction (:mod:`xinyong.score.stepfit`); ``woe`` is the classic one coefficient
per characteristic times its WoE."""


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """Training settings; every field is saved in the model and hashed into its id."""

    max_n_bins: int = 10
    min_bin_size: float = 0.02
    min_bin_count: int = 50
    max_n_prebins: int = 20
    monotonic_trend: str = "asc_or_desc"
    min_iv: float = 0.02
    max_correlation: float = 0.8
    regularization_c: float = 1.0
    woe_smoothing: float = 0.5
    holdout_fraction: float = 0.3
    seed: int = 42
    points_decimals: int | None = 0
    scaling: Scaling = DEFAULT_SCALING
    drop_refused: bool = False
    allow_age: bool = False
    max_features: int | None = None
    fit: str = "steps"
    step_penalties: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    cv_folds: int = 5
    categorical: tuple[str, ...] = ()
    special_codes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fit not in FITS:
            raise ScoringError(f"unknown fit {self.fit!r}; expected one of {', '.join(FITS)}")
        if not self.step_penalties or any(p <= 0 for p in self.step_penalties):
            raise ScoringError("step_penalties must be one or more positive numbers")

    def settings(self) -> dict[str, Any]:
        """The JSON form stored in :class:`TrainingInfo` (scaling is stored on its own)."""
        return {
            "max_n_bins": self.max_n_bins,
            "min_bin_size": self.min_bin_size,
            "min_bin_count": self.min_bin_count,
            "max_n_prebins": self.max_n_prebins,
            "monotonic_trend": self.monotonic_trend,
            "min_iv": self.min_iv,
            "max_correlation": self.max_correlation,
            "regularization_c": self.regularization_c,
            "woe_smoothing": self.woe_smoothing,
            "holdout_fraction": self.holdout_fraction,
            "seed": self.seed,
            "points_decimals": self.points_decimals,
            "drop_refused": self.drop_refused,
            "allow_age": self.allow_age,
            "max_features": self.max_features,
            "fit": self.fit,
            "step_penalties": [float(p) for p in self.step_penalties],
            "cv_folds": self.cv_folds,
            "categorical": sorted(self.categorical),
            "special_codes": {k: [float(v) for v in vs] for k, vs in self.special_codes.items()},
        }


@dataclass(frozen=True, slots=True)
class _Candidate:
    skeleton: Characteristic
    woe: FloatArray
    iv: float
    train_woe: FloatArray
    train_idx: npt.NDArray[np.int64]


def _frame_sha256(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update("\x1f".join(map(str, frame.columns)).encode("utf-8"))
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def _kind(series: pd.Series, name: str, config: TrainConfig) -> Kind:
    if name in config.categorical:
        return "categorical"
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return "categorical"
    return "numerical"


def holdout_split(
    y: npt.ArrayLike, fraction: float = 0.3, seed: int = 42
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Row positions to develop on and to hold out: stratified by outcome, fixed seed.

    Public so that a benchmark can train a challenger on exactly the same rows.
    """
    index = np.arange(np.asarray(y).size, dtype=np.int64)
    if fraction <= 0:
        return index, index[:0]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    train_idx, hold_idx = train_test_split(
        index, test_size=fraction, random_state=seed, stratify=np.asarray(y)
    )
    return np.sort(train_idx), np.sort(hold_idx)


def _splits_from_optbinning(
    name: str, kind: Kind, raw: Any, y: npt.NDArray[np.int8], config: TrainConfig, trend: str
) -> tuple[tuple[float, ...], tuple[tuple[str, ...], ...]]:
    from optbinning import OptimalBinning  # type: ignore[import-untyped]

    specials = list(config.special_codes.get(name, ())) if kind == "numerical" else []
    if kind == "numerical":
        x: Any = numeric_values(raw)
    else:
        keys = [category_key(v) for v in np.asarray(raw, dtype=object)]
        x = np.array([np.nan if k is None else k for k in keys], dtype=object)
    min_size = min(0.5, max(config.min_bin_size, config.min_bin_count / max(len(y), 1)))
    binner = OptimalBinning(
        name=name,
        dtype=kind,
        solver="cp",
        monotonic_trend=trend,
        max_n_bins=config.max_n_bins,
        min_bin_size=min_size,
        max_n_prebins=config.max_n_prebins,
        min_prebin_size=min_size,
        special_codes=specials or None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        binner.fit(x, y)
    if kind == "numerical":
        return tuple(float(s) for s in binner.splits), ()
    groups = [sorted(str(c) for c in group) for group in binner.splits]
    covered = {c for g in groups for c in g}
    seen = sorted({k for k in x if isinstance(k, str)} - covered)
    if seen:  # categories optbinning left out still need a bin of their own
        groups.append(seen)
    return (), tuple(tuple(g) for g in groups)


def _woe(
    idx: npt.NDArray[np.int64], y: npt.NDArray[np.int8], n_bins: int, smoothing: float
) -> tuple[FloatArray, float, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    count = np.bincount(idx, minlength=n_bins).astype(np.int64)
    bad = np.bincount(idx, weights=y.astype(np.float64), minlength=n_bins).astype(np.int64)
    good = count - bad
    used = count > 0
    k = int(used.sum())
    total_bad, total_good = int(bad.sum()), int(good.sum())
    p_bad = (bad + smoothing) / (total_bad + smoothing * k)
    p_good = (good + smoothing) / (total_good + smoothing * k)
    woe = np.where(used, np.log(p_bad / p_good), 0.0)
    iv = float(np.sum(np.where(used, (p_bad - p_good) * woe, 0.0)))
    return woe, iv, good, bad


def _candidate(
    name: str, kind: Kind, raw: Any, y: npt.NDArray[np.int8], config: TrainConfig
) -> _Candidate:
    """Bin one column; for ``asc_or_desc`` fit both directions and keep the higher IV.

    optbinning's own ``auto_asc_desc`` guesses the direction from the pre-bins,
    and on skewed columns (monthly income, with its U-shaped tail) it can pick
    the direction that throws most of the information away.
    """
    if kind == "numerical" and config.monotonic_trend == ASC_OR_DESC:
        fits = [_fit_bins(name, kind, raw, y, config, t) for t in ("descending", "ascending")]
        return max(fits, key=lambda c: c.iv)  # first (descending) on an exact tie
    trend = "auto_asc_desc" if config.monotonic_trend == ASC_OR_DESC else config.monotonic_trend
    return _fit_bins(name, kind, raw, y, config, trend)


def _fit_bins(
    name: str, kind: Kind, raw: Any, y: npt.NDArray[np.int8], config: TrainConfig, trend: str
) -> _Candidate:
    splits, groups = _splits_from_optbinning(name, kind, raw, y, config, trend)
    n_bins = (len(splits) + 1 if kind == "numerical" else len(groups)) + 2
    zeros = (0.0,) * n_bins
    skeleton = Characteristic(
        name=name,
        kind=kind,
        label=name,
        reason_code="?",
        reason_text="?",
        inquiry=False,
        splits=splits,
        groups=groups,
        special_codes=tuple(float(c) for c in config.special_codes.get(name, ()))
        if kind == "numerical"
        else (),
        points=zeros,
        woe=zeros,
        count_good=(0,) * n_bins,
        count_bad=(0,) * n_bins,
        coefficient=0.0,
        iv=0.0,
    )
    idx = bin_column(skeleton, raw)
    woe, iv, good, bad = _woe(idx, y, n_bins, config.woe_smoothing)
    skeleton = replace(
        skeleton,
        woe=tuple(float(w) for w in woe),
        count_good=tuple(int(g) for g in good),
        count_bad=tuple(int(b) for b in bad),
        iv=iv,
    )
    return _Candidate(skeleton, woe, iv, woe[idx], idx)


def _select(
    candidates: list[_Candidate], config: TrainConfig, dropped: list[tuple[str, str]]
) -> list[_Candidate]:
    ranked = sorted(candidates, key=lambda c: (-c.iv, c.skeleton.name))
    kept: list[_Candidate] = []
    for cand in ranked:
        name = cand.skeleton.name
        if cand.iv < config.min_iv:
            dropped.append((name, f"information value {cand.iv:.4f} < {config.min_iv}"))
            continue
        if np.std(cand.train_woe) == 0:
            dropped.append((name, "one bin only"))
            continue
        worst = max(
            ((abs(float(np.corrcoef(cand.train_woe, k.train_woe)[0, 1])), k) for k in kept),
            default=None,
            key=lambda t: t[0],
        )
        if worst is not None and worst[0] > config.max_correlation:
            dropped.append((name, f"WoE correlation {worst[0]:.3f} with {worst[1].skeleton.name}"))
            continue
        if config.max_features is not None and len(kept) >= config.max_features:
            dropped.append((name, f"beyond max_features={config.max_features}"))
            continue
        kept.append(cand)
    return kept


def _fit(
    kept: list[_Candidate],
    y: npt.NDArray[np.int8],
    config: TrainConfig,
    dropped: list[tuple[str, str]],
) -> tuple[list[_Candidate], FloatArray, float]:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    while kept:
        matrix = np.column_stack([c.train_woe for c in kept])
        regression = LogisticRegression(C=config.regularization_c, max_iter=5000)
        regression.fit(matrix, y)
        coef = np.asarray(regression.coef_[0], dtype=np.float64)
        worst = int(np.argmin(coef))
        if coef[worst] > 0:
            return kept, coef, float(regression.intercept_[0])
        dropped.append(
            (kept[worst].skeleton.name, f"coefficient {coef[worst]:.4f} <= 0 against its trend")
        )
        kept = kept[:worst] + kept[worst + 1 :]
    raise ScoringError("no characteristic is predictive enough to build a scorecard")


def _direction(cand: _Candidate) -> int:
    """+1 if the bad rate rises across the regular bins, -1 if it falls, 0 if free."""
    ch = cand.skeleton
    if ch.kind != "numerical":
        return 0
    regular = cand.woe[: ch.n_regular]
    return 1 if float(regular[-1]) >= float(regular[0]) else -1


def _fit_steps(
    kept: list[_Candidate],
    coef: FloatArray,
    y: npt.NDArray[np.int8],
    config: TrainConfig,
    dropped: list[tuple[str, str]],
) -> tuple[list[_Candidate], list[FloatArray], list[float], float]:
    """Joint per-bin effects for the kept characteristics, penalty chosen by CV.

    A characteristic the joint fit leaves flat (every bin the same effect) earns
    nobody a point, so it is dropped and the rest refitted. The stored
    coefficient is the count-weighted slope of the fitted effects on the WoE: how
    much of its own evidence the characteristic keeps beside the others.
    """
    from xinyong.score.stepfit import Block, choose_penalty, fit_steps

    def blocks(cands: list[_Candidate]) -> list[Block]:
        return [
            Block(c.train_idx, c.skeleton.n_regular, _direction(c), float(k) * c.woe)
            for c, k in zip(cands, coef, strict=True)
        ]

    penalty = choose_penalty(blocks(kept), y, config.step_penalties, config.cv_folds, config.seed)
    while kept:
        fitted = fit_steps(blocks(kept), y, penalty)
        spans = [float(np.ptp(e)) for e in fitted.effects]
        flat = int(np.argmin(spans))
        if spans[flat] > 1e-9:
            slopes = [_slope(c, e) for c, e in zip(kept, fitted.effects, strict=True)]
            return kept, list(fitted.effects), slopes, fitted.intercept
        dropped.append((kept[flat].skeleton.name, "no effect beside the others in the joint fit"))
        kept = kept[:flat] + kept[flat + 1 :]
        coef = np.delete(coef, flat)
    raise ScoringError("no characteristic is predictive enough to build a scorecard")


def _slope(cand: _Candidate, effect: FloatArray) -> float:
    counts = np.bincount(cand.train_idx, minlength=effect.size).astype(np.float64)
    w = cand.woe
    wm = float(np.sum(counts * w) / counts.sum())
    em = float(np.sum(counts * effect) / counts.sum())
    var = float(np.sum(counts * (w - wm) ** 2))
    return float(np.sum(counts * (w - wm) * (effect - em)) / var) if var > 0 else 0.0


def _round(values: FloatArray, decimals: int | None) -> FloatArray:
    if decimals is None:
        return values
    scale = 10.0**decimals
    return np.floor(values * scale + 0.5) / scale


def _software() -> dict[str, str]:
    out: dict[str, str] = {}
    for dist in ("xinyong", "optbinning", "scikit-learn", "numpy", "pandas"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def admissible_inputs(
    columns: Iterable[str], target: str, id_column: str | None, config: TrainConfig
) -> tuple[list[str], list[RefusedColumn]]:
    """The columns that may be inputs, and the refused ones with reasons.

    Raises :class:`RefusedInputError` naming every refused column unless the
    configuration says to drop them; a protected attribute is never silently used.
    """
    candidates = [str(c) for c in columns if c not in (target, id_column)]
    refused = refused_columns(candidates, allow_age=config.allow_age)
    if refused and not config.drop_refused:
        raise RefusedInputError(
            "these columns may not be scorecard inputs: "
            + "; ".join(str(r) for r in refused)
            + ". Remove them, or drop them explicitly (drop_refused)."
        )
    refused_names = {r.name for r in refused}
    inputs = [c for c in candidates if c not in refused_names]
    if not inputs:
        raise ScoringError("no admissible input columns")
    return inputs, refused


def train(
    frame: pd.DataFrame,
    target: str,
    *,
    id_column: str | None = None,
    config: TrainConfig | None = None,
    name: str | None = None,
    data_sha256: str | None = None,
    data_name: str = "in-memory frame",
    reason_texts: Mapping[str, str] | None = None,
    inquiry_columns: Sequence[str] | None = None,
    definitions: Mapping[str, Mapping[str, Any]] | None = None,
) -> ScorecardModel:
    """Train a scorecard on a development sample whose ``target`` is 0 (good) / 1 (bad).

    ``id_column`` names a row identifier that is carried but never an input.
    ``reason_texts`` gives plain-language reason texts by column (an attribute's
    documented meaning); ``inquiry_columns`` marks inquiry characteristics for
    the FCRA 609(f)(9) fifth reason (default: columns whose name mentions
    inquiries). ``definitions`` gives, per column, how it is computed (for
    attributes: ``Attribute.to_dict()``); those of the columns the model keeps
    are stored and hashed with it. The holdout metrics are stored beside the model.
    """
    config = config or TrainConfig()
    frame = frame.rename(columns=str)
    for column in (target, id_column):
        if column is not None and column not in frame.columns:
            raise ScoringError(f"no column {column!r} in the data")
    y_all = binary_target(frame[target], target)
    inputs, refused = admissible_inputs(frame.columns, target, id_column, config)
    train_idx, hold_idx = holdout_split(y_all, config.holdout_fraction, config.seed)
    development = frame.iloc[train_idx]
    y = y_all[train_idx]
    if y.min() == y.max():
        raise ScoringError("the development sample needs both good and bad outcomes")

    dropped: list[tuple[str, str]] = []
    candidates_fit: list[_Candidate] = []
    for column in inputs:
        series = development[column]
        if series.isna().all() or series.nunique(dropna=True) < 2:
            dropped.append((column, "constant or empty"))
            continue
        kind = _kind(series, column, config)
        candidates_fit.append(_candidate(column, kind, series.to_numpy(), y, config))
    kept, coef, intercept = _fit(_select(candidates_fit, config, dropped), y, config, dropped)
    if config.fit == "steps":
        kept, effects, slopes, intercept = _fit_steps(kept, coef, y, config, dropped)
    else:
        effects = [float(c) * cand.woe for cand, c in zip(kept, coef, strict=True)]
        slopes = [float(c) for c in coef]

    entries = assign_reason_codes(
        [c.skeleton.name for c in kept], texts=reason_texts, inquiry=inquiry_columns
    )
    factor, offset = config.scaling.factor, config.scaling.offset
    characteristics: list[Characteristic] = []
    base = offset - factor * intercept
    for cand, effect, c in zip(kept, effects, slopes, strict=True):
        raw = -factor * effect
        shift = float(raw.min())
        base += shift
        entry = entries[cand.skeleton.name]
        characteristics.append(
            replace(
                cand.skeleton,
                label=entry.label,
                reason_code=entry.code,
                reason_text=entry.text,
                inquiry=entry.inquiry,
                points=tuple(float(p) for p in _round(raw - shift, config.points_decimals)),
                coefficient=float(c),
            )
        )
    base_points = float(_round(np.array([base]), config.points_decimals)[0])
    if config.allow_age:
        for ch in characteristics:
            if is_person_age(ch.name):
                check_elderly(ch)

    info = TrainingInfo(
        data_sha256=data_sha256 or _frame_sha256(frame),
        data_name=data_name,
        target=target,
        id_column=id_column,
        n_rows=int(y_all.size),
        n_train=int(train_idx.size),
        n_holdout=int(hold_idx.size),
        bad_rate=float(y_all.mean()),
        settings=config.settings(),
        refused=tuple((r.name, f"{r.category}; {r.basis}") for r in refused),
        dropped=tuple(dropped),
    )
    model = ScorecardModel(
        name=name or f"{data_name}: {target}",
        characteristics=tuple(characteristics),
        intercept=float(intercept),
        base_points=base_points,
        scaling=config.scaling,
        points_decimals=config.points_decimals,
        training=info,
        definitions={
            c.name: json.loads(canonical_json(dict(definitions[c.name])))
            for c in characteristics
            if definitions and c.name in definitions
        },
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        software=_software(),
    )
    holdout = y_all[hold_idx]
    if holdout.size and holdout.min() != holdout.max():
        model = model.with_metrics(evaluate(model, frame.iloc[hold_idx], target, sample="holdout"))
    return model


def train_from_file(
    path: str | Path,
    target: str | None = None,
    id_column: str | None = None,
    out: str | Path | None = None,
    *,
    config: TrainConfig | None = None,
    drop_refused: bool | None = None,
) -> ScorecardModel:
    """Train on a CSV or Parquet file and, with ``out``, save the model and its card.

    Known public samples are read by their spec (:mod:`xinyong.score.datasets`),
    which also supplies their special codes and categorical columns; ``target``
    may then be omitted. The training-data fingerprint is the file's SHA-256.
    ``out`` is a ``.json`` file path or a registry folder (``<id>.json`` in it).
    """
    sample = load_sample(path, target)
    config = config or TrainConfig()
    overrides: dict[str, Any] = {}
    if sample.special_codes and not config.special_codes:
        overrides["special_codes"] = dict(sample.special_codes)
    if sample.categorical and not config.categorical:
        overrides["categorical"] = tuple(sample.categorical)
    if drop_refused is not None:
        overrides["drop_refused"] = drop_refused
    if overrides:
        config = TrainConfig(**{**_config_fields(config), **overrides})
    model = train(
        sample.frame,
        sample.target,
        id_column=id_column or sample.id_column,
        config=config,
        data_sha256=sample.sha256,
        data_name=sample.path.name,
    )
    if out is not None:
        save_to(model, Path(out))
    return model


def _config_fields(config: TrainConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in TrainConfig.__dataclass_fields__}
