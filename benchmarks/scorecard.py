"""Scorecard quality against a gradient-boosting baseline, on one development sample.

    .venv/bin/python benchmarks/scorecard.py --data ../shared/data/credit/gmsc_cs-training.csv
    .venv/bin/python benchmarks/scorecard.py --data german --json

Trains xinyong's scorecard with its default settings on 70 % of the rows and a
LightGBM model on exactly the same rows and the same admissible inputs (protected
attributes and identifiers are refused for both), then reports AUC and KS of
each on the same 30 % holdout (stratified, seed 42) and the ratio of the AUCs.
The classic WoE card (``fit="woe"``, the previous default) is trained on the
same rows as the baseline of the same run. ``--seeds N`` repeats the whole
comparison on N holdout splits (seeds 42, 43, ...) and adds the mean and
standard deviation of each AUC and of the gap, so a difference can be told
from the luck of one split. Known samples (Give Me Some Credit, Taiwan,
Australian, crx, German) are read by their spec in ``xinyong.score.datasets``;
``--target`` is needed only for other files. ``--json`` prints one JSON object
as the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from dataclasses import replace
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

from xinyong.score.datasets import load_sample
from xinyong.score.metrics import auc, ks
from xinyong.score.train import TrainConfig, admissible_inputs, holdout_split, train

LIGHTGBM_PARAMS: dict[str, Any] = {
    "n_estimators": 400,
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_child_samples": 100,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
    "random_state": 42,
    "n_jobs": 2,
    "verbose": -1,
}
"""Fixed, moderately regularised settings: a fair baseline, not a tuned competitor."""


def _lightgbm(
    frame: pd.DataFrame, inputs: list[str], y: np.ndarray, train_idx: np.ndarray, seed: int = 42
) -> np.ndarray:
    import lightgbm as lgb

    x = frame[inputs].copy()
    for column in inputs:
        if not pd.api.types.is_numeric_dtype(x[column]) or pd.api.types.is_bool_dtype(x[column]):
            x[column] = x[column].astype("category")
    params = dict(LIGHTGBM_PARAMS, random_state=seed)
    params["min_child_samples"] = min(params["min_child_samples"], max(5, len(train_idx) // 50))
    model = lgb.LGBMClassifier(**params)
    model.fit(x.iloc[train_idx], y[train_idx])
    proba = np.asarray(model.predict_proba(x), dtype=np.float64)
    return proba[:, 1]


def _one_split(
    frame: pd.DataFrame, sample: Any, config: TrainConfig, inputs: list[str]
) -> dict[str, float]:
    """Scorecard, WoE card and LightGBM on one 70/30 split (``config.seed``)."""
    y = frame[sample.target].to_numpy().astype(np.int8)
    train_idx, hold_idx = holdout_split(y, config.holdout_fraction, config.seed)
    out: dict[str, float] = {}
    for key, cfg in (("scorecard", config), ("woe_card", replace(config, fit="woe"))):
        model = train(frame, sample.target, id_column=sample.id_column, config=cfg)
        assert model.metrics is not None
        out[f"{key}_auc"], out[f"{key}_ks"] = model.metrics.auc, model.metrics.ks
    p = _lightgbm(frame, inputs, y, train_idx, config.seed)
    out["lightgbm_auc"] = auc(y[hold_idx], p[hold_idx])
    out["lightgbm_ks"] = ks(y[hold_idx], p[hold_idx])
    out["auc_gap"] = out["lightgbm_auc"] - out["scorecard_auc"]
    return out


def _over_seeds(
    first: dict[str, float],
    frame: pd.DataFrame,
    sample: Any,
    config: TrainConfig,
    inputs: list[str],
    seeds: int,
) -> dict[str, Any]:
    """Mean and standard deviation over ``seeds`` splits; ``first`` is the seed-42 run."""
    runs = [first] + [
        _one_split(frame, sample, replace(config, seed=config.seed + k), inputs)
        for k in range(1, seeds)
    ]
    summary: dict[str, Any] = {"seeds": [config.seed + k for k in range(seeds)]}
    for key in first:
        values = [r[key] for r in runs]
        summary[f"{key}_mean"] = round(statistics.fmean(values), 4)
        summary[f"{key}_sd"] = round(statistics.stdev(values), 4) if seeds > 1 else 0.0
    return summary


def run(
    data: str,
    target: str | None,
    *,
    allow_age: bool = False,
    trend: str | None = None,
    seeds: int = 1,
) -> dict[str, Any]:
    """Train both models on one sample and return the figures."""
    sample = load_sample(data, target)
    overrides: dict[str, Any] = {"monotonic_trend": trend} if trend else {}
    config = TrainConfig(
        drop_refused=True,
        allow_age=allow_age,
        special_codes=dict(sample.special_codes),
        categorical=tuple(sample.categorical),
        **overrides,
    )
    frame = sample.frame.rename(columns=str)
    y = frame[sample.target].to_numpy().astype(np.int8)
    train_idx, hold_idx = holdout_split(y, config.holdout_fraction, config.seed)

    started = time.perf_counter()
    model = train(
        frame,
        sample.target,
        id_column=sample.id_column,
        config=config,
        data_sha256=sample.sha256,
        data_name=sample.path.name,
    )
    scorecard_seconds = time.perf_counter() - started
    assert model.metrics is not None

    inputs, refused = admissible_inputs(frame.columns, sample.target, sample.id_column, config)
    started = time.perf_counter()
    p = _lightgbm(frame, inputs, y, train_idx)
    lightgbm_seconds = time.perf_counter() - started
    gbm_auc = auc(y[hold_idx], p[hold_idx])
    gbm_ks = ks(y[hold_idx], p[hold_idx])
    woe = train(frame, sample.target, id_column=sample.id_column, config=replace(config, fit="woe"))
    assert woe.metrics is not None
    first = {
        "scorecard_auc": model.metrics.auc,
        "scorecard_ks": model.metrics.ks,
        "woe_card_auc": woe.metrics.auc,
        "woe_card_ks": woe.metrics.ks,
        "lightgbm_auc": gbm_auc,
        "lightgbm_ks": gbm_ks,
        "auc_gap": gbm_auc - model.metrics.auc,
    }
    repeated = _over_seeds(first, frame, sample, config, inputs, seeds) if seeds > 1 else {}
    return {
        "data": sample.name,
        "file": sample.path.name,
        "target": sample.target,
        "rows": int(y.size),
        "bad_rate": round(float(y.mean()), 4),
        "holdout_rows": int(hold_idx.size),
        "refused": [r.name for r in refused],
        "inputs_offered": len(inputs),
        "characteristics": len(model.characteristics),
        "bins": sum(c.n_regular for c in model.characteristics),
        "scorecard_auc": round(model.metrics.auc, 4),
        "scorecard_ks": round(model.metrics.ks, 4),
        "lightgbm_auc": round(gbm_auc, 4),
        "lightgbm_ks": round(gbm_ks, 4),
        "auc_ratio": round(model.metrics.auc / gbm_auc, 4),
        "auc_gap": round(gbm_auc - model.metrics.auc, 4),
        "woe_card_auc": round(woe.metrics.auc, 4),
        "woe_card_ks": round(woe.metrics.ks, 4),
        "fit": config.fit,
        "over_seeds": repeated,
        "scorecard_seconds": round(scorecard_seconds, 2),
        "lightgbm_seconds": round(lightgbm_seconds, 2),
        "model_id": model.model_id,
        "allow_age": allow_age,
        "monotonic_trend": config.monotonic_trend,
        "versions": {
            name: version(name) for name in ("optbinning", "scikit-learn", "lightgbm", "numpy")
        },
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a CSV/Parquet file, or 'german'")
    parser.add_argument("--target", help="outcome column (0 good / 1 bad) for unknown files")
    parser.add_argument("--allow-age", action="store_true", help="admit a person's age")
    parser.add_argument(
        "--monotonic-trend", help="override the default bin trend (e.g. auto_heuristic)"
    )
    parser.add_argument(
        "--seeds", type=int, default=1, help="also average over N holdout splits (seeds 42..)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = parser.parse_args(argv)
    result = run(
        args.data,
        args.target,
        allow_age=args.allow_age,
        trend=args.monotonic_trend,
        seeds=args.seeds,
    )
    print(f"{result['data']} ({result['rows']} rows, bad rate {result['bad_rate']:.2%})")
    print(f"refused inputs: {', '.join(result['refused']) or 'none'}")
    print(
        f"scorecard  AUC {result['scorecard_auc']:.4f}  KS {result['scorecard_ks']:.4f}  "
        f"({result['characteristics']} characteristics, {result['bins']} bins, "
        f"{result['scorecard_seconds']:.1f} s)"
    )
    print(
        f"LightGBM   AUC {result['lightgbm_auc']:.4f}  KS {result['lightgbm_ks']:.4f}  "
        f"({result['lightgbm_seconds']:.1f} s)"
    )
    print(f"WoE card   AUC {result['woe_card_auc']:.4f}  KS {result['woe_card_ks']:.4f}  (fit=woe)")
    print(f"AUC ratio scorecard/LightGBM {result['auc_ratio']:.4f}, gap {result['auc_gap']:+.4f}")
    rep = result["over_seeds"]
    if rep:
        print(f"over {len(rep['seeds'])} holdout splits (seeds {rep['seeds'][0]}..):")
        for key, label in (
            ("scorecard", "scorecard"),
            ("woe_card", "WoE card "),
            ("lightgbm", "LightGBM "),
        ):
            print(
                f"  {label} AUC {rep[key + '_auc_mean']:.4f} ± {rep[key + '_auc_sd']:.4f}  "
                f"KS {rep[key + '_ks_mean']:.4f}"
            )
        print(f"  gap LightGBM - scorecard {rep['auc_gap_mean']:+.4f} ± {rep['auc_gap_sd']:.4f}")
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
