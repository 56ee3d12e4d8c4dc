"""Measuring a stored model on labelled data, through the same path that serves scores.

Evaluation scores the data with :func:`xinyong.score.apply.score_table`, so the
figures describe exactly the numbers subjects receive, not a re-implementation.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

from xinyong.score.apply import TableLike, score_table
from xinyong.score.datasets import binary_target, load_sample
from xinyong.score.errors import ScoringError
from xinyong.score.metrics import Metrics, compute_metrics
from xinyong.score.model import ScorecardModel

__all__ = ["evaluate", "evaluate_file"]


def evaluate(
    model: ScorecardModel, data: TableLike, target: str, *, sample: str = "evaluation"
) -> Metrics:
    """AUC, KS, Gini, Brier and calibration by decile of ``model`` on ``data``."""
    if isinstance(data, pd.DataFrame):
        if target not in data.columns:
            raise ScoringError(f"no target column {target!r} in the data")
        outcome = data[target]
    elif isinstance(data, pa.Table):
        if target not in data.column_names:
            raise ScoringError(f"no target column {target!r} in the data")
        outcome = data.column(target).to_pandas()
    else:
        if target not in data:
            raise ScoringError(f"no target column {target!r} in the data")
        outcome = pd.Series(data[target])
    y = binary_target(outcome, target)
    batch = score_table(model, data)
    return compute_metrics(y, batch.probability_bad, sample=sample)


def evaluate_file(model: ScorecardModel, path: str | Path, target: str | None = None) -> Metrics:
    """Evaluate on a CSV/Parquet file, read like a development sample (known specs apply)."""
    sample = load_sample(path, target)
    return evaluate(model, sample.frame, sample.target, sample=sample.path.name)
