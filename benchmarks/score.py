"""Batch scoring throughput: score_table against a bare NumPy matrix product, same run.

    .venv/bin/python benchmarks/score.py                      # 10M subjects
    .venv/bin/python benchmarks/score.py --subjects 1000000 --json

What is measured. A scorecard is trained once, on a small synthetic sample
(``--train-rows``, default 50,000) with the default settings. Then ``--subjects``
attribute rows are generated chunk by chunk (``--chunk``, default 100,000, so
memory stays bounded) and each chunk, an Arrow table shaped like
``compute_attributes`` output, is scored by ``xinyong.score.score_table``. The
timing covers binning from raw values, points, reason codes for every row,
score and probability of bad.

The baseline is the cheapest possible scorecard arithmetic. It starts with the
bin index lookup already done, takes the one-hot matrix of the *same* bins that
``score_table`` found (rows x all bins, float64, built outside the timing), and
computes points = one-hot @ points-vector. The result is checked against
``score_table``'s raw points (equal to the bit, since the points are whole
numbers). ``ratio`` = score_table seconds / matrix-product seconds; the target
is 3 or less. The first chunk is also timed stage by stage (binning, points,
reasons, scaling) with the same public functions, so that the ratio can be
explained.

The attribute matrix is synthetic and never a population. Every row has a
latent risk z ~ N(0, 1). Each attribute is drawn from a distribution shaped like
the synthetic population's attributes (zero-inflated counts, log-normal
amounts, beta utilisation, gamma ages, missing where the file has no such
rows), with the riskier rows more often late. The outcome is drawn from the
synthetic generator's own truth model, logit PD = -3.6 + 1.35 z. ``--json``
prints one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import warnings
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from xinyong.attributes import ATTRIBUTES, AppliesTo, Source
from xinyong.score import score_table
from xinyong.score.apply import bin_matrix
from xinyong.score.model import ScorecardModel
from xinyong.score.reasons import rank_reasons

FloatArray = npt.NDArray[np.float64]

PERSON_ATTRIBUTES = [a for a in ATTRIBUTES if a.applies_to is not AppliesTo.ENTERPRISE]
PD_INTERCEPT, PD_SLOPE = -3.6, 1.35  # xinyong.synth.identity: the truth's logistic model


def _sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def _nan_where(values: FloatArray, missing: npt.NDArray[np.bool_]) -> FloatArray:
    out = values.astype(np.float64)
    out[missing] = np.nan
    return out


def synthetic_attributes(
    rng: np.random.Generator, n: int
) -> tuple[dict[str, FloatArray], FloatArray]:
    """``n`` rows of every person attribute, and the latent risk z they were drawn from.

    Missing values follow the catalogue's rule: a measure that needs rows the
    file does not have is NaN, and a count of absent things is 0.
    """
    z = rng.standard_normal(n)
    risk = np.exp(0.9 * z)  # multiplies the rates of bad events
    a: dict[str, FloatArray] = {}
    no_accounts = rng.random(n) < 0.05
    n_acc = np.where(no_accounts, 0, 1 + rng.poisson(2.2, n)).astype(np.float64)
    a["accounts_total"] = n_acc
    a["accounts_open"] = rng.binomial(n_acc.astype(np.int64), 0.7).astype(np.float64)
    opened12 = rng.binomial(n_acc.astype(np.int64), np.clip(0.12 * np.exp(0.3 * z), 0, 1))
    a["accounts_opened_12m"] = opened12.astype(np.float64)
    a["accounts_opened_6m"] = rng.binomial(opened12, 0.5).astype(np.float64)
    oldest = np.floor(rng.gamma(2.0, 40.0, n) * np.exp(-0.15 * z))
    a["oldest_account_age_months"] = _nan_where(oldest, no_accounts)
    a["average_account_age_months"] = _nan_where(oldest * rng.uniform(0.35, 1.0, n), no_accounts)

    has_rev = ~no_accounts & (rng.random(n) < 0.75)
    limit = np.where(has_rev, np.round(rng.lognormal(np.log(3e6), 0.9, n)), 0.0)
    util = np.clip(rng.beta(1.2, 1.2 * np.exp(-0.8 * z) * 3.0), 0, 1.2)
    rev_balance = np.round(util * limit)
    a["revolving_utilisation"] = _nan_where(util, ~has_rev)
    a["revolving_balance_total"] = rev_balance
    a["revolving_limit_total"] = limit
    has_mort = ~no_accounts & (rng.random(n) < 0.25)
    mort_orig = np.where(has_mort, np.round(rng.lognormal(np.log(8e7), 0.6, n)), 0.0)
    mort_bal = np.round(mort_orig * rng.uniform(0.1, 1.0, n))
    a["mortgage_balance_total"], a["mortgage_original_total"] = mort_bal, mort_orig
    has_inst = ~no_accounts & (rng.random(n) < 0.4)
    inst_orig = np.where(has_inst, np.round(rng.lognormal(np.log(5e6), 0.8, n)), 0.0)
    inst_bal = np.round(inst_orig * rng.uniform(0.05, 1.0, n))
    a["instalment_balance_total"], a["instalment_original_total"] = inst_bal, inst_orig

    rate = 0.04 * risk  # late account-months per month, per subject
    late30_24 = rng.poisson(rate * 6.0)
    late60_24 = rng.poisson(rate * 2.5)
    late90_24 = rng.poisson(rate * 2.0 * risk)
    windows = ((late30_24, "30_59"), (late60_24, "60_89"), (late90_24, "90plus"))
    for count24, key in windows:
        count12 = rng.binomial(count24, 0.55)
        count6 = rng.binomial(count12, 0.55)
        for months, count in ((6, count6), (12, count12), (24, count24)):
            a[f"times_{key}_late_{months}m"] = _nan_where(count.astype(np.float64), no_accounts)
    severe = rng.integers(3, 9, n).astype(np.float64)
    for months in (6, 12, 24):
        worst = np.select(
            [
                a[f"times_90plus_late_{months}m"] > 0,
                a[f"times_60_89_late_{months}m"] > 0,
                a[f"times_30_59_late_{months}m"] > 0,
            ],
            [severe, 2.0, 1.0],
            0.0,
        )
        a[f"worst_status_{months}m"] = _nan_where(worst, no_accounts)
    any_late = (late30_24 + late60_24 + late90_24) > 0
    since = np.where(
        a["times_30_59_late_6m"] + a["times_60_89_late_6m"] + a["times_90plus_late_6m"] > 0,
        rng.integers(0, 6, n),
        rng.integers(6, 24, n),
    ).astype(np.float64)
    a["months_since_last_delinquency"] = _nan_where(since, ~any_late | no_accounts)
    delinquent = rng.binomial(
        a["accounts_open"].astype(np.int64), np.clip(0.01 * risk**1.5, 0, 1)
    ).astype(np.float64)
    a["accounts_delinquent_now"] = delinquent
    a["past_due_amount_total"] = np.round(delinquent * rng.lognormal(np.log(2e5), 1.0, n))
    collections = rng.poisson(0.006 * risk**1.5).astype(np.float64)
    charge_offs = rng.poisson(0.004 * risk**1.5).astype(np.float64)
    a["collections_count"] = collections
    a["collections_balance"] = np.round(collections * rng.lognormal(np.log(1e5), 1.0, n))
    a["charge_offs_count"] = charge_offs
    a["charge_off_amount_total"] = np.round(charge_offs * rng.lognormal(np.log(3e5), 1.0, n))
    a["derogatory_accounts"] = delinquent + collections + charge_offs
    a["total_balance"] = rev_balance + mort_bal + inst_bal + a["collections_balance"]

    judgments = rng.poisson(0.01 * risk).astype(np.float64)
    bankruptcies = rng.poisson(0.001 * risk).astype(np.float64)
    arrears = rng.random(n) < 0.003 * risk
    penalties = rng.poisson(0.005, n).astype(np.float64)
    listed = (rng.random(n) < 0.002 * risk**1.5).astype(np.float64)
    unsatisfied = (judgments > 0) & (rng.random(n) < 0.5)
    judgment_amount = np.round(judgments * rng.lognormal(np.log(5e5), 1.0, n))
    arrears_amount = np.where(arrears, np.round(rng.lognormal(np.log(2e5), 1.0, n)), 0.0)
    penalty_amount = np.round(penalties * rng.lognormal(np.log(1e5), 1.0, n))
    records = judgments + bankruptcies + arrears + penalties + listed
    a["public_records_count"] = records
    a["public_records_amount_total"] = judgment_amount + arrears_amount + penalty_amount
    a["months_since_last_public_record"] = _nan_where(
        rng.integers(0, 60, n).astype(np.float64), records == 0
    )
    a["court_judgments_count"] = judgments
    a["court_judgments_unsatisfied_amount"] = np.where(unsatisfied, judgment_amount, 0.0)
    a["bankruptcies_count"] = bankruptcies
    a["tax_arrears_unpaid_amount"] = arrears_amount
    a["administrative_penalties_count"] = penalties
    a["administrative_penalties_amount"] = penalty_amount
    a["dishonest_judgment_debtor_listed"] = listed
    inq6 = rng.poisson(0.5 * np.exp(0.35 * z)).astype(np.float64)
    a["inquiries_6m"] = inq6
    a["inquiries_12m"] = inq6 + rng.poisson(0.5 * np.exp(0.35 * z))
    missing = {x.name for x in PERSON_ATTRIBUTES} - set(a)
    assert not missing, missing
    return {x.name: a[x.name] for x in PERSON_ATTRIBUTES}, z


def outcome(rng: np.random.Generator, z: FloatArray) -> npt.NDArray[np.int8]:
    """Defaults drawn from the synthetic truth's own model of risk."""
    return (rng.random(z.size) < _sigmoid(PD_INTERCEPT + PD_SLOPE * z)).astype(np.int8)


def as_table(columns: dict[str, FloatArray], first_id: int) -> pa.Table:
    """An Arrow table like ``compute_attributes`` output: ids, kind, attributes.

    Counts and amounts are BIGINT with NULL for missing, as DuckDB returns them.
    """
    n = next(iter(columns.values())).size
    fields: dict[str, pa.Array] = {
        "subject_id": pa.array([f"P{first_id + i:09d}" for i in range(n)], pa.string()),
        "subject_kind": pa.array(np.full(n, "person", dtype=object), pa.string()),
    }
    for attribute in PERSON_ATTRIBUTES:
        values = columns[attribute.name]
        mask = np.isnan(values)
        if attribute.dtype == "BIGINT":
            fields[attribute.name] = pa.array(
                np.nan_to_num(values).astype(np.int64), pa.int64(), mask=mask
            )
        else:
            fields[attribute.name] = pa.array(values, pa.float64(), mask=mask)
    return pa.table(fields)


def train_model(rows: int, seed: int) -> ScorecardModel:
    """The scorecard being served: default settings, on a small synthetic sample."""
    import pandas as pd

    from xinyong.score.train import train

    rng = np.random.default_rng(seed)
    columns, z = synthetic_attributes(rng, rows)
    frame = pd.DataFrame(columns)
    frame["bad"] = outcome(rng, z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return train(
            frame,
            "bad",
            name="benchmark: synthetic attributes",
            data_name=f"synthetic attributes, {rows} rows, seed {seed}",
            reason_texts={a.name: a.reason for a in PERSON_ATTRIBUTES},
            inquiry_columns=[a.name for a in PERSON_ATTRIBUTES if a.source is Source.INQUIRIES],
            definitions={a.name: a.to_dict() for a in PERSON_ATTRIBUTES},
        )


def one_hot(model: ScorecardModel, bins: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    """The rows x all-bins indicator matrix of ``bins`` and the matching points vector."""
    sizes = [c.n_bins for c in model.characteristics]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    n = bins.shape[0]
    matrix = np.zeros((n, int(sum(sizes))), dtype=np.float64)
    rows = np.arange(n)
    for j, offset in enumerate(offsets):
        matrix[rows, offset + bins[:, j]] = 1.0
    points = np.concatenate([np.asarray(c.points, dtype=np.float64) for c in model.characteristics])
    return matrix, points


def stages(model: ScorecardModel, table: pa.Table) -> dict[str, float]:
    """Seconds per step of score_table on one chunk, rebuilt from the same public functions."""
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    bins = bin_matrix(model, table)
    out["binning_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    points = np.zeros(bins.shape, dtype=np.float64)
    raw = np.full(bins.shape[0], model.base_points)
    for j, ch in enumerate(model.characteristics):
        points[:, j] = np.asarray(ch.points, dtype=np.float64)[bins[:, j]]
        raw = raw + points[:, j]
    out["points_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    best = np.array([c.best_points for c in model.characteristics])
    inquiry = np.array([c.inquiry for c in model.characteristics], dtype=bool)
    rank_reasons(points, best, inquiry, max_reasons=model.max_reasons)
    out["reasons_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.scaling.score(raw)
    model.scaling.probability_bad(raw)
    out["scaling_s"] = time.perf_counter() - t0
    return out


def _blas_threads() -> int | None:
    try:
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - scikit-learn brings it
        return None
    counts = [int(p["num_threads"]) for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


def run(subjects: int, chunk: int, train_rows: int, seed: int, log: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    model = train_model(train_rows, seed)
    train_s = time.perf_counter() - t0
    n_bins = sum(c.n_bins for c in model.characteristics)
    print(
        f"model {model.model_id[:12]}: {len(model.characteristics)} characteristics, "
        f"{n_bins} bins, trained on {train_rows:,} rows in {train_s:.1f} s",
        file=log,
    )
    rng = np.random.default_rng(seed + 1)
    score_s = matmul_s = generate_s = 0.0
    breakdown: dict[str, float] = {}
    done = 0
    while done < subjects:
        n = min(chunk, subjects - done)
        t0 = time.perf_counter()
        columns, _ = synthetic_attributes(rng, n)
        table = as_table(columns, done)
        del columns
        generate_s += time.perf_counter() - t0

        t0 = time.perf_counter()
        batch = score_table(model, table)
        score_s += time.perf_counter() - t0

        matrix, points = one_hot(model, batch.bins)
        t0 = time.perf_counter()
        summed = matrix @ points
        matmul_s += time.perf_counter() - t0
        if not np.array_equal(summed + model.base_points, batch.raw_points):
            raise AssertionError("the matrix product and score_table disagree on raw points")
        del matrix, summed
        if not breakdown:
            breakdown = stages(model, table)
        done += n
        print(
            f"  {done:>12,} scored: {done / score_s:,.0f} subjects/s, "
            f"ratio {score_s / matmul_s:.2f}",
            file=log,
        )
        del batch, table
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "benchmark": "score",
        "subjects": subjects,
        "chunk": chunk,
        "train_rows": train_rows,
        "seed": seed,
        "model_id": model.model_id,
        "characteristics": len(model.characteristics),
        "bins": n_bins,
        "holdout_auc": None if model.metrics is None else round(model.metrics.auc, 4),
        "train_s": round(train_s, 2),
        "generate_s": round(generate_s, 2),
        "score_table_s": round(score_s, 3),
        "subjects_per_s": round(subjects / score_s),
        "matmul_s": round(matmul_s, 3),
        "matmul_subjects_per_s": round(subjects / matmul_s),
        "ratio": round(score_s / matmul_s, 2),
        "target_ratio": 3.0,
        "first_chunk_stages": {k: round(v, 4) for k, v in breakdown.items()},
        "peak_rss_mib": round(peak),
        "blas_threads": _blas_threads(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pyarrow": pa.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--subjects", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--train-rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", action="store_true", help="one JSON object as the last line")
    args = parser.parse_args(argv)
    if args.subjects < 1 or args.chunk < 1 or args.train_rows < 1000:
        parser.error("--subjects and --chunk must be >= 1, --train-rows >= 1000")
    result = run(args.subjects, args.chunk, args.train_rows, args.seed, sys.stderr)
    print(
        f"{result['subjects']:,} subjects in {result['score_table_s']:.2f} s: "
        f"{result['subjects_per_s']:,} subjects/s; bare matrix product "
        f"{result['matmul_s']:.2f} s; ratio {result['ratio']:.2f} (target <= 3)"
    )
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
