"""Scorecards: training, scaling, reason codes, a content-addressed model registry.

Importing this package is cheap (NumPy, pandas, pyarrow): applying and
explaining a stored model needs no training library. Training lives in
:mod:`xinyong.score.train`, which imports optbinning and scikit-learn.

The public surface:

* :func:`score_table` / :func:`score_one` — batch and single-subject scoring;
* :class:`ScorecardModel`, :class:`Characteristic`, :class:`Scaling` — the model as data;
* :class:`ModelRegistry`, :func:`save_model`, :func:`load_model` — storage by content hash;
* :func:`evaluate`, :class:`Metrics` — figures on labelled data;
* :func:`refused_columns` — what may never be an input;
* ``xinyong.score.train.train`` / ``train_from_file`` — development.
"""

from __future__ import annotations

from xinyong.score.apply import (
    Explanation,
    ScoredBatch,
    input_fingerprint,
    score_one,
    score_table,
)
from xinyong.score.errors import (
    ModelIntegrityError,
    ModelNotFoundError,
    RefusedInputError,
    ScoringError,
)
from xinyong.score.evaluate import evaluate, evaluate_file
from xinyong.score.metrics import Metrics
from xinyong.score.model import Characteristic, ScorecardModel
from xinyong.score.protected import refused_columns
from xinyong.score.registry import ModelRegistry, load_model, open_model, save_model
from xinyong.score.scaling import DEFAULT_SCALING, PROFILES, Scaling

__all__ = [
    "DEFAULT_SCALING",
    "PROFILES",
    "Characteristic",
    "Explanation",
    "Metrics",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelRegistry",
    "RefusedInputError",
    "Scaling",
    "ScorecardModel",
    "ScoredBatch",
    "ScoringError",
    "evaluate",
    "evaluate_file",
    "input_fingerprint",
    "load_model",
    "open_model",
    "refused_columns",
    "save_model",
    "score_one",
    "score_table",
]
