"""Models built in code for the score tests: small, readable, and needing no training library.

``handmade_model`` covers every kind of bin the scorer knows: numerical bins,
special codes, missing values, categorical groups, an unseen category, and an
inquiry characteristic, with counts that make every regular bin "observed".
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from xinyong.score.model import Characteristic, ScorecardModel, TrainingInfo
from xinyong.score.scaling import DEFAULT_SCALING

REPO = Path(__file__).resolve().parents[2]
CREDIT = REPO.parent / "shared" / "data" / "credit"


def numerical(
    name: str,
    splits: tuple[float, ...],
    points: tuple[float, ...],
    *,
    special: tuple[float, ...] = (),
    inquiry: bool = False,
    code: str | None = None,
) -> Characteristic:
    n = len(splits) + 3
    assert len(points) == n
    counts = tuple(10 if i < len(splits) + 1 or (i == n - 2 and special) else 0 for i in range(n))
    return Characteristic(
        name=name,
        kind="numerical",
        label=name.replace("_", " "),
        reason_code=code or name[:3].upper(),
        reason_text=f"{name} lowered the score",
        inquiry=inquiry,
        splits=splits,
        groups=(),
        special_codes=special,
        points=points,
        woe=tuple(0.1 * i for i in range(n)),
        count_good=counts,
        count_bad=counts,
        coefficient=0.8,
        iv=0.2,
    )


def categorical(
    name: str, groups: tuple[tuple[str, ...], ...], points: tuple[float, ...]
) -> Characteristic:
    n = len(groups) + 2
    counts = tuple(10 if i < len(groups) else 0 for i in range(n))
    return Characteristic(
        name=name,
        kind="categorical",
        label=name,
        reason_code=name[:3].upper(),
        reason_text=f"{name} lowered the score",
        inquiry=False,
        splits=(),
        groups=groups,
        special_codes=(),
        points=points,
        woe=tuple(0.1 * i for i in range(n)),
        count_good=counts,
        count_bad=counts,
        coefficient=0.5,
        iv=0.1,
    )


def handmade_model(**overrides: Any) -> ScorecardModel:
    model = ScorecardModel(
        name="handmade",
        characteristics=(
            numerical("utilisation", (0.3, 0.7, 1.0), (30, 20, 10, 0, 15, 5)),
            numerical("late_90", (0.5, 1.5), (40, 15, 0, 2, 20), special=(96.0, 98.0)),
            categorical("housing", (("own",), ("free", "rent")), (10, 0, 5, 3)),
            numerical("months_since_oldest", (12.0, 60.0), (0, 8, 16, 8, 0)),
            numerical("debt_ratio", (0.2, 0.5), (12, 6, 0, 6, 6)),
            numerical("inquiries_6m", (0.5, 2.5), (20, 12, 0, 10, 10), inquiry=True),
        ),
        intercept=-2.5,
        base_points=400.0,
        scaling=DEFAULT_SCALING,
        points_decimals=0,
        training=TrainingInfo(
            data_sha256="0" * 64,
            data_name="in code",
            target="bad",
            id_column="subject_id",
            n_rows=100,
            n_train=70,
            n_holdout=30,
            bad_rate=0.1,
            settings={"seed": 42},
        ),
    )
    return replace(model, **overrides) if overrides else model
